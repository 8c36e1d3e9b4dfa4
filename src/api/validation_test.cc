#include <gtest/gtest.h>

#include "api/field_validation.h"
#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

std::vector<std::string> Fields(const std::vector<FieldError>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field);
  return out;
}

TEST(IsvcValidationTest, RequiredFieldsAndProtocol) {
  EXPECT_EQ(Fields(ValidateInferenceService(json::parse(R"({"spec":{}})"))),
            std::vector<std::string>{"spec.predictor"});
  auto errs = ValidateInferenceService(
      json::parse(R"({"spec":{"predictor":{"model":{"protocolVersion":"v3"}}}})"));
  EXPECT_EQ(Fields(errs), (std::vector<std::string>{"spec.predictor.model.modelFormat.name",
                                                    "spec.predictor.model.storageUri",
                                                    "spec.predictor.model.protocolVersion"}));
  EXPECT_TRUE(
      ValidateInferenceService(
          json::parse(
              R"({"spec":{"predictor":{"model":{"modelFormat":{"name":"sklearn"},"storageUri":"s3://a"}}}})"))
          .empty());
}

TEST(IsvcValidationTest, ProtocolDefaults) {
  json mlflow =
      json::parse(R"({"spec":{"predictor":{"model":{"modelFormat":{"name":"mlflow"}}}}})");
  DefaultInferenceService(mlflow);
  EXPECT_EQ(At(mlflow, "spec.predictor.model.protocolVersion"), "v2");
  json sk = json::parse(R"({"spec":{"predictor":{"model":{"modelFormat":{"name":"sklearn"}}}}})");
  DefaultInferenceService(sk);
  EXPECT_EQ(At(sk, "spec.predictor.model.protocolVersion"), "v1");
  json set = json::parse(R"({"spec":{"predictor":{"model":{"protocolVersion":"grpc-v2"}}}})");
  DefaultInferenceService(set);
  EXPECT_EQ(At(set, "spec.predictor.model.protocolVersion"), "grpc-v2");
}

TEST(AuthzValidationTest, IstioRules) {
  auto v = [](const char* s) { return Fields(ValidateAuthorizationPolicy(json::parse(s))); };
  EXPECT_TRUE(v(R"({"spec":{}})").empty());  // ALLOW nothing is legal
  EXPECT_TRUE(v(R"({"spec":{"action":"DENY","rules":[{}]}})").empty());
  EXPECT_EQ(v(R"({"spec":{"action":"DENY"}})"), std::vector<std::string>{"spec.rules"});
  EXPECT_EQ(v(R"({"spec":{"action":"ALLOW","provider":{"name":"x"},"rules":[{}]}})"),
            std::vector<std::string>{"spec.provider"});
  EXPECT_EQ(v(R"({"spec":{"action":"CUSTOM","rules":[{}]}})"),
            std::vector<std::string>{"spec.provider.name"});
  EXPECT_EQ(v(R"({"spec":{"rules":[{"from":[]}]}})"),
            std::vector<std::string>{"spec.rules[0].from"});
  EXPECT_EQ(v(R"({"spec":{"rules":[{"to":[{"operation":{}}]}]}})"),
            std::vector<std::string>{"spec.rules[0].to[0].operation"});
  EXPECT_EQ(v(R"({"spec":{"action":"CUSTOM","provider":{"name":"p"},
                 "rules":[{"from":[{"source":{"principals":["a"]}}]}]}})"),
            std::vector<std::string>{"spec.rules[0].from[0].source.principals"});
  EXPECT_EQ(v(R"({"spec":{"rules":[{"when":[{"key":"request.headers[x]"}]}]}})"),
            std::vector<std::string>{"spec.rules[0].when[0].values"});
  EXPECT_EQ(v(R"({"spec":{"action":"BLOCK","rules":[{}]}})"),
            std::vector<std::string>{"spec.action"});
  EXPECT_EQ(v(R"({"spec":{"selector":{"matchLabels":{"app":"*"}}}})"),
            std::vector<std::string>{"spec.selector.matchLabels.app"});
}

