// The whole Controller (watches, queue, worker) over the in-memory store:
// what reaches the worker, counted per key.
#include "controller/controller.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "controller/test_env.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

class ControllerTest : public testing::ControllerTestBase {
 protected:
  void StartController() {
    options_.on_reconciled = [this](const WorkKey& key) {
      std::lock_guard<std::mutex> lock(mu_);
      ++reconciles_[key];
    };
    controller_ = std::make_unique<Controller>(&api_.client(), &registry_, &metrics_, options_);
    ASSERT_TRUE(controller_->Start().ok());
    WaitFor([&] { return controller_->Synced(); }, "the controller's first sync");
  }

  void TearDown() override {
    if (controller_) controller_->Stop();
  }

  int Reconciles(const WorkKey& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return reconciles_[key];
  }

  // Polls `done` (the controller works on its own threads); the bound only
  // stops a broken test from hanging.
  template <typename F>
  void WaitFor(F done, const std::string& what) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "gave up waiting for " << what;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  bool HasStatus(const std::string& name) {
    auto obj = client().Get("serving.kserve.io/v1beta1", "InferenceService", "default", name);
    return obj.ok() && obj->contains("status");
  }

  serving::Metrics metrics_;
  std::unique_ptr<Controller> controller_;
  std::mutex mu_;
  std::map<WorkKey, int> reconciles_;
};

TEST_F(ControllerTest, ItsOwnStatusWriteDoesNotComeBackAsAReconcile) {
  StartController();
  // The namespace's `default` ServiceAccount, created at start, is a credential change that
  // requeues the namespace's InferenceServices: let it pass before a exists, or it may count as
  // a's second reconcile (as it did once under load).
  WaitFor([&] { return Reconciles(WorkKey::Credentials("default")) > 0; },
          "the credentials reconcile of the default ServiceAccount");
  // A bad batcher fails at once: one reconcile that writes the status.
  ASSERT_TRUE(client().Create(Isvc("a", {{"batcher", {{"maxLatency", -1}}}})).ok());
  WaitFor([&] { return HasStatus("a"); }, "the status of a");
  // The watch delivers InferenceService events in order: once b (created
  // after a's status write) has been reconciled, the event of that write has
  // been seen too — and, had it been queued, reconciled before b.
  ASSERT_TRUE(client().Create(Isvc("b", {{"batcher", {{"maxLatency", -1}}}})).ok());
  WaitFor([&] { return Reconciles(WorkKey::Isvc("default", "b")) > 0; }, "b's reconcile");
  EXPECT_EQ(Reconciles(WorkKey::Isvc("default", "a")), 1);

  // A user's write is not the controller's: it is reconciled.
  json edited = Get("serving.kserve.io/v1beta1", "InferenceService", "default", "a");
  edited["spec"]["predictor"]["batcher"]["maxLatency"] = -2;
  ASSERT_TRUE(client().Update(edited).ok());
  WaitFor([&] { return Reconciles(WorkKey::Isvc("default", "a")) == 2; }, "a's second reconcile");
  json ready = ConditionOf(IsvcStatus("a"), "Ready");
  EXPECT_NE(ready["message"].get<std::string>().find("maxLatency is -2"), std::string::npos)
      << ready.dump();
}

TEST_F(ControllerTest, ACredentialChangeRequeuesTheNamespacesInferenceServices) {
  StartController();
  ASSERT_TRUE(client().Create(Isvc("a", {{"timeout", 0}})).ok());
  WaitFor([&] { return HasStatus("a"); }, "the status of a");
  // The namespace's `default` ServiceAccount (created at start) is a credential change too.
  WaitFor([&] { return Reconciles(WorkKey::Credentials("default")) > 0; },
          "the credentials reconcile of the default ServiceAccount");
  int creds = Reconciles(WorkKey::Credentials("default"));
  int before = Reconciles(WorkKey::Isvc("default", "a"));
  ASSERT_TRUE(client()
                  .Create({{"apiVersion", "v1"},
                           {"kind", "Secret"},
                           {"metadata", {{"name", "s3creds"}, {"namespace", "default"}}},
                           {"stringData", {{"AWS_ACCESS_KEY_ID", "k"}}}})
                  .ok());
  WaitFor([&] { return Reconciles(WorkKey::Isvc("default", "a")) > before; },
          "a's reconcile after the Secret");
  EXPECT_EQ(Reconciles(WorkKey::Credentials("default")), creds + 1);
}

}  // namespace
}  // namespace ferry::controller
