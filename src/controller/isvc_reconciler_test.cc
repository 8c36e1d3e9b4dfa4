// IsvcReconciler against the real API semantics over the in-memory store and
// a fake runtime; the test plays the worker thread, taking keys from the
// queue and calling Reconcile itself.
#include "controller/isvc_reconciler.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "controller/test_env.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

class IsvcReconcilerTest : public testing::ControllerTestBase {
 protected:
  IsvcReconcilerTest()
      : serving_(&queue_, &metrics_, 1, "example.com"),
        events_(&api_.client(), nullptr),
        loader_(&registry_, &queue_, nullptr, 1),
        scaler_(ctx_, &serving_, &loader_, &events_),
        pods_(ctx_, &events_),
        knative_(ctx_),
        isvcs_(ctx_, {&registry_, &serving_, &loader_, &scaler_, &events_, &pods_, &knative_}) {
    serving_.SetRoutesListener([this](std::shared_ptr<const RouteTable> t) { routes_ = t; });
  }
  ~IsvcReconcilerTest() override {
    loader_.Shutdown();
    scaler_.Shutdown();
  }

  // Plays the worker until `done` holds: takes keys and hands them to the
  // reconciler of their kind (requeue wishes are the queue's; the test does
  // not need them).
  template <typename F>
  void RunUntil(F done, const std::string& what) {
    for (int i = 0; i < 100 && !done(); ++i) {
      WorkKey key = NextKey();
      if (key.kind == WorkKind::kScaleTick || key.kind == WorkKind::kWake) {
        ReconcileResult r = scaler_.Reconcile(key);
        if (r.requeue_after.count() > 0) queue_.AddAfter(key, r.requeue_after);
      } else {
        isvcs_.Reconcile(key);
      }
    }
    ASSERT_TRUE(done()) << "never reached: " << what;
  }

  ReconcileResult Reconcile(const std::string& name) {
    return isvcs_.Reconcile(WorkKey::Isvc("default", name));
  }

  std::vector<std::string> EventReasons(const std::string& name) {
    auto list = client().List("v1", "Event", "default");
    std::vector<std::string> out;
    for (const auto& e : (*list)["items"]) {
      if (e["involvedObject"].value("name", "") == name) out.push_back(e.value("reason", ""));
    }
    return out;
  }

  serving::Metrics metrics_;
  ServingState serving_;
  EventRecorder events_;
  ModelLoader loader_;
  ScaleToZeroReconciler scaler_;
  PodView pods_;
  KnativeView knative_;
  IsvcReconciler isvcs_;
  std::shared_ptr<const RouteTable> routes_;
};

TEST_F(IsvcReconcilerTest, BadBatcherValueShowsInTheStatus) {
  ASSERT_TRUE(client().Create(Isvc("m", {{"batcher", {{"maxBatchSize", "big"}}}})).ok());
  ReconcileResult r = Reconcile("m");
  EXPECT_FALSE(r.requeue);
  EXPECT_EQ(r.requeue_after.count(), 0);
  json status = IsvcStatus("m");
  json ready = ConditionOf(status, "Ready");
  ASSERT_TRUE(ready.is_object()) << status.dump();
  EXPECT_EQ(ready["status"], "False");
  EXPECT_EQ(ready["reason"], "InvalidPredictorSpec");
  EXPECT_NE(ready["message"].get<std::string>().find("spec.predictor.batcher.maxBatchSize is "
                                                     "\"big\""),
            std::string::npos)
      << ready.dump();
  EXPECT_EQ(status["modelStatus"]["transitionStatus"], "InvalidSpec");
  EXPECT_EQ(status["modelStatus"]["lastFailureInfo"]["reason"], "InvalidPredictorSpec");
  // Level-based: the same inputs again change nothing and record no second Event.
  Reconcile("m");
  EXPECT_EQ(EventReasons("m"), std::vector<std::string>{"InvalidPredictorSpec"});
  EXPECT_TRUE(queue_.Idle());  // nothing was sent to the loader
  ASSERT_NE(routes_, nullptr);
  const ServiceRoute* route = routes_->FindExternal("m.default.example.com");
  ASSERT_NE(route, nullptr);
  EXPECT_TRUE(route->revisions.empty());
  EXPECT_NE(route->not_ready_reason.find("spec.predictor.batcher"), std::string::npos);
}

