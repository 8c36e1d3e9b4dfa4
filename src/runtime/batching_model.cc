#include "runtime/batching_model.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>
#include <type_traits>
#include <vector>

namespace ferry::runtime {

using protocol::Frame;
using protocol::Tensor;
using Clock = std::chrono::steady_clock;

struct BatchingModel::Pending {
  // One of the two: a Frame call (Predict) or a tensor-native call (PredictTensors).
  const Frame* x = nullptr;
  const std::vector<Tensor>* tensors = nullptr;
  size_t rows = 0;
  PredictMethod method = PredictMethod::kPredict;
  Clock::time_point enqueued;
  std::condition_variable cv;  // signalled when done, or when this call must lead
  bool taken = false;          // in a batch that is running
  bool done = false;
  bool retry_alone = false;  // its batch failed: run it alone on its own thread
  std::optional<StatusOr<Tensor>> result;
  std::optional<StatusOr<std::vector<Tensor>>> tensor_result;
};

namespace {

bool Compatible(const Frame& a, PredictMethod ma, const Frame& b, PredictMethod mb) {
  return ma == mb && a.cols == b.cols && a.names == b.names && a.string_cols == b.string_cols;
}

// Tensor calls merge when their inputs agree in order, names, datatypes and
// every dimension but the first (the rows).
bool Compatible(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].datatype != b[i].datatype ||
        a[i].shape.size() != b[i].shape.size() ||
        !std::equal(a[i].shape.begin() + 1, a[i].shape.end(), b[i].shape.begin() + 1)) {
      return false;
    }
  }
  return true;
}

bool Compatible(const BatchingModel::Pending& a, const BatchingModel::Pending& b) {
  if (a.method != b.method || (a.x == nullptr) != (b.x == nullptr)) return false;
  return a.x != nullptr ? Compatible(*a.x, a.method, *b.x, b.method)
                        : Compatible(*a.tensors, *b.tensors);
}

// The rows of a tensor call that can join a batch: every input has the same
// first dimension and fixed-size elements with no nulls; 0 otherwise (the
// call then runs alone).
size_t BatchableRows(const std::vector<Tensor>& inputs) {
  if (inputs.empty() || inputs[0].shape.empty() || inputs[0].shape[0] <= 0) return 0;
  for (const Tensor& t : inputs) {
    auto count = protocol::ElementCount(t.shape);
    if (t.shape.empty() || t.shape[0] != inputs[0].shape[0] ||
        protocol::ElementSize(t.datatype) == 0 || !t.null_mask.empty() || !count.ok() ||
        t.raw.size() != static_cast<size_t>(*count) * protocol::ElementSize(t.datatype)) {
      return 0;
    }
  }
  return static_cast<size_t>(inputs[0].shape[0]);
}

// The batch's inputs concatenated along the first dimension.
std::vector<Tensor> MergeTensors(const std::vector<BatchingModel::Pending*>& batch, size_t rows) {
  std::vector<Tensor> out = *batch[0]->tensors;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].shape[0] = static_cast<int64_t>(rows);
    out[i].raw.clear();
    for (const auto* p : batch) {
      const auto& raw = (*p->tensors)[i].raw;
      out[i].raw.insert(out[i].raw.end(), raw.begin(), raw.end());
    }
  }
  return out;
}

Frame Merge(const std::vector<BatchingModel::Pending*>& batch, size_t rows) {
  const Frame& first = *batch[0]->x;
  Frame out;
  out.rows = rows;
  out.cols = first.cols;
  out.names = first.names;
  out.string_cols = first.string_cols;
  out.numeric.reserve(rows * first.cols);
  if (first.has_strings()) {
    out.strings.reserve(rows * first.cols);
    out.missing.reserve(rows * first.cols);
  }
  for (const auto* p : batch) {
    const Frame& f = *p->x;
    out.numeric.insert(out.numeric.end(), f.numeric.begin(), f.numeric.end());
    if (first.has_strings()) {
      out.strings.insert(out.strings.end(), f.strings.begin(), f.strings.end());
      out.missing.insert(out.missing.end(), f.missing.begin(), f.missing.end());
    }
  }
  return out;
}

// Rows [row0, row0 + rows) of a tensor whose first dimension is the batch.
Tensor SliceRows(const Tensor& t, size_t row0, size_t rows) {
  Tensor out;
  out.name = t.name;
  out.datatype = t.datatype;
  out.parameters = t.parameters;
  out.shape = t.shape;
  out.shape[0] = static_cast<int64_t>(rows);
  size_t per_row = 1;
  for (size_t i = 1; i < t.shape.size(); ++i) per_row *= static_cast<size_t>(t.shape[i]);
  size_t begin = row0 * per_row, n = rows * per_row;
  if (size_t es = protocol::ElementSize(t.datatype); es > 0) {
    out.raw.assign(t.raw.begin() + begin * es, t.raw.begin() + (begin + n) * es);
  } else {
    out.bytes.assign(t.bytes.begin() + begin, t.bytes.begin() + begin + n);
  }
  if (!t.null_mask.empty()) {
    out.null_mask.assign(t.null_mask.begin() + begin, t.null_mask.begin() + begin + n);
  }
  return out;
}

