#include "runtime/batching_model.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

namespace ferry::runtime {
namespace {

using protocol::Frame;
using protocol::Tensor;
using namespace std::chrono_literals;

constexpr double kPoison = -999;  // a row holding this makes the whole predict fail

// Per-row results that depend on every cell, the method and the column names,
// so a row answered from someone else's slot shows. Records each call's rows.
class FakeModel : public Model {
 public:
  explicit FakeModel(std::chrono::microseconds cost = 200us, bool scalar_output = false)
      : cost_(cost), scalar_output_(scalar_output) {
    info_.framework = "fake";
    info_.methods = {PredictMethod::kPredict, PredictMethod::kPredictProba};
  }
  const ModelInfo& info() const override { return info_; }
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    std::this_thread::sleep_for(cost_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      call_rows_.push_back(x.rows);
    }
    if (x.numeric.size() != x.rows * x.cols) return InternalError("frame is inconsistent");
    std::vector<double> out;
    for (size_t r = 0; r < x.rows; ++r) {
      double sum = 0;
      for (size_t c = 0; c < x.cols; ++c) {
        if (x.at(r, c) == kPoison) return InvalidArgumentError("poisoned row");
        sum += x.at(r, c) * static_cast<double>(c + 1);
      }
      if (x.has_strings()) sum += static_cast<double>(x.str_at(r, 0).size()) * 1000;
      sum += x.names.empty() ? 0 : static_cast<double>(x.names[0].size()) * 0.5;
      out.push_back(sum);
      if (method == PredictMethod::kPredictProba) {
        out.push_back(sum * 2);
        out.push_back(-sum);
      }
    }
    if (scalar_output_) return Tensor::FromDoubles({out.empty() ? 0 : out[0]}, {});
    if (method == PredictMethod::kPredictProba) {
      return Tensor::FromDoubles(std::move(out), {static_cast<int64_t>(x.rows), 3});
    }
    return Tensor::FromDoubles(std::move(out), {static_cast<int64_t>(x.rows)});
  }
  std::vector<size_t> call_rows() const {
    std::lock_guard<std::mutex> lock(mu_);
    return call_rows_;
  }

