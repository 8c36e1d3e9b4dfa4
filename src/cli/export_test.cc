// BuildExport over stored objects shaped like `ferry up`'s after the seed
// tutorial: what is exported, what is left out, what is rewritten.
#include "cli/export.h"

#include "gtest/gtest.h"

namespace ferry::cli {
namespace {

using nlohmann::json;

json Meta(const std::string& name, const std::string& ns = "") {
  json m = {{"name", name},
            {"uid", "0b1c"},
            {"resourceVersion", "42"},
            {"generation", 3},
            {"creationTimestamp", "2024-01-01T00:00:00Z"},
            {"managedFields", json::array()},
            {"annotations",
             {{"kubectl.kubernetes.io/last-applied-configuration", "{}"}, {"team", "fraud"}}}};
  if (!ns.empty()) m["namespace"] = ns;
  return m;
}

json Isvc(const std::string& name, const std::string& uri, const std::string& protocol = "v2") {
  return {{"apiVersion", "serving.kserve.io/v1beta1"},
          {"kind", "InferenceService"},
          {"metadata", Meta(name, "my-profile")},
          {"spec",
           {{"predictor",
             {{"serviceAccountName", "sa"},
              {"model",
               {{"modelFormat", {{"name", "mlflow"}}},
                {"protocolVersion", protocol},
                {"storageUri", uri}}}}}}},
          {"status", {{"url", "http://irish-s3.my-profile.example.com"}}}};
}

json Policy(const std::string& name, const std::string& ns, json spec) {
  return {{"apiVersion", "security.istio.io/v1"},
          {"kind", "AuthorizationPolicy"},
          {"metadata", Meta(name, ns)},
          {"spec", spec}};
}

ObjectsByKind Seed() {
  ObjectsByKind o;
  o["InferenceService"] = {Isvc("irish-s3", "s3://mlflow/1/run/artifacts/iris_model"),
                           Isvc("local-model", "file:///models/iris", "grpc-v2")};
  o["ServiceAccount"] = {{{"apiVersion", "v1"},
                          {"kind", "ServiceAccount"},
                          {"metadata", Meta("sa", "my-profile")},
                          {"secrets", json::array({{{"name", "s3creds"}}})}},
                         {{"apiVersion", "v1"},
                          {"kind", "ServiceAccount"},
                          {"metadata", Meta("default-editor", "my-profile")}}};
  json secret_meta = Meta("s3creds", "my-profile");
  secret_meta["annotations"]["serving.kserve.io/s3-endpoint"] = "127.0.0.1:9000";
  o["Secret"] = {{{"apiVersion", "v1"},
                  {"kind", "Secret"},
                  {"metadata", secret_meta},
                  {"type", "Opaque"},
                  {"data", {{"AWS_ACCESS_KEY_ID", "QUs="}, {"AWS_SECRET_ACCESS_KEY", "U0s="}}}},
                 {{"apiVersion", "v1"},
                  {"kind", "Secret"},
                  {"metadata", Meta("unrelated", "my-profile")},
                  {"data", {{"x", "eA=="}}}}};
  o["Profile"] = {{{"apiVersion", "kubeflow.org/v1"},
                   {"kind", "Profile"},
                   {"metadata", Meta("my-profile")},
                   {"spec", {{"owner", {{"kind", "User"}, {"name", "user@example.com"}}}}},
                   {"status", {{"conditions", json::array()}}}}};
  json allow = {
      {"action", "ALLOW"},
      {"rules",
       json::array({{{"to", json::array({{{"operation", {{"paths", {"/v2/models/*"}}}}}})}}})}};
  json deny = {{"action", "DENY"}};
  o["AuthorizationPolicy"] = {Policy("allowlist-by-paths", "istio-system", allow),
                              Policy("global-deny-all", "istio-system", json::object()),
                              Policy("istio-ingressgateway-require-jwt", "istio-system", deny),
                              Policy("ferry-allow-namespace-serviceaccounts", "my-profile", allow),
                              Policy("ns-owner-access-istio", "my-profile", allow)};
  o["RequestAuthentication"] = {{{"apiVersion", "security.istio.io/v1"},
                                 {"kind", "RequestAuthentication"},
                                 {"metadata", Meta("m2m-token-issuer", "istio-system")},
                                 {"spec", json::object()}}};
  return o;
}

ExportOptions Defaults() {
  ExportOptions o;
  o.defaults = {
      Policy("global-deny-all", "istio-system", json::object()),
      Policy("istio-ingressgateway-require-jwt", "istio-system",
             {{"action", "DENY"}, {"rules", json::array()}}),
      Policy("ns-owner-access-istio", "my-profile",
             {{"action", "ALLOW"},
              {"rules",
               json::array(
                   {{{"to", json::array({{{"operation", {{"paths", {"/v2/models/*"}}}}}})}}})}})};
  return o;
}

std::vector<std::string> Names(const ExportResult& r) {
  std::vector<std::string> out;
  for (const auto& o : r.objects) {
    out.push_back(o["kind"].get<std::string>() + " " + o["metadata"].value("namespace", "") + "/" +
                  o["metadata"].value("name", ""));
  }
  return out;
}

TEST(ExportTest, SeedScenarioSelection) {
  auto r = BuildExport(Seed(), Defaults());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Names(*r), (std::vector<std::string>{
                           "Profile /my-profile",
                           "Secret my-profile/s3creds",
                           "ServiceAccount my-profile/sa",
                           "AuthorizationPolicy istio-system/allowlist-by-paths",
                           "AuthorizationPolicy istio-system/istio-ingressgateway-require-jwt",
                           "InferenceService my-profile/irish-s3",
                           "InferenceService my-profile/local-model",
                       }));
  // The changed Kubeflow default and the loopback S3 endpoint are pointed out.
  std::string notes;
  for (const auto& n : r->notes) notes += n + "\n";
  EXPECT_NE(notes.find("istio-ingressgateway-require-jwt is one of Kubeflow's defaults"),
            std::string::npos)
      << notes;
  EXPECT_NE(notes.find("127.0.0.1:9000, a loopback address"), std::string::npos) << notes;
}

TEST(ExportTest, StripsServerSetMetadataAndStatus) {
  auto r = BuildExport(Seed(), Defaults());
  ASSERT_TRUE(r.ok());
  const json& isvc = r->objects[5];
  ASSERT_EQ(isvc["metadata"]["name"], "irish-s3");
  EXPECT_EQ(isvc["metadata"], (json{{"name", "irish-s3"},
                                    {"namespace", "my-profile"},
                                    {"annotations", {{"team", "fraud"}}}}));
  EXPECT_FALSE(isvc.contains("status"));
  EXPECT_FALSE(isvc["spec"]["predictor"]["model"].contains("runtime"));
  const json& profile = r->objects[0];
  EXPECT_FALSE(profile["metadata"].contains("namespace"));
  EXPECT_FALSE(profile.contains("status"));
  EXPECT_EQ(r->objects[4]["apiVersion"], "security.istio.io/v1beta1");
}

TEST(ExportTest, RuntimeUploadAndEndpointOptions) {
  ExportOptions o = Defaults();
  o.runtime = "ferry";
  o.upload_to = "s3://models/ferry/";
  o.s3_endpoint = "minio-service.kubeflow:9000";
  auto r = BuildExport(Seed(), o);
  ASSERT_TRUE(r.ok());
  const json& s3 = r->objects[5]["spec"]["predictor"]["model"];
  EXPECT_EQ(s3["runtime"], "ferry");
  EXPECT_EQ(s3["storageUri"], "s3://mlflow/1/run/artifacts/iris_model");
  const json& local = r->objects[6]["spec"]["predictor"]["model"];
  EXPECT_EQ(local["runtime"], "ferry-grpc");
  EXPECT_EQ(local["storageUri"], "s3://models/ferry/my-profile/local-model");
  ASSERT_EQ(r->uploads.size(), 1u);
  EXPECT_EQ(r->uploads[0].local, "/models/iris");
  EXPECT_EQ(r->uploads[0].command,
            "aws s3 cp --recursive '/models/iris' 's3://models/ferry/my-profile/local-model/'");
  EXPECT_EQ(r->objects[1]["metadata"]["annotations"]["serving.kserve.io/s3-endpoint"],
            "minio-service.kubeflow:9000");
  for (const auto& n : r->notes) EXPECT_EQ(n.find("loopback"), std::string::npos) << n;
  std::string yaml = RenderExport(*r, "a test");
  EXPECT_NE(yaml.find("#   aws s3 cp --recursive '/models/iris'"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("---\napiVersion: kubeflow.org/v1\nkind: Profile"), std::string::npos)
      << yaml;
  o.upload_to = "/tmp/models";
  EXPECT_FALSE(BuildExport(Seed(), o).ok());
}

TEST(ExportTest, NamespaceFilterMissingObjectsAndPlainNamespaces) {
  ObjectsByKind o = Seed();
  o["Profile"].clear();
  o["Secret"].clear();
  ExportOptions opts = Defaults();
  opts.name_space = "my-profile";
  auto r = BuildExport(o, opts);
  ASSERT_TRUE(r.ok());
  auto names = Names(*r);
  EXPECT_EQ(names.front(), "Namespace /my-profile");
  for (const auto& n : names) EXPECT_EQ(n.find("istio-system"), std::string::npos) << n;
  std::string notes;
  for (const auto& n : r->notes) notes += n + "\n";
  EXPECT_NE(notes.find("Secret my-profile/s3creds (used by InferenceService my-profile/irish-s3)"
                       " does not exist"),
            std::string::npos)
      << notes;
  EXPECT_NE(notes.find("s3://YOUR-BUCKET"), std::string::npos) << notes;
  EXPECT_EQ(notes.find("no ServiceAccount"), std::string::npos) << notes;
  o["InferenceService"][1]["spec"]["predictor"].erase("serviceAccountName");
  auto without = BuildExport(o, opts);
  ASSERT_TRUE(without.ok());
  notes.clear();
  for (const auto& n : without->notes) notes += n + "\n";
  EXPECT_NE(notes.find("my-profile/local-model had a local model and no ServiceAccount"),
            std::string::npos)
      << notes;
}

}  // namespace
}  // namespace ferry::cli
