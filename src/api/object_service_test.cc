// ObjectService semantics through the public ResourceClient, over the
// in-memory store.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/api_server.h"
#include "api/resource_client.h"

namespace ferry::api {
namespace {

using nlohmann::json;

class ResourceClientTest : public ::testing::Test {
 protected:
  ResourceClientTest()
      : store_(store::ResourceStore::InMemory()), server_(store_.get(), nullptr, {}) {}
  ResourceClient& c() { return server_.client(); }

  static json Isvc(const std::string& name, const std::string& uri = "s3://a") {
    return {{"apiVersion", "serving.kserve.io/v1beta1"},
            {"kind", "InferenceService"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"spec",
             {{"predictor",
               {{"model", {{"modelFormat", {{"name", "sklearn"}}}, {"storageUri", uri}}}}}}},
            {"status", {{"url", "ignored-on-create"}}}};
  }

  std::unique_ptr<store::ResourceStore> store_;
  ApiServer server_;
};

TEST_F(ResourceClientTest, CreateSetsServerMetadata) {
  auto obj = c().Create(Isvc("a"));
  ASSERT_TRUE(obj.ok()) << obj.status().ToString();
  EXPECT_EQ((*obj)["metadata"]["generation"], 1);
  EXPECT_EQ((*obj)["metadata"]["uid"].get<std::string>().size(), 36u);
  EXPECT_FALSE((*obj)["metadata"]["creationTimestamp"].get<std::string>().empty());
  EXPECT_FALSE(obj->contains("status"));  // status subresource: dropped on create
  EXPECT_EQ(c().Create(Isvc("a")).status().code(), StatusCode::kAlreadyExists);
  json other_ns = Isvc("b");
  other_ns["metadata"]["namespace"] = "nope";
  auto st = c().Create(other_ns).status();
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "namespaces \"nope\" not found");
}

TEST_F(ResourceClientTest, GenerationAndStatus) {
  auto created = c().Create(Isvc("a"));
  ASSERT_TRUE(created.ok());
  auto same = c().Update(Isvc("a"));
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  // A no-op keeps the version.
  EXPECT_EQ((*same)["metadata"]["resourceVersion"], (*created)["metadata"]["resourceVersion"]);
  auto changed = c().Update(Isvc("a", "s3://b"));
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ((*changed)["metadata"]["generation"], 2);
  json with_status = *changed;
  with_status["status"] = {{"url", "http://a"}};
  with_status["spec"] = json::object();  // ignored by UpdateStatus
  auto st = c().UpdateStatus(with_status);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ((*st)["metadata"]["generation"], 2);
  EXPECT_EQ((*st)["status"]["url"], "http://a");
  EXPECT_EQ((*st)["spec"]["predictor"]["model"]["storageUri"], "s3://b");
  // Stale resourceVersion → Conflict (Aborted).
  EXPECT_EQ(c().UpdateStatus(with_status).status().code(), StatusCode::kAborted);
  // Spec writes keep status.
  auto again = c().Update(Isvc("a", "s3://c"));
  EXPECT_EQ((*again)["status"]["url"], "http://a");
}

TEST_F(ResourceClientTest, ValidationAndAdmissionHooks) {
  json bad = Isvc("bad");
  bad["spec"] = json::object();
  auto st = c().Create(bad).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      st.message(),
      "InferenceService.serving.kserve.io \"bad\" is invalid: spec.predictor: Required value");
  server_.AddAdmission("InferenceService", [](json& obj, bool create, std::vector<std::string>*) {
    if (obj["metadata"]["name"] == "blocked") {
      return InvalidArgumentError("spec.predictor.model.runtime: no runtime supports it");
    }
    obj["metadata"]["labels"]["admitted"] = create ? "create" : "update";
    return OkStatus();
  });
  auto ok = c().Create(Isvc("x"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["metadata"]["labels"]["admitted"], "create");
  st = c().Create(Isvc("blocked")).status();
  EXPECT_EQ(st.message(),
            "InferenceService.serving.kserve.io \"blocked\" is invalid: "
            "spec.predictor.model.runtime: no runtime supports it");
}

TEST_F(ResourceClientTest, PatchListDeleteWatch) {
  ASSERT_TRUE(c().Create(Isvc("a")).ok());
  auto q = c().Watch("serving.kserve.io/v1beta1", "InferenceService", "default", 0);
  ASSERT_TRUE(q.ok());
  auto p = c().Patch("serving.kserve.io/v1beta1", "InferenceService", "default", "a",
                     "application/merge-patch+json", R"({"metadata":{"labels":{"l":"1"}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)["metadata"]["generation"], 1);  // metadata-only change
  EXPECT_EQ(c().Patch("serving.kserve.io/v1beta1", "InferenceService", "default", "a",
                      "application/strategic-merge-patch+json", "{}")
                .status()
                .code(),
            StatusCode::kUnimplemented);
  auto list = c().List("serving.kserve.io/v1beta1", "InferenceService", "", "l=1");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["items"].size(), 1u);
  EXPECT_EQ((*list)["kind"], "InferenceServiceList");
  ASSERT_TRUE(c().Delete("serving.kserve.io/v1beta1", "InferenceService", "default", "a").ok());
  store::WatchEvent e;
  std::vector<store::EventType> types;
  while ((*q)->Next(100, &e)) types.push_back(e.type);
  EXPECT_EQ(types,
            (std::vector<store::EventType>{store::EventType::kAdded, store::EventType::kModified,
                                           store::EventType::kDeleted}));
  EXPECT_EQ(
      c().Get("serving.kserve.io/v1beta1", "InferenceService", "default", "a").status().code(),
      StatusCode::kNotFound);
}

TEST_F(ResourceClientTest, SecretStringDataAndIstioVersions) {
  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", "s"}, {"namespace", "default"}}},
                 {"stringData", {{"k", "minio"}}}};
  auto s = c().Create(secret);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)["data"]["k"], "bWluaW8=");
  EXPECT_FALSE(s->contains("stringData"));
  EXPECT_EQ((*s)["type"], "Opaque");
  json ap = {{"apiVersion", "security.istio.io/v1beta1"},
             {"kind", "AuthorizationPolicy"},
             {"metadata", {{"name", "p"}, {"namespace", "default"}}},
             {"spec", {{"action", "ALLOW"}}}};
  ASSERT_TRUE(c().Create(ap).ok());
  auto v1 = c().Get("security.istio.io/v1", "AuthorizationPolicy", "default", "p");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ((*v1)["apiVersion"], "security.istio.io/v1");
  auto ns =
      c().Create({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "n2"}}}});
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ((*ns)["status"]["phase"], "Active");
  secret["metadata"]["namespace"] = "n2";
  ASSERT_TRUE(c().Create(secret).ok());
  ASSERT_TRUE(c().Delete("v1", "Namespace", "", "n2").ok());
  EXPECT_EQ(c().Get("v1", "Secret", "n2", "s").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c().Get("v9", "Secret", "n2", "s").status().code(), StatusCode::kNotFound);
}