TEST_F(IsvcReconcilerTest, LoadsALocalModelAndRoutesItWithItsBatcher) {
  json batcher = {{"batcher", {{"maxBatchSize", 4}, {"maxLatency", 1}}}};
  ASSERT_TRUE(client().Create(Isvc("iris", batcher, ModelDir("iris"))).ok());
  ReconcileResult r = Reconcile("iris");
  EXPECT_GT(r.requeue_after.count(), 0);  // status shows the progress while loading
  EXPECT_EQ(ConditionOf(IsvcStatus("iris"), "Ready")["reason"], "Loading");

  WorkKey done = NextKey();  // the loader queues the key when the load finished
  EXPECT_EQ(done, WorkKey::Isvc("default", "iris"));
  r = isvcs_.Reconcile(done);
  EXPECT_EQ(r.requeue_after.count(), 0);
  json status = IsvcStatus("iris");
  EXPECT_EQ(ConditionOf(status, "Ready")["status"], "True") << status.dump();
  EXPECT_EQ(status["components"]["predictor"]["latestReadyRevision"], "iris-predictor-00001");
  EXPECT_EQ(status["modelStatus"]["states"]["activeModelState"], "Loaded");
  EXPECT_EQ(EventReasons("iris"), (std::vector<std::string>{"DownloadStarted", "RevisionReady"}));

  const ServiceRoute* route = routes_->FindExternal("iris.default.example.com");
  ASSERT_NE(route, nullptr);
  ASSERT_EQ(route->revisions.size(), 1u);
  EXPECT_EQ(route->revisions[0].revision, "iris-predictor-00001");
  const serving::ModelEntry* entry = route->revisions[0].catalog->Find("iris");
  ASSERT_NE(entry, nullptr);
  // The batcher from the typed spec wraps the loaded model.
  EXPECT_GT(runtime::RecommendedCallerThreads(*entry->served->model), 0);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data/models/default/iris/iris-predictor-00001"));
}

TEST_F(IsvcReconcilerTest, ScaledToZeroModelIsReloadedForAParkedRequest) {
  json isvc = Isvc("z", {{"minReplicas", 0}}, ModelDir("z"));
  isvc["metadata"]["annotations"] = {
      {"autoscaling.knative.dev/scale-to-zero-pod-retention-period", "0s"}};
  ASSERT_TRUE(client().Create(isvc).ok());
  Reconcile("z");
  auto entry = [&]() -> const serving::ModelEntry* {
    const ServiceRoute* route = routes_ ? routes_->FindExternal("z.default.example.com") : nullptr;
    return route && !route->revisions.empty() ? route->revisions[0].catalog->Find("z") : nullptr;
  };
  // Loaded, then idle for the (zero) grace period: a placeholder takes its place.
  RunUntil([&] { return entry() && entry()->state == serving::ModelEntry::State::kLoading; },
           "scaled to zero");
  RunUntil([&] { return ConditionOf(IsvcStatus("z"), "Active")["status"] == "False"; },
           "Active=False in the status");
  EXPECT_EQ(IsvcStatus("z")["modelStatus"]["states"]["activeModelState"], "Standby");

  std::mutex mu;
  std::shared_ptr<const serving::ModelCatalog> resumed;
  std::string error = "not resumed";
  ASSERT_TRUE(scaler_.Activate(*entry(),
                               [&](std::shared_ptr<const serving::ModelCatalog> c, std::string e) {
                                 std::lock_guard<std::mutex> lock(mu);
                                 resumed = std::move(c);
                                 error = std::move(e);
                               }));
  RunUntil([&] { return entry()->state == serving::ModelEntry::State::kReady; }, "reloaded");
  // The parked request resumes on the reloaded model's executor (another thread).
  for (int i = 0; i < 2000; ++i) {
    std::lock_guard<std::mutex> lock(mu);
    if (resumed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_NE(resumed, nullptr) << error;
  EXPECT_EQ(resumed->Find("z")->state, serving::ModelEntry::State::kReady);
  EXPECT_EQ(error, "");
  EXPECT_FALSE(scaler_.Activate(*resumed->Find("z"), [](auto, auto) {}));  // not a placeholder
}

TEST_F(IsvcReconcilerTest, UnknownRuntimeIsNamedInTheStatus) {
  json spec = Isvc("m");
  spec["spec"]["predictor"]["model"]["runtime"] = "no-such-runtime";
  ASSERT_TRUE(client().Create(spec).ok());
  Reconcile("m");
  json ready = ConditionOf(IsvcStatus("m"), "Ready");
  EXPECT_EQ(ready["reason"], "RuntimeNotRecognized");
  EXPECT_NE(ready["message"].get<std::string>().find("no-such-runtime"), std::string::npos);
}

TEST_F(IsvcReconcilerTest, DeletionRemovesTheRoutes) {
  ASSERT_TRUE(client().Create(Isvc("gone", {{"timeout", 0}})).ok());
  Reconcile("gone");
  ASSERT_NE(routes_->FindExternal("gone.default.example.com"), nullptr);
  ASSERT_TRUE(
      client().Delete("serving.kserve.io/v1beta1", "InferenceService", "default", "gone").ok());
  Reconcile("gone");
  EXPECT_EQ(routes_->FindExternal("gone.default.example.com"), nullptr);
  EXPECT_EQ(serving_.Find("default/gone"), nullptr);
}

TEST_F(IsvcReconcilerTest, ItsOwnStatusWriteIsRecognizedAndAUsersWriteIsNot) {
  ASSERT_TRUE(client().Create(Isvc("m", {{"timeout", "30s"}})).ok());
  Reconcile("m");
  json written = Get("serving.kserve.io/v1beta1", "InferenceService", "default", "m");
  ASSERT_TRUE(written.contains("status"));
  EXPECT_TRUE(own_writes_.IsOwn(written));
  json edited = written;
  edited["spec"]["predictor"]["timeout"] = 30;
  auto updated = client().Update(edited);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_FALSE(own_writes_.IsOwn(*updated));
}

}  // namespace
}  // namespace ferry::controller
