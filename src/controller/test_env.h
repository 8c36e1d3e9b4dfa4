// Test helpers for the controller's unit tests: the real API semantics over
// the in-memory store (no HTTP), a fake runtime that "loads" model.fake
// files, and the pieces a reconciler needs, wired as the Controller wires
// them. The test drives the WorkQueue itself, so every reconcile is visible.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/api_server.h"
#include "controller/reconciler_context.h"
#include "runtime/registry.h"
#include "store/resource_store.h"

namespace ferry::controller::testing {

using nlohmann::json;

class FakeModel : public runtime::Model {
 public:
  FakeModel() { info_.framework = "sklearn"; }
  const runtime::ModelInfo& info() const override { return info_; }
  StatusOr<protocol::Tensor> Predict(const protocol::Frame& x,
                                     runtime::PredictMethod) const override {
    return protocol::Tensor::FromInt64s(std::vector<int64_t>(x.rows, 7),
                                        {static_cast<int64_t>(x.rows)});
  }

 private:
  runtime::ModelInfo info_;
};

// Serves model format "sklearn" from a file named model.fake (any content).
class FakeRuntime : public runtime::FormatRuntime {
 public:
  std::string_view name() const override { return "sklearn"; }
  std::string_view mlflow_flavor() const override { return "sklearn"; }
  std::vector<std::string> plain_file_names() const override { return {"model.fake"}; }
  StatusOr<std::unique_ptr<runtime::Model>> LoadFile(const std::filesystem::path&,
                                                     const runtime::LoadOptions&) const override {
    return std::unique_ptr<runtime::Model>(std::make_unique<FakeModel>());
  }
};

// The API over an in-memory store, a data directory, options, a queue.
class ControllerTestBase : public ::testing::Test {
 protected:
  ControllerTestBase() : store_(store::ResourceStore::InMemory()), api_(store_.get(), nullptr, {}) {
    dir_ = std::filesystem::temp_directory_path() /
           ("ferry-controller-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "data");
    options_.data_dir = (dir_ / "data").string();
    options_.token_issuer = "https://ferry.test";
    options_.token_jwks = R"({"keys":[]})";
    options_.external_address = "192.0.2.7";
    registry_.Register(std::make_unique<FakeRuntime>());
    ctx_ = {&api_.client(), &queue_, &own_writes_, &options_};
  }
  ~ControllerTestBase() override { std::filesystem::remove_all(dir_); }

  api::ResourceClient& client() { return api_.client(); }

  void CreateNamespace(const std::string& ns) {
    auto res = client().Create(
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }

  // A model directory with model.fake; returns its file:// URI.
  std::string ModelDir(const std::string& name) {
    auto path = dir_ / "models-src" / name;
    std::filesystem::create_directories(path);
    std::ofstream(path / "model.fake") << "weights";
    return "file://" + path.string();
  }

  static json Isvc(const std::string& name, json predictor_extra = json::object(),
                   const std::string& uri = "s3://bucket/model") {
    json predictor = {{"model", {{"modelFormat", {{"name", "sklearn"}}}, {"storageUri", uri}}}};
    predictor.update(predictor_extra);
    return {{"apiVersion", "serving.kserve.io/v1beta1"},
            {"kind", "InferenceService"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"spec", {{"predictor", predictor}}}};
  }

  json Get(const std::string& api_version, const std::string& kind, const std::string& ns,
           const std::string& name) {
    auto obj = client().Get(api_version, kind, ns, name);
    EXPECT_TRUE(obj.ok()) << kind << " " << ns << "/" << name << ": " << obj.status().ToString();
    return obj.ok() ? *obj : json::object();
  }

  json IsvcStatus(const std::string& name) {
    return Get("serving.kserve.io/v1beta1", "InferenceService", "default", name)
        .value("status", json::object());
  }

  // The condition `type` of an InferenceService status (or null).
  static json ConditionOf(const json& status, const std::string& type) {
    for (const auto& c : status.value("conditions", json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return nullptr;
  }

  // The next key the queue gives within `seconds` (a key the test expects
  // to come; the bound only stops a broken test from hanging).
  WorkKey NextKey(int seconds = 20) {
    WorkKey key;
    bool got =
        queue_.NextUntil(&key, std::chrono::steady_clock::now() + std::chrono::seconds(seconds));
    EXPECT_TRUE(got) << "no work key came";
    return key;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::ResourceStore> store_;
  api::ApiServer api_;
  runtime::RuntimeRegistry registry_;
  ControllerOptions options_;
  WorkQueue queue_;
  OwnWrites own_writes_;
  ReconcilerContext ctx_;
};

}  // namespace ferry::controller::testing
