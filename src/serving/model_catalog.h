// ModelCatalog: an immutable snapshot of the models one listener serves.
//
// The control plane (ferry serve's loader, later ferry up's controller)
// builds a new catalog and swaps it into the ModelRouter; requests read the
// snapshot they started with, so loads and unloads never race a request.
// ModelEntry is shared between snapshots; only its atomics change in place.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/served_model.h"
#include "serving/concurrency_limiter.h"
#include "serving/executor.h"
#include "serving/metrics.h"

namespace ferry::serving {

struct ModelEntry {
  enum class State { kLoading, kReady, kFailed };

  std::string name;
  State state = State::kLoading;
  std::string failure;                                 // why loading failed (kFailed)
  std::shared_ptr<const runtime::ServedModel> served;  // set when kReady
  Metrics::ModelCounters* counters = nullptr;
  std::shared_ptr<Executor> executor;  // runs predicts too slow for an I/O thread
  // How long one request may take from arrival to answer (KServe's
  // spec.predictor.timeout, Knative's timeoutSeconds); past it the predict is
  // stopped and the request answered 504. Zero: no limit.
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
  // spec.predictor.containerConcurrency: bounds the requests in the model
  // (serving/dispatch.h, for REST and gRPC alike); null = no limit.
  std::shared_ptr<ConcurrencyLimiter> limiter;
  // Moving average of predict time; decides inline vs executor.
  mutable std::atomic<double> ewma_predict_us{0};
};

struct ModelCatalog {
  std::vector<std::shared_ptr<const ModelEntry>> models;

  const ModelEntry* Find(std::string_view name) const {
    for (const auto& m : models) {
      if (m->name == name) return m.get();
    }
    return nullptr;
  }
  bool AllReady() const {
    for (const auto& m : models) {
      if (m->state != ModelEntry::State::kReady) return false;
    }
    return !models.empty();
  }
};

// How a request held for a model scaled to zero goes on (the activator, `ferry up`'s
// controller, calls it exactly once from any thread): the catalog to route it to, or null and
// the reason the model cannot be served (answered 503).
using ResumeParked = std::function<void(std::shared_ptr<const ModelCatalog>, std::string)>;

}  // namespace ferry::serving
