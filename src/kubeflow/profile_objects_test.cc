#include "kubeflow/profile_objects.h"

#include <gtest/gtest.h>

namespace ferry::kubeflow {
namespace {

using nlohmann::json;

json Profile() {
  return json::parse(R"({"apiVersion":"kubeflow.org/v1","kind":"Profile",
      "metadata":{"name":"team","uid":"u-1"},
      "spec":{"owner":{"kind":"User","name":"alice@example.com"}}})");
}

TEST(ProfileObjectsTest, NamespaceAsTheControllerMakesIt) {
  json ns = ProfileNamespace(Profile());
  EXPECT_EQ(ns["metadata"]["annotations"]["owner"], "alice@example.com");
  EXPECT_EQ(ns["metadata"]["labels"]["istio-injection"], "enabled");
  EXPECT_EQ(ns["metadata"]["labels"]["pipelines.kubeflow.org/enabled"], "true");
  EXPECT_EQ(ns["metadata"]["labels"]["katib.kubeflow.org/metrics-collector-injection"], "enabled");
  EXPECT_EQ(ns["metadata"]["labels"]["serving.kubeflow.org/inferenceservice"], "enabled");
  EXPECT_EQ(ns["metadata"]["labels"]["app.kubernetes.io/part-of"], "kubeflow-profile");
  json ref = ns["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref, (json{{"apiVersion", "kubeflow.org/v1"}, {"kind", "Profile"}, {"name", "team"},
                       {"uid", "u-1"}, {"controller", true}, {"blockOwnerDeletion", true}}));
}

TEST(ProfileObjectsTest, BindingsNameTheKubeflowRoles) {
  json admin = NamespaceAdminBinding(Profile());
  EXPECT_EQ(admin["metadata"]["name"], "namespaceAdmin");
  EXPECT_EQ(admin["metadata"]["annotations"], (json{{"user", "alice@example.com"}, {"role", "admin"}}));
  EXPECT_EQ(admin["roleRef"]["name"], "kubeflow-admin");
  EXPECT_EQ(admin["subjects"][0], (json{{"kind", "User"}, {"name", "alice@example.com"},
                                        {"apiGroup", "rbac.authorization.k8s.io"}}));
  EXPECT_EQ(ServiceAccountBinding(Profile(), kDefaultEditor)["roleRef"]["name"], "kubeflow-edit");
  json viewer = ServiceAccountBinding(Profile(), kDefaultViewer);
  EXPECT_EQ(viewer["roleRef"]["name"], "kubeflow-view");
  EXPECT_EQ(viewer["subjects"][0]["namespace"], "team");
}

TEST(ProfileObjectsTest, QuotaOnlyWithHardLimits) {
  json p = Profile();
  EXPECT_TRUE(ResourceQuota(p).is_null());
  p["spec"]["resourceQuotaSpec"] = {{"hard", {{"cpu", "2"}}}};
  json q = ResourceQuota(p);
  EXPECT_EQ(q["metadata"]["name"], "kf-resource-quota");
  EXPECT_EQ(q["spec"]["hard"]["cpu"], "2");
}

TEST(ProfileObjectsTest, PinnedManifestsAreEmbedded) {
  int n = 0;
  bool roles = false;
  for (const PinnedManifest* m = kPinnedManifests; m->path != nullptr; ++m, ++n) {
    if (std::string(m->path) == "common/kubeflow-roles/base/cluster-roles.yaml") {
      roles = m->text.find("name: kubeflow-admin") != std::string_view::npos;
    }
  }
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(roles);
}

}  // namespace
}  // namespace ferry::kubeflow
