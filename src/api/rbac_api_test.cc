// Authentication and RBAC through ApiServer::Handle with real tokens from the
// TokenRequest subresource: who may do what, Kubernetes' 403 texts, encoded
// paths, escalation, aggregation, bootstrap reconciliation, impersonation and
// the review APIs.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/api_server.h"
#include "api/token_signer.h"

namespace ferry::api {
namespace {

using nlohmann::json;

class Sink : public http::ResponseSink {
 public:
  void Send(http::HttpResponse r) override { response = std::move(r); }
  void StartStream(http::HttpResponse head) override { response = std::move(head); }
  bool WriteChunk(std::string) override { return true; }
  void EndStream() override {}
  http::HttpResponse response;
};

struct Reply {
  int status;
  json body;
};

class RbacApiTest : public ::testing::Test {
 protected:
  RbacApiTest() : store_(store::ResourceStore::InMemory()) {
    auto signer = CreateRs256Signer(::testing::TempDir() + "/rbac_api_test_signer.key");
    EXPECT_TRUE(signer.ok());
    signer_ = std::move(*signer);
    Start();
    for (const char* ns : {"ns1", "ns2"}) {
      EXPECT_EQ(Admin("POST", "/api/v1/namespaces", {{"metadata", {{"name", ns}}}}).status, 201);
      EXPECT_EQ(Admin("POST", std::string("/api/v1/namespaces/") + ns + "/serviceaccounts",
                      {{"metadata", {{"name", "editor"}}}})
                    .status,
                201);
    }
  }

  void Start() {
    ApiServerOptions opts;
    opts.admin_token = "tok";
    server_ = std::make_unique<ApiServer>(store_.get(), signer_.get(), opts);
  }

  Reply Call(const std::string& token, const std::string& method, const std::string& target,
             const json& body = nullptr,
             std::vector<std::pair<std::string, std::string>> headers = {},
             const std::string& content_type = "application/json") {
    http::HttpRequest req;
    req.method = method;
    req.target = target;
    http::SplitTarget(req.target, &req.path, &req.query);
    if (!body.is_null()) req.body = body.dump();
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    req.headers.emplace_back("content-type", content_type);
    for (auto& h : headers) req.headers.push_back(std::move(h));
    auto sink = std::make_shared<Sink>();
    server_->Handle(req, http::Responder(sink));
    return {sink->response.status, json::parse(sink->response.body, nullptr, false)};
  }
  Reply Admin(const std::string& method, const std::string& target, const json& body = nullptr) {
    return Call("tok", method, target, body);
  }

  std::string TokenFor(const std::string& ns, const std::string& sa, json audiences = nullptr) {
    json body = json::object();
    if (!audiences.is_null()) body["spec"]["audiences"] = audiences;
    Reply r = Admin("POST", "/api/v1/namespaces/" + ns + "/serviceaccounts/" + sa + "/token", body);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body["status"]["token"];
  }

  void Bind(const std::string& ns, const std::string& name, const std::string& role,
            const json& subject) {
    Reply r = Admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/rolebindings",
                    {{"metadata", {{"name", name}}},
                     {"roleRef", {{"kind", "ClusterRole"}, {"name", role}}},
                     {"subjects", {subject}}});
    ASSERT_EQ(r.status, 201) << r.body.dump();
  }

  static json Sa(const std::string& name) { return {{"kind", "ServiceAccount"}, {"name", name}}; }

  std::unique_ptr<store::ResourceStore> store_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<ApiServer> server_;
};

constexpr char kIsvcs[] = "/apis/serving.kserve.io/v1beta1/namespaces/";

json Isvc(const std::string& name) {
  json isvc = json::parse(R"({"apiVersion":"serving.kserve.io/v1beta1","kind":"InferenceService",
    "spec":{"predictor":{"model":{"modelFormat":{"name":"sklearn"},"storageUri":"s3://m"}}}})");
  isvc["metadata"] = {{"name", name}};
  return isvc;
}

