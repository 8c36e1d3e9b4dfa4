#include "serving/predict_call.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <new>
#include <string_view>

#include "serving/request_context.h"

namespace ferry::serving {

DeadlineClock::time_point RequestDeadline(const ModelEntry& m, DeadlineClock::time_point received) {
  if (m.timeout.count() <= 0) return kNoDeadline;
  // A request built in-process (tests, the gateway's internal calls) may
  // carry no arrival time: count from now.
  if (received == DeadlineClock::time_point{}) received = DeadlineClock::now();
  return received + m.timeout;
}

namespace {

std::string Seconds(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

Status TimedOut(const ModelEntry& m, std::string_view what) {
  return DeadlineExceededError(
      "model " + m.name + " did not answer within its timeout of " + Seconds(m.timeout) + ": " +
      std::string(what) +
      ". Send fewer rows per request, or raise the InferenceService's spec.predictor.timeout "
      "(seconds; `ferry serve --predict_timeout_seconds`)");
}

// Runs `predict` and turns an exception out of the model into INTERNAL.
template <typename Predict>
auto Guarded(const ModelEntry& m, size_t rows, Predict&& predict) -> decltype(predict()) {
  try {
    return predict();
  } catch (const std::bad_alloc&) {
    return InternalError("model " + m.name + " ran out of memory in predict (" +
                         std::to_string(rows) + " rows); send fewer rows per request");
  } catch (const std::exception& e) {
    return InternalError("model " + m.name + " failed in predict: " + e.what());
  } catch (...) {
    return InternalError("model " + m.name + " failed in predict with an unknown exception");
  }
}

// Runs `predict` (a model call over `rows` rows, started at t0) under `deadline` and folds its
// time into the model's moving average. One result object, returned by name: no move of it.
template <typename Predict>
auto Measured(const ModelEntry& m, size_t rows, runtime::PredictMethod method,
              DeadlineClock::time_point deadline, std::chrono::steady_clock::time_point t0,
              Predict&& predict) -> decltype(predict()) {
  decltype(predict()) out = [&] {
    ScopedDeadline scope(deadline, m.name);
    return Guarded(m, rows, predict);
  }();
  auto t1 = std::chrono::steady_clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
  m.predict_ns.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
  m.predicts.fetch_add(1, std::memory_order_relaxed);
  // Contributions never run inline (ContributionsRunInline), so their far
  // longer times stay out of the average that decides where predicts run.
  if (method != runtime::PredictMethod::kContributions) {
    double us = static_cast<double>(ns) / 1000;
    double prev = m.ewma_predict_us.load(std::memory_order_relaxed);
    m.ewma_predict_us.store(prev == 0 ? us : prev * 0.9 + us * 0.1, std::memory_order_relaxed);
  }
  if (!out.ok() && out.status().code() == StatusCode::kDeadlineExceeded && t1 >= deadline) {
    out =
        TimedOut(m, "its predict of " + std::to_string(rows) + " rows was stopped at the deadline");
  }
  return out;
}

// Measured, unless the request is already past its deadline.
template <typename Predict>
auto Timed(const ModelEntry& m, size_t rows, runtime::PredictMethod method,
           DeadlineClock::time_point deadline, Predict&& predict) -> decltype(predict()) {
  auto t0 = std::chrono::steady_clock::now();
  if (t0 >= deadline) {
    return TimedOut(m, "the request waited in the model's queue until its deadline had passed");
  }
  return Measured(m, rows, method, deadline, t0, predict);
}

}  // namespace

StatusOr<protocol::Tensor> TimedPredict(const ModelEntry& m, const protocol::Frame& frame,
                                        runtime::PredictMethod method,
                                        DeadlineClock::time_point deadline) {
  return Timed(m, frame.rows, method, deadline,
               [&] { return m.served->model->Predict(frame, method); });
}

StatusOr<std::vector<protocol::Tensor>> TimedPredictTensors(const ModelEntry& m,
                                                            const protocol::InferRequest& request,
                                                            runtime::PredictMethod method,
                                                            DeadlineClock::time_point deadline) {
  size_t rows = TensorRequestRows(request);
  StatusOr<std::vector<protocol::Tensor>> out = Timed(m, rows, method, deadline, [&] {
    return m.served->model->PredictTensors(request.inputs, method);
  });
  return out;
}

size_t TensorRequestRows(const protocol::InferRequest& request) {
  if (request.inputs.empty() || request.inputs[0].shape.empty()) return 1;
  return static_cast<size_t>(std::max<int64_t>(request.inputs[0].shape[0], 0));
}

bool RunsInline(const ModelEntry& m, size_t rows, double threshold_us, size_t max_rows) {
  return rows <= max_rows && m.ewma_predict_us.load(std::memory_order_relaxed) <= threshold_us;
}

size_t InlineCostRows(runtime::PredictMethod method, size_t rows) {
  return method == runtime::PredictMethod::kContributions ? std::numeric_limits<size_t>::max()
                                                          : rows;
}

std::string Uuid4() {
  std::string out(36, '-');
  WriteUuid4(out.data());
  return out;
}

}  // namespace ferry::serving