 private:
  ModelInfo info_;
  std::chrono::microseconds cost_;
  bool scalar_output_;
  mutable std::mutex mu_;
  mutable std::vector<size_t> call_rows_;
};

Frame RandomFrame(std::mt19937& rng, size_t rows, size_t cols) {
  Frame f = Frame::Numeric(rows, cols);
  std::uniform_real_distribution<double> d(-10, 10);
  for (double& v : f.numeric) v = d(rng);
  return f;
}

void ExpectSameTensor(const StatusOr<Tensor>& got, const StatusOr<Tensor>& want) {
  ASSERT_EQ(got.ok(), want.ok()) << got.status().ToString() << " vs " << want.status().ToString();
  if (!got.ok()) {
    EXPECT_EQ(got.status().code(), want.status().code());
    return;
  }
  EXPECT_EQ(got->shape, want->shape);
  EXPECT_EQ(got->datatype, want->datatype);
  EXPECT_EQ(got->raw, want->raw);  // bit-identical
}

// Runs `threads` callers × `per_thread` requests through `batching`,
// comparing each answer with the unbatched `reference`.
void Hammer(const Model& batching, const Model& reference, int threads, int per_thread,
            std::function<Frame(std::mt19937&, int)> make,
            std::function<PredictMethod(std::mt19937&)> method) {
  std::vector<std::thread> pool;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      for (int i = 0; i < per_thread; ++i) {
        Frame f = make(rng, t);
        PredictMethod m = method(rng);
        auto got = batching.Predict(f, m);
        auto want = reference.Predict(f, m);
        if (got.ok() != want.ok() ||
            (got.ok() && (got->raw != want->raw || got->shape != want->shape))) {
          ++mismatches;
        }
        ExpectSameTensor(got, want);
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(BatchingModelTest, ConcurrentCallersGetExactlyTheirOwnRows) {
  auto inner = std::make_unique<FakeModel>(300us);
  FakeModel reference(0us);
  BatchingModel model(std::move(inner), {16, 2ms, 2});
  Hammer(
      model, reference, 32, 40,
      [](std::mt19937& rng, int) { return RandomFrame(rng, 1 + rng() % 3, 4); },
      [](std::mt19937& rng) {
        return rng() % 2 ? PredictMethod::kPredict : PredictMethod::kPredictProba;
      });
  BatchingStats s = model.stats();
  EXPECT_EQ(s.requests, 32u * 40u);
  EXPECT_GT(s.largest_batch, 1u) << "no request was ever merged";
  EXPECT_LT(s.batches, s.requests);
  EXPECT_EQ(s.retried_alone, 0u);
}

TEST(BatchingModelTest, MergedPredictNeverExceedsMaxBatchSize) {
  auto inner = std::make_unique<FakeModel>(200us);
  const FakeModel* fake = inner.get();
  BatchingModel model(std::move(inner), {8, 5ms, 1});
  FakeModel reference(0us);
  Hammer(
      model, reference, 24, 20,
      [](std::mt19937& rng, int) { return RandomFrame(rng, 1 + rng() % 4, 2); },
      [](std::mt19937&) { return PredictMethod::kPredict; });
  for (size_t rows : fake->call_rows()) EXPECT_LE(rows, 8u);
  EXPECT_GT(model.stats().largest_batch, 1u);
}

TEST(BatchingModelTest, IncompatibleShapesAndMethodsAreNotMerged) {
  auto inner = std::make_unique<FakeModel>(300us);
  FakeModel reference(0us);
  BatchingModel model(std::move(inner), {32, 3ms, 2});
  // Threads differ in column count, column names and string columns.
  Hammer(
      model, reference, 24, 25,
      [](std::mt19937& rng, int t) {
        Frame f = RandomFrame(rng, 1 + rng() % 2, 3 + t % 3);
        if (t % 4 == 1) f.names = {"a", "b", "c"}, f.names.resize(f.cols, "x");
        if (t % 4 == 2) f.names = {"long_name"}, f.names.resize(f.cols, "x");
        if (t % 4 == 3) {
          f.MakeStringColumn(0);
          for (size_t r = 0; r < f.rows; ++r)
            f.strings[r * f.cols] = std::string(1 + rng() % 5, 's');
        }
        return f;
      },
      [](std::mt19937& rng) {
        return rng() % 2 ? PredictMethod::kPredict : PredictMethod::kPredictProba;
      });
  EXPECT_GT(model.stats().largest_batch, 1u);
}

TEST(BatchingModelTest, AFailingRequestFailsAloneAndTheOthersSucceed) {
  auto inner = std::make_unique<FakeModel>(300us);
  FakeModel reference(0us);
  BatchingModel model(std::move(inner), {16, 3ms, 1});
  Hammer(
      model, reference, 16, 30,
      [](std::mt19937& rng, int t) {
        Frame f = RandomFrame(rng, 1 + rng() % 2, 4);
        if (t % 5 == 0 && rng() % 2 == 0) f.numeric[0] = kPoison;
        return f;
      },
      [](std::mt19937&) { return PredictMethod::kPredict; });
  EXPECT_GT(model.stats().retried_alone, 0u);
}

TEST(BatchingModelTest, OutputThatCannotBeSplitByRowsIsRecomputedAlone) {
  BatchingModel model(std::make_unique<FakeModel>(300us, /*scalar_output=*/true), {8, 3ms, 1});
  FakeModel reference(0us, true);
  Hammer(
      model, reference, 8, 10, [](std::mt19937& rng, int) { return RandomFrame(rng, 1, 2); },
      [](std::mt19937&) { return PredictMethod::kPredict; });
  EXPECT_GT(model.stats().retried_alone, 0u);
}

TEST(BatchingModelTest, FullBatchGoesWithoutWaitingForTheDelay) {
  BatchingModel model(std::make_unique<FakeModel>(0us), {4, 30s, 1});
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  std::mt19937 rng(7);
  std::vector<Frame> frames;
  for (int i = 0; i < 4; ++i) frames.push_back(RandomFrame(rng, 1, 3));
  for (int i = 0; i < 4; ++i) {
    pool.emplace_back(
        [&, i] { EXPECT_TRUE(model.Predict(frames[i], PredictMethod::kPredict).ok()); });
  }
  for (auto& th : pool) th.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_EQ(model.stats().batches, 1u);
  EXPECT_EQ(model.stats().largest_batch, 4u);
}

TEST(BatchingModelTest, LoneRequestWaitsAtMostTheDelay) {
  BatchingModel model(std::make_unique<FakeModel>(0us), {8, 50ms, 1});
  std::mt19937 rng(3);
  Frame f = RandomFrame(rng, 1, 3);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(model.Predict(f, PredictMethod::kPredict).ok());
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 45ms);
  EXPECT_LT(waited, 5s);
}

// A tensor-native model (as PyTorch's): inputs "a" [rows, k] and "b" [rows, 1],
// outputs "output-0" [rows] = sum(a) * b and "output-1" [rows, k] = 2a.
// A row whose b is kPoison fails the whole call. Records each call's rows.
class FakeTensorModel : public Model {
 public:
  FakeTensorModel() {
    info_.framework = "fake-tensor";
    info_.tensor_io = true;
  }
  const ModelInfo& info() const override { return info_; }
  StatusOr<Tensor> Predict(const Frame&, PredictMethod) const override {
    return UnimplementedError("tensor-native");
  }
  StatusOr<std::vector<Tensor>> PredictTensors(const std::vector<Tensor>& in,
                                               PredictMethod) const override {
    if (in.size() != 2 || in[0].name != "a" || in[1].name != "b") {
      return InvalidArgumentError("want a, b");
    }
    const int64_t rows = in[0].shape[0], k = in[0].shape[1];
    if (in[0].num_elements() != rows * k || in[1].num_elements() != rows) {
      return InternalError("inconsistent inputs");
    }
    std::vector<double> av, bv;
    for (int64_t i = 0; i < rows * k; ++i) av.push_back(in[0].AsDouble(i));
    for (int64_t i = 0; i < rows; ++i) bv.push_back(in[1].AsDouble(i));
    const std::vector<double>* a = &av;
    const std::vector<double>* b = &bv;
    {
      std::lock_guard<std::mutex> lock(mu_);
      call_rows_.push_back(static_cast<size_t>(rows));
    }
    std::vector<double> sums, twice;
    for (int64_t r = 0; r < rows; ++r) {
      if ((*b)[r] == kPoison) return InvalidArgumentError("poisoned row");
      double sum = 0;
      for (int64_t c = 0; c < k; ++c) {
        sum += (*a)[r * k + c];
        twice.push_back(2 * (*a)[r * k + c]);
      }
      sums.push_back(sum * (*b)[r]);
    }
    std::vector<Tensor> out{Tensor::FromDoubles(std::move(sums), {rows}),
                            Tensor::FromDoubles(std::move(twice), {rows, k})};
    out[0].name = "output-0";
    out[1].name = "output-1";
    return out;
  }
  std::vector<size_t> call_rows() const {
    std::lock_guard<std::mutex> lock(mu_);
    return call_rows_;
  }

 private:
  ModelInfo info_;
  mutable std::mutex mu_;
  mutable std::vector<size_t> call_rows_;
};

std::vector<Tensor> TensorCall(double seed, int64_t k, double b = 1.5) {
  std::vector<double> a;
  for (int64_t c = 0; c < k; ++c) a.push_back(seed + static_cast<double>(c));
  std::vector<Tensor> in{Tensor::FromDoubles(std::move(a), {1, k}), Tensor::FromDoubles({b}, {1, 1})};
  in[0].name = "a";
  in[1].name = "b";
  return in;
}

void ExpectSameTensors(const StatusOr<std::vector<Tensor>>& got,
                       const StatusOr<std::vector<Tensor>>& want) {
  ASSERT_EQ(got.ok(), want.ok()) << got.status().ToString() << " vs " << want.status().ToString();
  if (!got.ok()) return;
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < got->size(); ++i) {
    EXPECT_EQ((*got)[i].name, (*want)[i].name);
    EXPECT_EQ((*got)[i].shape, (*want)[i].shape);
    EXPECT_EQ((*got)[i].raw, (*want)[i].raw);
  }
}

TEST(BatchingModelTest, TensorCallsAreMergedAndSplitBackPerCaller) {
  auto inner = std::make_unique<FakeTensorModel>();
  const FakeTensorModel* fake = inner.get();
  FakeTensorModel reference;
  // A full batch (4 one-row calls) goes at once; the 30 s delay never elapses.
  BatchingModel model(std::move(inner), {4, 30s, 1});
  std::vector<std::vector<Tensor>> calls;
  for (int i = 0; i < 4; ++i) calls.push_back(TensorCall(10.0 * i, 3));
  std::vector<StatusOr<std::vector<Tensor>>> got(4, InternalError("not run"));
  std::vector<std::thread> pool;
  for (int i = 0; i < 4; ++i) {
    pool.emplace_back([&, i] { got[i] = model.PredictTensors(calls[i], PredictMethod::kPredict); });
  }
  for (auto& th : pool) th.join();
  for (int i = 0; i < 4; ++i) {
    ExpectSameTensors(got[i], reference.PredictTensors(calls[i], PredictMethod::kPredict));
  }
  EXPECT_EQ(fake->call_rows(), std::vector<size_t>{4});
  EXPECT_EQ(model.stats().largest_batch, 4u);
}

TEST(BatchingModelTest, TensorCallsOfOtherShapesOrFailingRowsStayApart) {
  auto inner = std::make_unique<FakeTensorModel>();
  FakeTensorModel reference;
  BatchingModel model(std::move(inner), {4, 2ms, 1});
  // Threads differ in the inputs' second dimension; some rows fail.
  std::atomic<int> mismatches{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 12; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto in = TensorCall(t * 100.0 + i, 2 + t % 3, (t % 5 == 0 && i % 3 == 0) ? kPoison : 1.5);
        auto got = model.PredictTensors(in, PredictMethod::kPredict);
        auto want = reference.PredictTensors(in, PredictMethod::kPredict);
        if (got.ok() != want.ok() || (got.ok() && ((*got)[0].raw != (*want)[0].raw ||
                                                   (*got)[1].raw != (*want)[1].raw ||
                                                   (*got)[1].shape != (*want)[1].shape))) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(model.stats().retried_alone, 0u);
}

TEST(BatchingModelTest, LargeAndEmptyRequestsBypassTheQueue) {
  BatchingModel model(std::make_unique<FakeModel>(0us), {4, 30s, 1});
  std::mt19937 rng(5);
  Frame big = RandomFrame(rng, 4, 3);
  FakeModel reference(0us);
  ExpectSameTensor(model.Predict(big, PredictMethod::kPredict),
                   reference.Predict(big, PredictMethod::kPredict));
  EXPECT_EQ(model.stats().requests, 0u);
  EXPECT_EQ(model.info().framework, "fake");
}

TEST(BatchingModelTest, EnableBatchingWrapsOnlyWhenOn) {
  ServedModel served;
  served.model = std::make_unique<FakeModel>();
  EXPECT_EQ(EnableBatching(&served, {1, 1ms, 1}), 0);
  EXPECT_EQ(RecommendedCallerThreads(*served.model), 0);
  EXPECT_EQ(EnableBatching(&served, {16, 1ms, 2}), 32);
  EXPECT_EQ(RecommendedCallerThreads(*served.model), 32);
}

TEST(BatchingModelTest, KServeBatcherSpec) {
  auto isvc = [](const char* batcher) {
    nlohmann::json j = {{"spec", {{"predictor", {{"model", {{"storageUri", "s3://b"}}}}}}}};
    if (batcher != nullptr) j["spec"]["predictor"]["batcher"] = nlohmann::json::parse(batcher);
    return j;
  };
  auto none = BatchingFromInferenceService(isvc(nullptr));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto defaults = BatchingFromInferenceService(isvc("{}"));
  ASSERT_TRUE(defaults.ok() && defaults->has_value());
  EXPECT_EQ((*defaults)->max_batch_size, 32);
  EXPECT_EQ((*defaults)->max_delay, std::chrono::milliseconds(5000));
  auto set =
      BatchingFromInferenceService(isvc(R"({"maxBatchSize":64,"maxLatency":7,"timeout":60})"));
  ASSERT_TRUE(set.ok() && set->has_value());
  EXPECT_EQ((*set)->max_batch_size, 64);
  EXPECT_EQ((*set)->max_delay, std::chrono::milliseconds(7));
  auto bad = BatchingFromInferenceService(isvc(R"({"maxBatchSize":"big"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("spec.predictor.batcher.maxBatchSize"), std::string::npos);
  EXPECT_FALSE(BatchingFromInferenceService(isvc(R"({"maxLatency":-1})")).ok());
  EXPECT_FALSE(BatchingFromInferenceService(isvc(R"({"maxBatchSize":0})")).ok());
  auto no_wait = BatchingFromInferenceService(isvc(R"({"maxLatency":0})"));
  ASSERT_TRUE(no_wait.ok() && no_wait->has_value());
  EXPECT_EQ((*no_wait)->max_delay, std::chrono::milliseconds(0));
  EXPECT_FALSE(BatchingFromInferenceService(isvc("[1]")).ok());

  ServedModel served;
  served.model = std::make_unique<FakeModel>();
  auto eight = BatchingFromInferenceService(isvc(R"({"maxBatchSize":8})"));
  ASSERT_TRUE(eight.ok() && eight->has_value());
  EXPECT_GT(EnableBatching(&served, **eight), 0);
  EXPECT_GT(RecommendedCallerThreads(*served.model), 0);
}

}  // namespace
}  // namespace ferry::runtime