TEST_F(RbacApiTest, ServiceAccountWithEditInItsNamespace) {
  std::string token = TokenFor("ns1", "editor");
  std::string user = "system:serviceaccount:ns1:editor";
  // Authenticated but bound to nothing yet: only what system:authenticated has.
  Reply r = Call(token, "GET", std::string(kIsvcs) + "ns1/inferenceservices");
  EXPECT_EQ(r.status, 403);
  Bind("ns1", "editor-edit", "edit", Sa("editor"));
  // edit does not cover KServe; a role aggregated into edit does (as KServe's install does).
  ASSERT_EQ(Admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                  {{"metadata",
                    {{"name", "kserve-edit"},
                     {"labels", {{"rbac.authorization.k8s.io/aggregate-to-edit", "true"}}}}},
                   {"rules",
                    {{{"apiGroups", {"serving.kserve.io"}},
                      {"resources", {"inferenceservices"}},
                      {"verbs", {"*"}}}}}})
                .status,
            201);
  EXPECT_EQ(Call(token, "POST", std::string(kIsvcs) + "ns1/inferenceservices", Isvc("iris")).status,
            201);
  EXPECT_EQ(Call(token, "GET", std::string(kIsvcs) + "ns1/inferenceservices/iris").status, 200);
  EXPECT_EQ(Call(token, "GET", "/api/v1/namespaces/ns1/secrets").status, 200);
  // Another namespace: Kubernetes' exact 403.
  r = Call(token, "GET", std::string(kIsvcs) + "ns2/inferenceservices/x");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["reason"], "Forbidden");
  EXPECT_EQ(r.body["message"],
            "inferenceservices.serving.kserve.io \"x\" is forbidden: User \"" + user +
                "\" cannot get resource \"inferenceservices\" in API group \"serving.kserve.io\" "
                "in the namespace \"ns2\"");
  EXPECT_EQ(r.body["details"]["kind"], "inferenceservices");
  // All namespaces needs a cluster-wide list.
  r = Call(token, "GET", "/apis/serving.kserve.io/v1beta1/inferenceservices");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["message"],
            "inferenceservices.serving.kserve.io is forbidden: User \"" + user +
                "\" cannot list resource \"inferenceservices\" in API group \"serving.kserve.io\" "
                "at the cluster scope");
  // A token for another audience is not an API credential; a deleted SA's token dies with it.
  EXPECT_EQ(Call(TokenFor("ns1", "editor", {"istio-ingressgateway"}), "GET", "/version").status,
            401);
  ASSERT_EQ(Admin("DELETE", "/api/v1/namespaces/ns1/serviceaccounts/editor").status, 200);
  EXPECT_EQ(Call(token, "GET", "/version").status, 401);
}

TEST_F(RbacApiTest, EncodedPathIsAuthorizedAsWhatItServes) {
  ASSERT_EQ(Admin("POST", "/api/v1/namespaces/ns1/secrets",
                  {{"metadata", {{"name", "s3creds"}}}, {"stringData", {{"k", "v"}}}})
                .status,
            201);
  Bind("ns1", "editor-view", "view", Sa("editor"));
  std::string token = TokenFor("ns1", "editor");
  EXPECT_EQ(Call(token, "GET", "/api/v1/namespaces/ns1/configmaps").status, 200);
  for (const char* path :
       {"/api/v1/namespaces/ns1/secrets/s3creds", "/api/v1/namespaces/ns1/%73ecrets/s3creds",
        "/api/v1/namespaces/ns1/%73%65crets/s3creds", "/api/v1/namespaces/ns1/secrets/s3creds/"}) {
    Reply r = Call(token, "GET", path);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.body["message"],
              "secrets \"s3creds\" is forbidden: User \"system:serviceaccount:ns1:editor\" cannot "
              "get resource \"secrets\" in API group \"\" in the namespace \"ns1\"")
        << path;
  }
  EXPECT_EQ(Call(token, "GET", "/api/v1/namespaces/ns1/%zzcrets").status, 400);
}

TEST_F(RbacApiTest, EscalationRefusedAndBindAllowsIt) {
  Bind("ns1", "editor-admin", "admin", Sa("editor"));
  std::string token = TokenFor("ns1", "editor");
  json binding = {{"metadata", {{"name", "to-cluster-admin"}}},
                  {"roleRef", {{"kind", "ClusterRole"}, {"name", "cluster-admin"}}},
                  {"subjects", {Sa("editor")}}};
  std::string path = "/apis/rbac.authorization.k8s.io/v1/namespaces/ns1/rolebindings";
  Reply r = Call(token, "POST", path, binding);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["message"],
            "rolebindings.rbac.authorization.k8s.io \"to-cluster-admin\" is forbidden: user "
            "\"system:serviceaccount:ns1:editor\" (groups=[\"system:serviceaccounts\" "
            "\"system:serviceaccounts:ns1\" \"system:authenticated\"]) is attempting to grant "
            "RBAC permissions not currently held:\n"
            "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n"
            "{NonResourceURLs:[\"*\"], Verbs:[\"*\"]}");
  // Binding a role it holds (view ⊂ admin) is fine.
  binding["metadata"]["name"] = "to-view";
  binding["roleRef"]["name"] = "view";
  EXPECT_EQ(Call(token, "POST", path, binding).status, 201);
  // roleRef cannot change.
  r = Call(token, "PATCH", path + "/to-view", {{"roleRef", {{"name", "edit"}}}}, {},
           "application/merge-patch+json");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["message"],
            "RoleBinding.rbac.authorization.k8s.io \"to-view\" is invalid: roleRef: Invalid "
            "value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", "
            "Name:\"edit\"}: cannot change roleRef");
  // A Role granting more than the writer holds.
  json role = {{"metadata", {{"name", "too-much"}}},
               {"rules", {{{"apiGroups", {""}}, {"resources", {"nodes"}}, {"verbs", {"get"}}}}}};
  r = Call(token, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/ns1/roles", role);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body["message"].get<std::string>().find(
                "{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\"]}"),
            std::string::npos);
  // `bind` on cluster-admin in ns1 lets it bind what it does not hold.
  ASSERT_EQ(Admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                  {{"metadata", {{"name", "binder"}}},
                   {"rules",
                    {{{"apiGroups", {"rbac.authorization.k8s.io"}},
                      {"resources", {"clusterroles"}},
                      {"resourceNames", {"cluster-admin"}},
                      {"verbs", {"bind"}}}}}})
                .status,
            201);
  Bind("ns1", "editor-binder", "binder", Sa("editor"));
  binding["metadata"]["name"] = "to-cluster-admin";
  binding["roleRef"]["name"] = "cluster-admin";
  EXPECT_EQ(Call(token, "POST", path, binding).status, 201);
}

