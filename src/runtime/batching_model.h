// BatchingModel: dynamic (server-side) batching around any Model. Concurrent
// Predict calls whose Frames are compatible — same method, same columns
// (count, names, string columns) — are merged into one Predict on the wrapped
// model by concatenating their rows, and the result is split back by rows, so
// each caller gets exactly the rows it would have got alone.
//
// Who: `ferry serve --max_batch_size` (src/main) and the controller for an
// InferenceService with `spec.predictor.batcher` (KServe's field) wrap the
// loaded ServedModel's model with EnableBatching(); the HTTP and gRPC layers
// keep calling Model::Predict and never know.
//
// Policy (KServe's batcher: a batch goes when it reaches maxBatchSize rows or
// its oldest request has waited maxLatency): requests queue in arrival order;
// the caller at the head of the queue leads — it waits until the queued rows
// reach max_batch_size or its own wait reaches max_delay, then takes every
// queued request compatible with the head (up to max_batch_size rows), runs
// them as one predict and hands each caller its rows. At most
// max_concurrent_batches merged predicts run at once; while they run, the
// queue grows (so under load, batches form even with max_delay 0). A request
// with max_batch_size rows or more, or no rows, runs alone at once.
// Errors stay per request: if a merged predict fails (or its output cannot be
// split by rows), every request of that batch is retried alone on its own
// thread, so only the bad one fails.
//
// Threads: Predict is thread-safe and blocks the calling thread until its
// result is ready (up to max_delay plus the predict). Batches can only be as
// large as the number of threads calling at once, so callers should run
// predicts on a pool of at least RecommendedCallerThreads() threads.
// Ownership: the BatchingModel owns the wrapped model.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <vector>

#include "common/status.h"
#include "runtime/model.h"
#include "runtime/served_model.h"

namespace ferry::runtime {

struct BatchingOptions {
  int max_batch_size = 32;  // rows per merged predict (KServe maxBatchSize); <= 1 = off
  std::chrono::microseconds max_delay{5000 * 1000};  // KServe maxLatency (default 5000 ms)
  int max_concurrent_batches = 0;                    // 0 = one per core
};

struct BatchingStats {
  uint64_t requests = 0;       // Predict calls that went through the queue
  uint64_t batches = 0;        // merged predicts run (a batch of one counts)
  uint64_t largest_batch = 0;  // most requests merged into one predict
  uint64_t retried_alone = 0;  // requests re-run alone after their batch failed
};

class BatchingModel final : public Model {
 public:
  BatchingModel(std::unique_ptr<Model> inner, BatchingOptions options);
  ~BatchingModel() override;

  const ModelInfo& info() const override { return inner_->info(); }
  StatusOr<protocol::Tensor> Predict(const protocol::Frame& x, PredictMethod method) const override;
  // Tensor-native calls (PyTorch) are merged the same way when their inputs
  // agree in names, datatypes and every dimension but the first: each input
  // is concatenated along the first dimension and every output split back.
  // Calls whose inputs differ in their first dimension, hold BYTES or nulls
  // run alone.
  StatusOr<std::vector<protocol::Tensor>> PredictTensors(const std::vector<protocol::Tensor>& inputs,
                                                         PredictMethod method) const override;

  const BatchingOptions& options() const { return options_; }
  BatchingStats stats() const;
  // Threads worth having call Predict at once for full batches.
  int RecommendedCallerThreads() const;

  struct Pending;  // one queued call (batching_model.cc)

 private:
  bool Wait(Pending& p) const;
  void RunBatch(std::unique_lock<std::mutex>& lock) const;

  std::unique_ptr<Model> inner_;
  BatchingOptions options_;
  mutable std::mutex mu_;
  mutable std::deque<Pending*> queue_;  // guarded by mu_; arrival order
  mutable size_t queued_rows_ = 0;      // guarded by mu_
  mutable int in_flight_ = 0;           // merged predicts running; guarded by mu_
  mutable std::atomic<uint64_t> requests_{0}, batches_{0}, largest_{0}, retried_{0};
};

// Wraps served->model in a BatchingModel when options.max_batch_size > 1.
// Returns the executor size the model wants (RecommendedCallerThreads), or 0
// when batching stays off.
int EnableBatching(ServedModel* served, const BatchingOptions& options);

// RecommendedCallerThreads() of `model` when it is a BatchingModel, else 0.
int RecommendedCallerThreads(const Model& model);

// KServe's `spec.predictor.batcher {maxBatchSize, maxLatency (ms), timeout}`
// of an InferenceService: nullopt when absent; InvalidArgument naming the
// field and the fix for values that are not integers in range (maxBatchSize
// >= 1; maxLatency >= 0, 0 = no waiting). `timeout`
// (KServe's agent-side request timeout) is accepted and not used.
StatusOr<std::optional<BatchingOptions>> BatchingFromInferenceService(const nlohmann::json& isvc);

}  // namespace ferry::runtime
