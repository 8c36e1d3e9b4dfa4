// The 46 reference vectors of istio-authz.md §7, table-driven, at the engine
// level (no HTTP). Keys are generated per run; JWKS come from a fake fetcher,
// ext-authz from fake clients (see ext_authz_test.cc for the real HTTP one).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "gateway/engine.h"
#include "gateway/kubeflow_defaults.h"
#include "gateway/test_fakes.h"
#include "gateway/test_util.h"

namespace ferry::gateway {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1700000000;
constexpr const char* kDex = "http://dex.auth.svc.cluster.local:5556/dex";
constexpr const char* kKindIss = "https://kubernetes.default.svc";

std::string AP(const std::string& ns, const std::string& name, const std::string& spec) {
  return json{{"apiVersion", "security.istio.io/v1"},
              {"kind", "AuthorizationPolicy"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", json::parse(spec)}}
      .dump();
}

std::string RA(const std::string& ns, const std::string& name, const std::string& spec) {
  return json{{"apiVersion", "security.istio.io/v1"},
              {"kind", "RequestAuthentication"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", json::parse(spec)}}
      .dump();
}

const std::string kRaX =
    RA("foo", "ra-x", R"({"jwtRules":[{"issuer":"X","jwksUri":"http://keys.test/x"}]})");
const std::string kMeshP = R"({"extensionProviders":[{"name":"p","envoyExtAuthzHttp":{
  "service":"authz.foo.svc.cluster.local","port":8000,"headersToUpstreamOnAllow":["x-user"]}}]})";
const std::string kMeshPFailOpen = R"({"extensionProviders":[{"name":"p","envoyExtAuthzHttp":{
  "service":"authz.foo.svc.cluster.local","port":8000,"failOpen":true}}]})";
const std::string kCustomAdmin = AP("foo", "ext", R"({"action":"CUSTOM","provider":{"name":"p"},
  "rules":[{"to":[{"operation":{"paths":["/admin/*"]}}]}]})");

using testing::FakeAuthz;
using testing::FakeFetcher;
using testing::FakeOauth2Proxy;

enum class W { kFoo, kFooOther, kGw, kProfile };

struct Req {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string token;  // kind, see Token()
  std::string principal;
  std::string source_ip = "203.0.113.9";
  bool tcp = false;
};

struct Expect {
  bool allowed = true;
  int status = 200;
  std::string body;
  int ext_calls = 0;
  std::string principal;
  std::vector<std::pair<std::string, std::string>> upstream;    // must be set
  std::vector<std::string> upstream_removed;                    // must be removed
  std::vector<std::pair<std::string, std::string>> downstream;  // must be present
  std::string content_type;
  bool www_authenticate = false;
};

enum class Authz { kNone, kAllowXUser, kRedirect, kDown, kOauth2 };

struct Case {
  std::string id;
  std::vector<std::string> objects;
  std::string mesh;
  W w = W::kFoo;
  Req req;
  Expect exp;
  Authz authz = Authz::kNone;
  bool kf = false;
  std::vector<std::string> m2m;
};

Expect R403() { return {false, 403, "RBAC: access denied"}; }
Expect J401(std::string body) {
  Expect e{false, 401, std::move(body)};
  e.www_authenticate = true;
  e.content_type = "text/plain";
  return e;
}