TEST_F(RbacApiTest, AggregationAndBootstrapReconciliation) {
  Reply view = Admin("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view");
  ASSERT_EQ(view.status, 200);
  size_t before = view.body["rules"].size();
  EXPECT_GT(before, 0u);
  json extra = {{"metadata",
                 {{"name", "kserve-view"},
                  {"labels", {{"rbac.authorization.k8s.io/aggregate-to-view", "true"}}}}},
                {"rules",
                 {{{"apiGroups", {"serving.kserve.io"}},
                   {"resources", {"inferenceservices"}},
                   {"verbs", {"get", "list", "watch"}}}}}};
  ASSERT_EQ(Admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", extra).status, 201);
  for (const char* role : {"view", "edit", "admin"}) {
    Reply r = Admin("GET", std::string("/apis/rbac.authorization.k8s.io/v1/clusterroles/") + role);
    EXPECT_NE(r.body["rules"].dump().find("inferenceservices"), std::string::npos) << role;
  }
  ASSERT_EQ(Admin("DELETE", "/apis/rbac.authorization.k8s.io/v1/clusterroles/kserve-view").status,
            200);
  EXPECT_EQ(
      Admin("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view").body["rules"].size(),
      before);
  // Deleted bootstrap objects come back at the next start; edits are kept.
  ASSERT_EQ(
      Admin("DELETE", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:basic-user")
          .status,
      200);
  server_.reset();
  Start();
  EXPECT_EQ(Admin("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:basic-user")
                .status,
            200);
}

TEST_F(RbacApiTest, Impersonation) {
  Bind("ns1", "editor-view", "view", Sa("editor"));
  // The admin may impersonate anyone.
  Reply r = Call("tok", "GET", "/api/v1/namespaces/ns1/secrets", nullptr,
                 {{"impersonate-user", "system:serviceaccount:ns1:editor"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["message"],
            "secrets is forbidden: User \"system:serviceaccount:ns1:editor\" cannot list resource "
            "\"secrets\" in API group \"\" in the namespace \"ns1\"");
  EXPECT_EQ(Call("tok", "GET", "/api/v1/namespaces/ns1/configmaps", nullptr,
                 {{"impersonate-user", "system:serviceaccount:ns1:editor"}})
                .status,
            200);
  // A ServiceAccount without the impersonate verb may not.
  std::string token = TokenFor("ns1", "editor");
  r = Call(token, "GET", "/api/v1/namespaces/ns1/configmaps", nullptr,
           {{"impersonate-user", "jane"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["message"],
            "users \"jane\" is forbidden: User \"system:serviceaccount:ns1:editor\" cannot "
            "impersonate resource \"users\" in API group \"\" at the cluster scope");
  r = Call("tok", "GET", "/version", nullptr, {{"impersonate-group", "x"}});
  EXPECT_EQ(r.status, 500);
}

TEST_F(RbacApiTest, ReviewApis) {
  Bind("ns1", "editor-view", "view", Sa("editor"));
  std::string token = TokenFor("ns1", "editor");
  auto ssar = [&](const std::string& verb, const std::string& resource, const std::string& ns) {
    return Call(
        token, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        {{"apiVersion", "authorization.k8s.io/v1"},
         {"kind", "SelfSubjectAccessReview"},
         {"spec",
          {{"resourceAttributes", {{"verb", verb}, {"resource", resource}, {"namespace", ns}}}}}});
  };
  Reply r = ssar("list", "configmaps", "ns1");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body["status"]["allowed"], true);
  EXPECT_NE(r.body["status"]["reason"].get<std::string>().find("RoleBinding \"editor-view/ns1\""),
            std::string::npos);
  EXPECT_EQ(ssar("list", "secrets", "ns1").body["status"]["allowed"], false);
  EXPECT_EQ(ssar("list", "configmaps", "ns2").body["status"]["allowed"], false);

  r = Call(token, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
           {{"spec", {{"namespace", "ns1"}}}});
  ASSERT_EQ(r.status, 201);
  EXPECT_NE(r.body["status"]["resourceRules"].dump().find("configmaps"), std::string::npos);
  EXPECT_NE(r.body["status"]["nonResourceRules"].dump().find("/api/*"), std::string::npos);

  r = Call(token, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", json::object());
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.body["status"]["userInfo"]["username"], "system:serviceaccount:ns1:editor");

  // SubjectAccessReview and TokenReview are for those allowed (the admin here).
  json sar = {{"spec",
               {{"user", "system:serviceaccount:ns1:editor"},
                {"groups", {"system:serviceaccounts"}},
                {"resourceAttributes",
                 {{"verb", "get"}, {"resource", "configmaps"}, {"namespace", "ns1"}}}}}};
  EXPECT_EQ(Call(token, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar).status,
            403);
  EXPECT_EQ(Admin("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)
                .body["status"]["allowed"],
            true);
  Reply tr =
      Admin("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {{"spec", {{"token", token}}}});
  EXPECT_EQ(tr.body["status"]["authenticated"], true);
  EXPECT_EQ(tr.body["status"]["user"]["username"], "system:serviceaccount:ns1:editor");
  tr = Admin("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
             {{"spec", {{"token", "garbage"}}}});
  EXPECT_EQ(tr.body["status"]["authenticated"], false);
  // Review objects are create-only.
  EXPECT_EQ(Admin("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").status, 405);
}

}  // namespace
}  // namespace ferry::api

namespace ferry::api {
namespace {

TEST_F(RbacApiTest, RbacValidationAndDefaults) {
  std::string roles = "/apis/rbac.authorization.k8s.io/v1/namespaces/ns1/roles";
  Reply r = Admin("POST", roles,
                  {{"metadata", {{"name", "bad"}}},
                   {"rules",
                    {{{"apiGroups", {""}}, {"resources", {"pods"}}},
                     {{"nonResourceURLs", {"/x"}}, {"verbs", {"get"}}}}}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body["message"].get<std::string>().find(
                "rules[0].verbs: Required value: verbs must contain at least one value"),
            std::string::npos);
  EXPECT_NE(r.body["message"].get<std::string>().find(
                "rules[1].nonResourceURLs: Invalid value: []string{\"/x\"}: namespaced rules "
                "cannot apply to non-resource URLs"),
            std::string::npos);
  // Names are path segments: ':' is fine, '/' is not.
  EXPECT_EQ(Admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                  {{"metadata", {{"name", "team:reader"}}}, {"rules", json::array()}})
                .status,
            201);
  r = Admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            {{"metadata", {{"name", "a%b"}}}, {"rules", json::array()}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body["message"].get<std::string>().find("may not contain '%'"), std::string::npos);
  // Subjects: kinds checked, apiGroups defaulted.
  std::string bindings = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
  r = Admin("POST", bindings,
            {{"metadata", {{"name", "x"}}},
             {"roleRef", {{"kind", "ClusterRole"}, {"name", "view"}}},
             {"subjects", json::array({json{{"kind", "Robot"}, {"name", "r2"}},
                                       json{{"kind", "ServiceAccount"}, {"name", "sa"}}})}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body["message"].get<std::string>().find(
                "subjects[0].kind: Unsupported value: \"Robot\": supported values: "
                "\"ServiceAccount\", \"User\", \"Group\""),
            std::string::npos);
  EXPECT_NE(r.body["message"].get<std::string>().find("subjects[1].namespace: Required value"),
            std::string::npos);
  r = Admin("POST", bindings,
            {{"metadata", {{"name", "y"}}},
             {"roleRef", {{"kind", "ClusterRole"}, {"name", "view"}}},
             {"subjects", json::array({json{{"kind", "User"}, {"name", "jane"}}})}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(r.body["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_EQ(r.body["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
  // A ClusterRoleBinding binds ClusterRoles only.
  r = Admin("POST", bindings,
            {{"metadata", {{"name", "z"}}}, {"roleRef", {{"kind", "Role"}, {"name", "view"}}}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body["message"].get<std::string>().find(
                "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\""),
            std::string::npos);
}

}  // namespace
}  // namespace ferry::api