// True when `t` holds `rows` rows in its first dimension with consistent storage.
bool SplittableByRows(const Tensor& t, size_t rows) {
  if (t.shape.empty() || t.shape[0] != static_cast<int64_t>(rows)) return false;
  auto count = protocol::ElementCount(t.shape);
  return count.ok() && t.num_elements() == *count &&
         (t.null_mask.empty() || t.null_mask.size() == static_cast<size_t>(*count));
}

// A tensor call's outputs split when there are some and every one holds the batch's rows.
bool SplittableByRows(const std::vector<Tensor>& outputs, size_t rows) {
  if (outputs.empty()) return false;
  for (const Tensor& t : outputs) {
    if (!SplittableByRows(t, rows)) return false;
  }
  return true;
}

std::vector<Tensor> SliceRows(const std::vector<Tensor>& outputs, size_t row0, size_t rows) {
  std::vector<Tensor> mine;
  mine.reserve(outputs.size());
  for (const Tensor& t : outputs) mine.push_back(SliceRows(t, row0, rows));
  return mine;
}

// The batch's result from the inner model: a call alone as it came, else the merged inputs.
StatusOr<Tensor> PredictFrameBatch(const Model& inner,
                                   const std::vector<BatchingModel::Pending*>& batch, size_t rows) {
  const BatchingModel::Pending& head = *batch[0];
  return batch.size() == 1 ? inner.Predict(*head.x, head.method)
                           : inner.Predict(Merge(batch, rows), head.method);
}

StatusOr<std::vector<Tensor>> PredictTensorBatch(const Model& inner,
                                                 const std::vector<BatchingModel::Pending*>& batch,
                                                 size_t rows) {
  const BatchingModel::Pending& head = *batch[0];
  return batch.size() == 1 ? inner.PredictTensors(*head.tensors, head.method)
                           : inner.PredictTensors(MergeTensors(batch, rows), head.method);
}

// Where a call's answer goes: Predict's result or PredictTensors'.
template <typename R>
std::optional<StatusOr<R>>& ResultOf(BatchingModel::Pending& p) {
  if constexpr (std::is_same_v<R, Tensor>) {
    return p.result;
  } else {
    return p.tensor_result;
  }
}

// Hands every call of `batch` its answer and wakes it: the whole result for a call that ran
// alone, its rows of a result that `split`s, else a retry on its own thread.
template <typename R>
void Distribute(const std::vector<BatchingModel::Pending*>& batch, StatusOr<R>& merged,
                bool split) {
  size_t row0 = 0;
  for (BatchingModel::Pending* q : batch) {
    if (batch.size() == 1) {
      ResultOf<R>(*q) = std::move(merged);
    } else if (split) {
      ResultOf<R>(*q) = SliceRows(*merged, row0, q->rows);
    } else {
      q->retry_alone = true;
    }
    row0 += q->rows;
    q->done = true;
    q->cv.notify_one();
  }
}

}  // namespace

BatchingModel::BatchingModel(std::unique_ptr<Model> inner, BatchingOptions options)
    : inner_(std::move(inner)), options_(options) {
  if (options_.max_concurrent_batches <= 0) {
    options_.max_concurrent_batches =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  options_.max_batch_size = std::max(1, options_.max_batch_size);
}

BatchingModel::~BatchingModel() = default;

BatchingStats BatchingModel::stats() const {
  return {requests_.load(), batches_.load(), largest_.load(), retried_.load()};
}

int BatchingModel::RecommendedCallerThreads() const {
  return std::min(1024, options_.max_batch_size * options_.max_concurrent_batches);
}

StatusOr<Tensor> BatchingModel::Predict(const Frame& x, PredictMethod method) const {
  if (x.rows == 0 || x.rows >= static_cast<size_t>(options_.max_batch_size)) {
    return inner_->Predict(x, method);
  }
  Pending p;
  p.x = &x;
  p.rows = x.rows;
  p.method = method;
  if (!Wait(p)) return inner_->Predict(x, method);
  return std::move(*p.result);
}

StatusOr<std::vector<Tensor>> BatchingModel::PredictTensors(const std::vector<Tensor>& inputs,
                                                            PredictMethod method) const {
  const size_t rows = BatchableRows(inputs);
  if (rows == 0 || rows >= static_cast<size_t>(options_.max_batch_size)) {
    return inner_->PredictTensors(inputs, method);
  }
  Pending p;
  p.tensors = &inputs;
  p.rows = rows;
  p.method = method;
  if (!Wait(p)) return inner_->PredictTensors(inputs, method);
  return std::move(*p.tensor_result);
}

// Queues `p` and returns once it is done (possibly after leading a batch): true with its result
// set, false when its batch's result did not split and it must run alone.
bool BatchingModel::Wait(Pending& p) const {
  requests_.fetch_add(1, std::memory_order_relaxed);
  p.enqueued = Clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&p);
  queued_rows_ += p.rows;
  // A full queue must not wait for the head's delay.
  if (queue_.front() != &p && queued_rows_ >= static_cast<size_t>(options_.max_batch_size)) {
    queue_.front()->cv.notify_one();
  }
  while (!p.done) {
    bool leads =
        !queue_.empty() && queue_.front() == &p && in_flight_ < options_.max_concurrent_batches;
    if (!leads) {
      p.cv.wait(lock);
      continue;
    }
    Clock::time_point deadline = p.enqueued + options_.max_delay;
    if (queued_rows_ >= static_cast<size_t>(options_.max_batch_size) || Clock::now() >= deadline) {
      RunBatch(lock);
    } else {
      p.cv.wait_until(lock, deadline);
    }
  }
  if (p.retry_alone) retried_.fetch_add(1, std::memory_order_relaxed);
  return !p.retry_alone;
}