std::vector<Case> Vectors() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  const std::string allow_all = AP("foo", "allow-all", R"({"rules":[{}]})");
  add({"01", {}, "", W::kFoo, {}, {}});
  add({"02", {AP("foo", "allow-nothing", "{}")}, "", W::kFoo, {}, R403()});
  add({"03", {allow_all}, "", W::kFoo, {"POST", "/any"}, {}});
  add({"04",
       {allow_all, AP("foo", "deny-all", R"({"action":"DENY","rules":[{}]})")},
       "",
       W::kFoo,
       {},
       R403()});
  const std::string deny_post =
      AP("foo", "deny-post",
         R"({"action":"DENY","rules":[{"to":[{"operation":{"methods":["POST"]}}]}]})");
  add({"05", {deny_post}, "", W::kFoo, {"GET", "/x"}, {}});
  add({"06", {deny_post}, "", W::kFoo, {"POST", "/x"}, R403()});
  const std::string info =
      AP("foo", "info", R"({"rules":[{"to":[{"operation":{"paths":["/info*"]}}]}]})");
  add({"07", {info}, "", W::kFoo, {"GET", "/info/a?x=1"}, {}});
  add({"08", {info}, "", W::kFoo, {"GET", "/data"}, R403()});
  add({"09",
       {AP("foo", "pub", R"({"rules":[{"to":[{"operation":{"paths":["/public/*"]}}]}]})")},
       "",
       W::kFoo,
       {"GET", "/public/../admin"},
       R403()});
  add({"11",
       {AP("foo", "hz", R"({"rules":[{"to":[{"operation":{"paths":["*/healthz"]}}]}]})")},
       "",
       W::kFoo,
       {"GET", "/v1/healthz"},
       {}});
  const std::string tmpl1 =
      AP("foo", "t1", R"({"rules":[{"to":[{"operation":{"paths":["/foo/{*}"]}}]}]})");
  add({"12a", {tmpl1}, "", W::kFoo, {"GET", "/foo/bar"}, {}});
  add({"12b", {tmpl1}, "", W::kFoo, {"GET", "/foo/bar/baz"}, R403()});
  add({"13",
       {AP("foo", "t2", R"({"rules":[{"to":[{"operation":{"paths":["/foo/{*}/bar/{**}"]}}]}]})")},
       "",
       W::kFoo,
       {"GET", "/foo/buzz/bar/baz"},
       {}});
  add({"16",
       {AP("foo", "and",
           R"({"rules":[{"to":[{"operation":{"methods":["GET"],"paths":["/a"]}}]}]})")},
       "",
       W::kFoo,
       {"POST", "/a"},
       R403()});
  add({"17",
       {AP("foo", "or", R"({"rules":[{"to":[{"operation":{"methods":["GET","HEAD"]}}]}]})")},
       "",
       W::kFoo,
       {"HEAD", "/"},
       {}});
  const std::string rp_or_hz = AP("foo", "rp", R"({"rules":[
      {"from":[{"source":{"requestPrincipals":["*"]}}]},
      {"to":[{"operation":{"paths":["/healthz"]}}]}]})");
  add({"18", {rp_or_hz}, "", W::kFoo, {"GET", "/healthz"}, {}});
  add({"19", {rp_or_hz, kRaX}, "", W::kFoo, {"GET", "/x"}, R403()});
  const std::string xtoken =
      AP("foo", "xt",
         R"({"rules":[{"when":[{"key":"request.headers[x-token]","values":["abc*"]}]}]})");
  add({"20a", {xtoken}, "", W::kFoo, {"GET", "/", {{"X-Token", "abcdef"}}}, {}});
  add({"20b", {xtoken}, "", W::kFoo, {"GET", "/"}, R403()});
  add({"22",
       {AP("foo", "need-auth",
           R"({"action":"DENY","rules":[{"when":[{"key":"request.headers[authorization]","notValues":["*"]}]}]})")},
       "",
       W::kFoo,
       {},
       R403()});
  add({"23",
       {AP("foo", "from-or", R"({"rules":[{"from":[{"source":{"namespaces":["test"]}},
       {"source":{"principals":["cluster.local/ns/default/sa/sleep"]}}]}]})")},
       "",
       W::kFoo,
       {"GET", "/", {}, "", "spiffe://cluster.local/ns/test/sa/x"},
       {}});
  add({"24",
       {AP("foo", "not-foo",
           R"({"action":"DENY","rules":[{"from":[{"source":{"notNamespaces":["foo"]}}]}]})")},
       "",
       W::kFoo,
       {},
       R403()});
  const std::string ipb =
      AP("foo", "ip", R"({"rules":[{"from":[{"source":{"ipBlocks":["10.0.0.0/8"]}}]}]})");
  add({"25a", {ipb}, "", W::kFoo, {"GET", "/", {}, "", "", "10.1.2.3"}, {}});
  add({"25b", {ipb}, "", W::kFoo, {"GET", "/", {}, "", "", "192.168.1.1"}, R403()});
  Req tcp;
  tcp.tcp = true;
  add({"27",
       {AP("foo", "get-only", R"({"rules":[{"to":[{"operation":{"methods":["GET"]}}]}]})")},
       "",
       W::kFoo,
       tcp,
       R403()});
  add({"28",
       {AP("foo", "deny-post-8080",
           R"({"action":"DENY","rules":[{"to":[{"operation":{"methods":["POST"],"ports":["8080"]}}]}]})")},
       "",
       W::kFoo,
       tcp,
       R403()});
  const std::string global_deny = AP("istio-system", "global-deny-all", "{}");
  add({"29", {global_deny}, "", W::kFoo, {}, R403()});
  const std::string sel_w =
      AP("foo", "w-only", R"({"selector":{"matchLabels":{"app":"w"}},"rules":[{}]})");
  add({"30a", {global_deny, sel_w}, "", W::kFoo, {}, {}});
  add({"30b", {global_deny, sel_w}, "", W::kFooOther, {}, R403()});
  add({"31", {kRaX}, "", W::kFoo, {}, {}});
  add({"32", {kRaX}, "", W::kFoo, {"GET", "/", {}, "x_badsig"}, J401("Jwt verification fails")});
  add({"33", {kRaX}, "", W::kFoo, {"GET", "/", {}, "y"}, J401("Jwt issuer is not configured")});
  add({"36",
       {kRaX},
       "",
       W::kFoo,
       {"GET", "/", {}, "abc"},
       J401("Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections")});
  add({"37",
       {kRaX},
       "",
       W::kFoo,
       {"GET", "/", {}, "none"},
       J401("Jwt header [alg] is not supported")});
  Expect x_u1;
  x_u1.principal = "X/u1";
  add({"38",
       {kRaX,
        AP("foo", "rp-x", R"({"rules":[{"from":[{"source":{"requestPrincipals":["X/*"]}}]}]})")},
       "",
       W::kFoo,
       {"GET", "/", {}, "x_u1"},
       x_u1});
  add({"40",
       {kRaX,
        AP("foo", "admins",
           R"({"rules":[{"when":[{"key":"request.auth.claims[groups]","values":["admins"]}]}]})")},
       "",
       W::kFoo,
       {"GET", "/", {}, "x_u1"},
       x_u1});
  add({"44", {kCustomAdmin}, kMeshP, W::kFoo, {"GET", "/public"}, {}, Authz::kAllowXUser});
  Expect e45;
  e45.ext_calls = 1;
  e45.upstream = {{"x-user", "a"}};
  add({"45", {kCustomAdmin}, kMeshP, W::kFoo, {"GET", "/admin/x"}, e45, Authz::kAllowXUser});
  Expect e46{false, 302, "redirecting to /dex/auth"};
  e46.ext_calls = 1;
  e46.downstream = {{"location", "/dex/auth"}};
  add({"46", {kCustomAdmin}, kMeshP, W::kFoo, {"GET", "/admin/x"}, e46, Authz::kRedirect});
  Expect e48;
  e48.ext_calls = 1;
  add({"48", {kCustomAdmin}, kMeshPFailOpen, W::kFoo, {"GET", "/admin/x"}, e48, Authz::kDown});
  Expect e48n{false, 403, ""};
  e48n.ext_calls = 1;
  add({"48-closed", {kCustomAdmin}, kMeshP, W::kFoo, {"GET", "/admin/x"}, e48n, Authz::kDown});
  Expect e49 = R403();
  e49.ext_calls = 1;
  add({"49",
       {kCustomAdmin,
        AP("foo", "deny-admin",
           R"({"action":"DENY","rules":[{"to":[{"operation":{"paths":["/admin/*"]}}]}]})")},
       kMeshP,
       W::kFoo,
       {"GET", "/admin/x"},
       e49,
       Authz::kAllowXUser});
  // Kubeflow default set (m2m-dex-only unless m2m issuers are given).
  Expect e51{false, 403, "<html>Sign in with Dex</html>"};
  e51.ext_calls = 1;
  e51.content_type = "text/html; charset=utf-8";
  e51.downstream = {{"set-cookie", "_oauth2_proxy_kubeflow_csrf=x; Path=/"}};
  add({"51", {}, "", W::kGw, {"GET", "/"}, e51, Authz::kOauth2, true});
  Expect e52{false, 401, R"({"error":"unauthorized"})"};
  e52.ext_calls = 1;
  e52.content_type = "application/json";
  add({"52", {}, "", W::kGw, {"GET", "/api/x"}, e52, Authz::kOauth2, true});
  // Kubeflow's provider forwards only authorization + cookie to oauth2-proxy
  // (Envoy adds Host/Method/Path/Content-Length), so an `Accept: application/
  // json` header never reaches it: a non-API path still gets the sign-in page.
  add({"52-accept-not-forwarded",
       {},
       "",
       W::kGw,
       {"GET", "/", {{"Accept", "application/json"}}},
       e51,
       Authz::kOauth2,
       true});
  add({"53", {}, "", W::kGw, {"GET", "/dex/auth"}, {}, Authz::kOauth2, true});
  Expect e54;
  e54.ext_calls = 1;
  e54.principal = std::string(kDex) + "/alice-sub";
  e54.upstream = {{"kubeflow-userid", "alice@example.com"},
                  {"x-auth-request-email", "alice@example.com"}};
  add({"54",
       {},
       "",
       W::kGw,
       {"GET", "/", {{"Cookie", "oauth2_proxy_kubeflow=valid"}}},
       e54,
       Authz::kOauth2,
       true});
  Expect e55;
  e55.principal = std::string(kDex) + "/alice-sub";
  e55.upstream = {{"kubeflow-userid", "alice@example.com"}};
  e55.upstream_removed = {"kubeflow-groups"};  // client-sent copy stripped; list claim not copied
  add({"55",
       {},
       "",
       W::kGw,
       {"GET", "/", {{"kubeflow-groups", "spoofed"}}, "dex_alice"},
       e55,
       Authz::kOauth2,
       true});
  Expect e57;
  e57.principal = std::string(kKindIss) + "/system:serviceaccount:kubeflow-user:default-editor";
  e57.upstream = {{"kubeflow-userid", "system:serviceaccount:kubeflow-user:default-editor"}};
  add({"57",
       {},
       "",
       W::kGw,
       {"POST", "/v1/models/sklearn-iris:predict", {}, "sa"},
       e57,
       Authz::kOauth2,
       true,
       {"https://kubernetes.default.svc.cluster.local", kKindIss}});
  const std::string gw_sa = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
  add({"59",
       {},
       "",
       W::kProfile,
       {"POST", "/v1/models/m:predict", {{"kubeflow-userid", "alice@example.com"}}, "", gw_sa},
       {},
       Authz::kNone,
       true});
  add({"59-other-user",
       {},
       "",
       W::kProfile,
       {"POST", "/v1/models/m:predict", {{"kubeflow-userid", "bob@example.com"}}, "", gw_sa},
       R403(),
       Authz::kNone,
       true});
  add({"61",
       {},
       "",
       W::kProfile,
       {"GET", "/metrics", {}, "", "cluster.local/ns/other/sa/x"},
       {},
       Authz::kNone,
       true});
  add({"63",
       {},
       "",
       W::kProfile,
       {"POST", "/v1/models/m:predict", {}, "", "cluster.local/ns/kubeflow-user/sa/default-editor"},
       {},
       Authz::kNone,
       true});
  add({"63-other-ns",
       {},
       "",
       W::kProfile,
       {"POST", "/v1/models/m:predict", {}, "", "cluster.local/ns/other/sa/default-editor"},
       R403(),
       Authz::kNone,
       true});
  return v;
}

class VectorTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    key_ = new testing::TestKey(testing::MakeRsaKey("k1"));
    fetcher_ = std::make_shared<FakeFetcher>();
    fetcher_->jwks = testing::JwksJson({key_});
  }
  static std::string Token(const std::string& kind) {
    const json far = 4102444800;
    if (kind == "x_u1" || kind == "x_badsig") {
      std::string t = testing::SignJwt(
          *key_, "RS256",
          {{"iss", "X"}, {"sub", "u1"}, {"groups", {"dev", "admins"}}, {"exp", far}});
      if (kind == "x_badsig") {
        t[t.size() - 3] = t[t.size() - 3] == 'A' ? 'B' : 'A';
      }
      return t;
    }
    if (kind == "y") {
      return testing::SignJwt(*key_, "RS256", {{"iss", "Y"}, {"sub", "u1"}});
    }
    if (kind == "abc") {
      return "abc";
    }
    if (kind == "none") {
      return testing::UnsignedJwt({{"alg", "none"}}, {{"iss", "X"}, {"sub", "u1"}}) + ".";
    }
    if (kind == "dex_alice") {
      return testing::SignJwt(*key_, "RS256",
                              {{"iss", kDex},
                               {"sub", "alice-sub"},
                               {"email", "alice@example.com"},
                               {"groups", {"kf"}},
                               {"aud", "kubeflow-oidc-authservice"},
                               {"exp", far}});
    }
    if (kind == "sa") {
      return testing::SignJwt(*key_, "RS256",
                              {{"iss", kKindIss},
                               {"sub", "system:serviceaccount:kubeflow-user:default-editor"},
                               {"aud", {"istio-ingressgateway.istio-system.svc.cluster.local"}},
                               {"exp", far}});
    }
    return "";
  }
  static testing::TestKey* key_;
  static std::shared_ptr<FakeFetcher> fetcher_;
};
testing::TestKey* VectorTest::key_ = nullptr;
std::shared_ptr<FakeFetcher> VectorTest::fetcher_;

Workload WorkloadFor(W w) {
  switch (w) {
    case W::kGw:
      return Workload::IngressGateway();
    case W::kProfile:
      return {"kubeflow-user", {{"serving.knative.dev/service", "m-predictor"}}, "m-predictor"};
    case W::kFooOther:
      return {"foo", {{"app", "other"}}, "other"};
    case W::kFoo:
      break;
  }
  return {"foo", {{"app", "w"}}, "w"};
}

TEST_P(VectorTest, Reference) {
  const Case& c = GetParam();
  SnapshotOptions so;
  so.jwks_cache = std::make_shared<JwksCache>(fetcher_);
  PolicySnapshotBuilder b(so);
  if (c.kf) {
    KubeflowOptions ko;
    ko.m2m_issuers = c.m2m;
    ASSERT_TRUE(InstallKubeflowDefaults(b, ko, {{"kubeflow-user", "alice@example.com"}}).ok());
  }
  for (const auto& o : c.objects) {
    Status s = b.Add(json::parse(o));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  if (!c.mesh.empty()) {
    ASSERT_TRUE(b.SetMeshConfig(json::parse(c.mesh)).ok());
  }
  auto snap = b.Build();

  auto fake = std::make_shared<FakeAuthz>();
  auto oauth2 = std::make_shared<FakeOauth2Proxy>();
  oauth2->dex_token = Token("dex_alice");
  fake->down = c.authz == Authz::kDown;
  if (c.authz == Authz::kAllowXUser) {
    fake->response = {200, {{"x-user", "a"}, {"x-other", "b"}}, ""};
  }
  if (c.authz == Authz::kRedirect) {
    fake->response = {
        302, {{"location", "/dex/auth"}, {"content-length", "24"}}, "redirecting to /dex/auth"};
  }
  ExtAuthzRegistry reg;
  reg.SetDefault(fake);
  reg.RegisterBuiltin("oauth2-proxy", oauth2);

  std::vector<std::pair<std::string, std::string>> owned = c.req.headers;
  if (!c.req.token.empty()) {
    owned.emplace_back("Authorization", "Bearer " + Token(c.req.token));
  }
  std::vector<Header> headers;
  for (const auto& [n, v] : owned) {
    headers.push_back({n, v});
  }
  RequestAttributes r;
  r.http = !c.req.tcp;
  r.method = c.req.method;
  r.path = c.req.path;
  r.host = "example.com";
  r.headers = headers;
  r.destination_port = 8080;
  r.source_ip = c.req.source_ip;
  r.source_principal = c.req.principal;
  EvalOptions opt;
  opt.now_unix = kNow;
  opt.ext_authz = &reg;
  opt.explain = true;
  Decision d = Evaluate(*snap, WorkloadFor(c.w), r, opt);

  SCOPED_TRACE("vector " + c.id + ": " + d.explanation);
  EXPECT_EQ(d.allowed, c.exp.allowed);
  if (!c.exp.allowed) {
    EXPECT_EQ(d.status, c.exp.status);
    EXPECT_EQ(d.body, c.exp.body);
    if (c.exp.body == kRbacDeniedBody) {
      EXPECT_EQ(d.content_type, "text/plain");
    }
  }
  EXPECT_EQ(d.close_connection, c.req.tcp && !c.exp.allowed);
  if (!c.exp.content_type.empty()) {
    EXPECT_EQ(d.content_type, c.exp.content_type);
  }
  EXPECT_EQ(fake->calls + oauth2->calls, c.exp.ext_calls);
  EXPECT_EQ(d.ext_authz_called, c.exp.ext_calls > 0);
  EXPECT_EQ(d.jwt ? d.jwt->principal : "", c.exp.principal);
  for (const auto& [n, v] : c.exp.upstream) {
    EXPECT_TRUE(std::find(d.upstream_set.begin(), d.upstream_set.end(), OwnedHeader{n, v}) !=
                d.upstream_set.end())
        << "upstream " << n << ": " << v;
  }
  for (const auto& n : c.exp.upstream_removed) {
    EXPECT_TRUE(std::find(d.upstream_remove.begin(), d.upstream_remove.end(), n) !=
                d.upstream_remove.end())
        << "removed " << n;
  }
  for (const auto& [n, v] : c.exp.downstream) {
    EXPECT_TRUE(std::find(d.downstream_headers.begin(), d.downstream_headers.end(),
                          OwnedHeader{n, v}) != d.downstream_headers.end())
        << "downstream " << n << ": " << v;
  }
  if (c.exp.www_authenticate) {
    ASSERT_EQ(d.downstream_headers.size(), 1u);
    EXPECT_EQ(d.downstream_headers[0].name, "www-authenticate");
    EXPECT_EQ(
        d.downstream_headers[0].value,
        "Bearer realm=\"http://example.com" + std::string(r.path) + "\", error=\"invalid_token\"");
  }
}

INSTANTIATE_TEST_SUITE_P(Istio, VectorTest, ::testing::ValuesIn(Vectors()), [](const auto& info) {
  std::string n = "v" + info.param.id;
  for (char& ch : n) {
    if (ch == '-') {
      ch = '_';
    }
  }
  return n;
});

TEST(VectorTable, CoversAll46ReferenceIds) {
  std::set<std::string> ids;
  for (const auto& c : Vectors()) {
    ids.insert(c.id.substr(0, 2));
  }
  EXPECT_EQ(ids.size(), 46u);
}

}  // namespace
}  // namespace ferry::gateway
