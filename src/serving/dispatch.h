// Where a predict runs, once for every transport: the REST routes (server/infer_handlers.cc) and
// the gRPC service (grpc/inference_service.cc) hand their work here after deciding inline vs
// executor (predict_call.h's RunsInline). A model with spec.predictor.containerConcurrency
// (ModelEntry::limiter, concurrency_limiter.h) starts the work only once the limiter gives it a
// slot and gives the slot back when the work returns, so both protocols share one limit.
//
// Threads: called on an I/O thread; `work` runs there (inline), on an executor worker, or on the
// thread whose finished request freed a limiter slot. `refuse` runs on the calling thread or an
// executor-bound start. The caller keeps `m` (its catalog snapshot) alive until `work` or
// `refuse` has run.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "common/status.h"
#include "serving/concurrency_limiter.h"
#include "serving/model_catalog.h"

namespace ferry::serving {

inline std::string OverloadedMessage(const std::string& model) {
  return "model " + model + " is overloaded: its request queue is full; retry later";
}

// Runs `work()` inline (when `inline_ok` or the model has no executor) or on the model's
// executor, within the model's containerConcurrency. `refuse(Status)` gets Unavailable (503)
// instead when the executor's queue or the limiter's queue is full; `work` is then dropped.
template <typename Work, typename Refuse>
void Dispatch(const ModelEntry& m, bool inline_ok, Work&& work, Refuse refuse) {
  inline_ok = inline_ok || !m.executor;
  if (!m.limiter) {
    if (inline_ok) return work();
    auto task = std::make_shared<std::decay_t<Work>>(std::forward<Work>(work));
    if (!m.executor->Submit([task] { (*task)(); })) {
      refuse(UnavailableError(OverloadedMessage(m.name)));
    }
    return;
  }
  auto task = std::make_shared<std::decay_t<Work>>(std::forward<Work>(work));
  std::shared_ptr<ConcurrencyLimiter> limiter = m.limiter;
  auto start = [&m, inline_ok, task, limiter, refuse] {
    auto run = [task, limiter] {
      (*task)();
      limiter->Leave();
    };
    if (inline_ok) return run();
    if (!m.executor->Submit(run)) {
      refuse(UnavailableError(OverloadedMessage(m.name)));
      limiter->Leave();
    }
  };
  if (!limiter->Enter(std::move(start))) refuse(UnavailableError(limiter->RefusalMessage(m.name)));
}

}  // namespace ferry::serving