// Called with `lock` held by the head of the queue; returns with it held.
void BatchingModel::RunBatch(std::unique_lock<std::mutex>& lock) const {
  const Pending& head = *queue_.front();
  std::vector<Pending*> batch;
  std::deque<Pending*> rest;
  size_t rows = 0;
  for (Pending* q : queue_) {
    if (rows + q->rows <= static_cast<size_t>(options_.max_batch_size) && Compatible(head, *q)) {
      q->taken = true;
      rows += q->rows;
      batch.push_back(q);
    } else {
      rest.push_back(q);
    }
  }
  queue_.swap(rest);
  queued_rows_ -= rows;
  ++in_flight_;
  // The new head may lead a batch of its own meanwhile.
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  lock.unlock();

  batches_.fetch_add(1, std::memory_order_relaxed);
  uint64_t seen = largest_.load(std::memory_order_relaxed);
  while (batch.size() > seen && !largest_.compare_exchange_weak(seen, batch.size())) {
  }
  // The inner model runs outside the lock; then every caller gets its answer.
  auto answer = [&](auto merged) {
    bool split = batch.size() > 1 && merged.ok() && SplittableByRows(*merged, rows);
    lock.lock();
    --in_flight_;
    Distribute(batch, merged, split);
    if (!queue_.empty()) queue_.front()->cv.notify_one();
  };
  if (head.x != nullptr) {
    answer(PredictFrameBatch(*inner_, batch, rows));
  } else {
    answer(PredictTensorBatch(*inner_, batch, rows));
  }
}

int RecommendedCallerThreads(const Model& model) {
  const auto* b = dynamic_cast<const BatchingModel*>(&model);
  return b == nullptr ? 0 : b->RecommendedCallerThreads();
}

int EnableBatching(ServedModel* served, const BatchingOptions& options) {
  if (options.max_batch_size <= 1 || served->model == nullptr) return 0;
  auto wrapped = std::make_unique<BatchingModel>(std::move(served->model), options);
  int threads = wrapped->RecommendedCallerThreads();
  served->model = std::move(wrapped);
  return threads;
}

namespace {

// An integer field of `batcher` in [min, max], or nullopt when absent.
StatusOr<std::optional<int64_t>> IntField(const nlohmann::json& batcher, const char* key,
                                          int64_t min, int64_t max) {
  auto it = batcher.find(key);
  if (it == batcher.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    return InvalidArgumentError("spec.predictor.batcher." + std::string(key) + " is " + it->dump() +
                                "; set it to an integer from " + std::to_string(min) + " to " +
                                std::to_string(max) + " or remove it for KServe's default");
  }
  return std::optional<int64_t>(it->get<int64_t>());
}

}  // namespace

StatusOr<std::optional<BatchingOptions>> BatchingFromInferenceService(const nlohmann::json& isvc) {
  const nlohmann::json* batcher = nullptr;
  if (isvc.is_object() && isvc.contains("spec") && isvc["spec"].is_object() &&
      isvc["spec"].contains("predictor") && isvc["spec"]["predictor"].is_object()) {
    auto it = isvc["spec"]["predictor"].find("batcher");
    if (it != isvc["spec"]["predictor"].end()) batcher = &*it;
  }
  if (batcher == nullptr || batcher->is_null()) return std::optional<BatchingOptions>();
  if (!batcher->is_object()) {
    return InvalidArgumentError(
        "spec.predictor.batcher must be an object such as "
        "{maxBatchSize: 32, maxLatency: 10}");
  }
  BatchingOptions o;  // KServe's defaults: 32 rows, 5000 ms
  ASSIGN_OR_RETURN(auto size, IntField(*batcher, "maxBatchSize", 1, 65536));
  ASSIGN_OR_RETURN(auto latency, IntField(*batcher, "maxLatency", 0, 600000));
  ASSIGN_OR_RETURN(auto timeout, IntField(*batcher, "timeout", 0, 86400));
  (void)timeout;
  if (size) o.max_batch_size = static_cast<int>(*size);
  if (latency) o.max_delay = std::chrono::milliseconds(*latency);
  return std::optional<BatchingOptions>(o);
}

}  // namespace ferry::runtime
