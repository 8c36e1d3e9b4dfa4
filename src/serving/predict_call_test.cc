#include "serving/predict_call.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <stdexcept>

namespace ferry::serving {
namespace {

using namespace std::chrono_literals;
using protocol::DataType;

// How the model behaves in Predict.
enum class Mode { kAnswer, kThrow, kLoopUntilDeadline };

class ScriptedModel : public runtime::Model {
 public:
  ScriptedModel(Mode mode, std::atomic<int>* calls) : mode_(mode), calls_(calls) {
    info_.framework = "scripted";
    info_.methods = {runtime::PredictMethod::kPredict};
  }
  const runtime::ModelInfo& info() const override { return info_; }
  StatusOr<protocol::Tensor> Predict(const protocol::Frame& x,
                                     runtime::PredictMethod) const override {
    ++*calls_;
    if (mode_ == Mode::kThrow) throw std::runtime_error("index 7 out of range");
    if (mode_ == Mode::kLoopUntilDeadline) {
      // A long computation that checks between chunks, like the runtimes.
      for (;;) {
        RETURN_IF_ERROR(CheckDeadline());
      }
    }
    protocol::Tensor t;
    t.datatype = DataType::kInt64;
    t.shape = {static_cast<int64_t>(x.rows)};
    t.raw.resize(x.rows * sizeof(int64_t));
    return t;
  }

 private:
  runtime::ModelInfo info_;
  Mode mode_;
  std::atomic<int>* calls_;
};

struct Fixture {
  std::atomic<int> calls{0};
  ModelEntry entry;
  protocol::Frame frame;
  explicit Fixture(Mode mode, std::chrono::milliseconds timeout = 50ms) {
    entry.name = "iris";
    entry.timeout = timeout;
    auto served = std::make_shared<runtime::ServedModel>();
    served->model = std::make_unique<ScriptedModel>(mode, &calls);
    entry.served = std::move(served);
    frame.rows = 2;
  }
};

TEST(TimedPredict, AnswersWithinTheDeadline) {
  Fixture f(Mode::kAnswer);
  auto out = TimedPredict(f.entry, f.frame, runtime::PredictMethod::kPredict,
                          RequestDeadline(f.entry, DeadlineClock::now()));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->shape[0], 2);
  EXPECT_GT(f.entry.ewma_predict_us.load(), 0.0);
}

TEST(TimedPredict, AnExceptionBecomesInternalAndNamesTheModel) {
  Fixture f(Mode::kThrow);
  auto out = TimedPredict(f.entry, f.frame, runtime::PredictMethod::kPredict);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInternal);
  EXPECT_EQ(out.status().message(), "model iris failed in predict: index 7 out of range");
}

TEST(TimedPredict, ALongPredictIsStoppedAtTheDeadline) {
  Fixture f(Mode::kLoopUntilDeadline, 30ms);
  auto t0 = DeadlineClock::now();
  auto out = TimedPredict(f.entry, f.frame, runtime::PredictMethod::kPredict,
                          RequestDeadline(f.entry, t0));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(DeadlineClock::now() - t0, 30ms);
  EXPECT_NE(out.status().message().find("model iris did not answer within its timeout of 30 ms"),
            std::string::npos)
      << out.status().message();
  EXPECT_NE(out.status().message().find("spec.predictor.timeout"), std::string::npos);
  EXPECT_EQ(CurrentDeadline(), kNoDeadline);  // the thread's deadline is restored
}

TEST(TimedPredict, ARequestPastItsDeadlineIsNotRun) {
  Fixture f(Mode::kAnswer, 10ms);
  auto out = TimedPredict(f.entry, f.frame, runtime::PredictMethod::kPredict,
                          RequestDeadline(f.entry, DeadlineClock::now() - 1s));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(out.status().message().find("waited in the model's queue"), std::string::npos);
  EXPECT_EQ(f.calls.load(), 0);
}

TEST(RequestDeadline, ZeroTimeoutMeansNoneAndMissingArrivalCountsFromNow) {
  Fixture none(Mode::kAnswer, 0ms);
  EXPECT_EQ(RequestDeadline(none.entry, DeadlineClock::now()), kNoDeadline);
  Fixture f(Mode::kAnswer, 1000ms);
  auto d = RequestDeadline(f.entry, DeadlineClock::time_point{});
  EXPECT_GT(d, DeadlineClock::now() + 900ms);
}

TEST(Uuid4, IsAVersion4UuidInCanonicalFormAndDoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    std::string id = Uuid4();
    ASSERT_EQ(id.size(), 36u) << id;
    for (size_t k = 0; k < id.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        ASSERT_EQ(id[k], '-') << id;
      } else {
        ASSERT_TRUE((id[k] >= '0' && id[k] <= '9') || (id[k] >= 'a' && id[k] <= 'f')) << id;
      }
    }
    EXPECT_EQ(id[14], '4') << id;                                // version
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant 10xx
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

}  // namespace
}  // namespace ferry::serving