TEST(AuthzValidationTest, HostsWithoutPortWarn) {
  auto w = [](const char* s) { return AuthorizationPolicyWarnings(json::parse(s)); };
  std::vector<std::string> got = w(R"({"spec":{"rules":[{"to":[{"operation":{
      "hosts":["a.example.com","b.example.com:8080","c.example.com:*","*","pre.*","[::1]"]}}]}]}})");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0],
            "spec.rules[0].to[0].operation.hosts[0]: \"a.example.com\" has no port, so a request "
            "with \"Host: a.example.com:8080\" does not match it (Istio compares the whole Host "
            "header, port included); list both forms: [\"a.example.com\", \"a.example.com:*\"]");
  EXPECT_NE(got[1].find("hosts[5]: \"[::1]\""), std::string::npos) << got[1];
  // Both forms listed, or no hosts at all: nothing to say.
  got = w(R"({"spec":{"rules":[{"to":[{"operation":{
      "hosts":["a.example.com","A.example.com:*"]}}]}]}})");
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(w(R"({"spec":{"rules":[{"to":[{"operation":{"paths":["/v2/*"]}}]}]}})").empty());
  EXPECT_TRUE(w(R"({"spec":{}})").empty());
  // notHosts and suffix patterns.
  got = w(R"({"spec":{"action":"DENY","rules":[{},{"to":[{"operation":{"paths":["/x"]}},
      {"operation":{"notHosts":["*.example.com"]}}]}]}})");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0],
            "spec.rules[1].to[1].operation.notHosts[0]: \"*.example.com\" has no port, so a "
            "request with \"Host: app.example.com:8080\" is not excluded by it (Istio compares "
            "the whole Host header, port included); also list \"*.example.com:PORT\" for each "
            "port clients use");
}

TEST(FieldValidationTest, PrunesUnknownFieldsWithPaths) {
  const KindInfo* isvc = FindKindByResource("serving.kserve.io", "v1beta1", "inferenceservices");
  ASSERT_NE(isvc, nullptr);
  json obj =
      json::parse(R"({"apiVersion":"x","kind":"InferenceService","metadata":{"name":"a","bogus":1},
      "spec":{"predictorr":{},"predictor":{"model":{"storageUri":"s","env":[{"name":"x"}],"oops":1},
      "containers":[{"name":"c"}]}},"status":{"anything":1}})");
  auto unknown = PruneUnknownFields(*isvc, obj);
  EXPECT_EQ(unknown, (std::vector<std::string>{"metadata.bogus", "spec.predictor.model.oops",
                                               "spec.predictorr"}));
  EXPECT_FALSE(obj["spec"].contains("predictorr"));
  EXPECT_EQ(obj["status"]["anything"], 1);
  // Every kind's schema must be valid JSON (a typo would silently disable checking).
  for (const KindInfo& k : AllKinds()) {
    if (!k.schema.empty()) {
      EXPECT_FALSE(json::parse(k.schema, nullptr, false).is_discarded()) << k.kind;
    }
  }
}

TEST(KindsTest, Lookup) {
  EXPECT_NE(FindKindByResource("security.istio.io", "v1beta1", "authorizationpolicies"), nullptr);
  EXPECT_NE(FindKindByResource("security.istio.io", "v1", "requestauthentications"), nullptr);
  EXPECT_EQ(FindKindByResource("security.istio.io", "v2", "authorizationpolicies"), nullptr);
  EXPECT_NE(FindKindByApiVersion("v1", "Secret"), nullptr);
  EXPECT_NE(FindKindByApiVersion("batch/v1", "Job"), nullptr);
  EXPECT_NE(FindKindByApiVersion("kubeflow.org/v1", "Profile"), nullptr);
  EXPECT_FALSE(
      FindKindByApiVersion("serving.kserve.io/v1alpha1", "ClusterServingRuntime")->namespaced);
}

}  // namespace
}  // namespace ferry::api