TEST_F(ResourceClientTest, MalformedObjectsAreErrorsNotCrashes) {
  json weird = Isvc("w");
  weird["metadata"]["name"] = 5;
  EXPECT_FALSE(c().Create(weird).ok());
  weird = Isvc("w2");
  weird["spec"]["predictor"] = "x";
  EXPECT_FALSE(c().Create(weird).ok());
  EXPECT_FALSE(c().Create(json::array()).ok());
}

// kube-apiserver + the garbage collector: a finalizer holds the object with a
// deletionTimestamp; once the last one goes, it is deleted and so are the
// objects whose ownerReferences name it (a namespace with everything in it).
TEST_F(ResourceClientTest, FinalizersHoldDeletionAndOwnersTakeDependents) {
  auto profile = c().Create({{"apiVersion", "kubeflow.org/v1beta1"},
                             {"kind", "Profile"},
                             {"metadata", {{"name", "p"}, {"finalizers", {"profile-finalizer"}}}},
                             {"spec", json::object()}});
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ((*profile)["apiVersion"], "kubeflow.org/v1beta1");
  json ref = {{"apiVersion", "kubeflow.org/v1"}, {"kind", "Profile"}, {"name", "p"},
              {"uid", (*profile)["metadata"]["uid"]}, {"controller", true}};
  ASSERT_TRUE(c().Create({{"apiVersion", "v1"},
                          {"kind", "Namespace"},
                          {"metadata", {{"name", "p"}, {"ownerReferences", {ref}}}}})
                  .ok());
  json other_owner = ref;
  other_owner["uid"] = "someone-else";
  ASSERT_TRUE(c().Create({{"apiVersion", "v1"},
                          {"kind", "ConfigMap"},
                          {"metadata",
                           {{"name", "shared"},
                            {"namespace", "default"},
                            {"ownerReferences", {ref, other_owner}}}}})
                  .ok());
  ASSERT_TRUE(c().Create(Isvc("inside")).ok());
  json in_p = Isvc("inside");
  in_p["metadata"]["namespace"] = "p";
  ASSERT_TRUE(c().Create(in_p).ok());

  auto marked = c().Delete("kubeflow.org/v1", "Profile", "", "p");
  ASSERT_TRUE(marked.ok());
  EXPECT_TRUE((*marked)["metadata"].contains("deletionTimestamp"));
  EXPECT_TRUE(c().Get("v1", "Namespace", "", "p").ok());  // held by the finalizer

  json last = *c().Get("kubeflow.org/v1", "Profile", "", "p");
  last["metadata"]["finalizers"] = json::array();
  ASSERT_TRUE(c().Update(last).ok());
  EXPECT_EQ(c().Get("kubeflow.org/v1", "Profile", "", "p").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(c().Get("v1", "Namespace", "", "p").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c().Get("serving.kserve.io/v1beta1", "InferenceService", "p", "inside")
                .status()
                .code(),
            StatusCode::kNotFound);
  auto shared = c().Get("v1", "ConfigMap", "default", "shared");
  ASSERT_TRUE(shared.ok());  // another owner remains: only the reference goes
  EXPECT_EQ((*shared)["metadata"]["ownerReferences"], json::array({other_owner}));
  EXPECT_TRUE(c().Get("serving.kserve.io/v1beta1", "InferenceService", "default", "inside").ok());
}

}  // namespace
}  // namespace ferry::api
