#include "ingress/oauth2_proxy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/token_signer.h"
#include "common/base64.h"
#include "gateway/engine.h"
#include "gateway/kubeflow_defaults.h"
#include "ingress/oauth2_routes.h"

namespace ferry::ingress {
namespace {

using server::HttpRequest;
using server::HttpResponse;

class Sink : public server::ResponseSink {
 public:
  void Send(HttpResponse r) override { last = std::move(r); }
  void StartStream(HttpResponse r) override { last = std::move(r); }
  bool WriteChunk(std::string d) override {
    last.body += d;
    return true;
  }
  void EndStream() override {}
  HttpResponse last;
};

// Records the request and answers with `name`.
class Named : public server::HttpHandler {
 public:
  explicit Named(std::string name) : name_(std::move(name)) {}
  void Handle(HttpRequest& r, server::Responder responder) override {
    seen = r.path;
    responder.Send(HttpResponse::Text(200, name_));
  }
  std::string seen;

 private:
  std::string name_;
};

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

std::string HeaderOf(const gateway::ExtAuthzResponse& r, const std::string& name) {
  for (const auto& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

HttpRequest Request(std::string method, std::string target, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  server::SplitTarget(req.target, &req.path, &req.query);
  req.body = std::move(body);
  req.headers = std::move(headers);
  return req;
}

// Decodes the JWT payload (base64url) to JSON.
nlohmann::json JwtPayload(const std::string& jwt) {
  size_t a = jwt.find('.'), b = jwt.find('.', a + 1);
  std::string out;
  EXPECT_TRUE(Base64UrlDecode(jwt.substr(a + 1, b - a - 1), &out)) << jwt;
  return nlohmann::json::parse(out);
}

class Oauth2ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ferry-oauth2-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "users") << "# test users\nuser@example.com plain:12341234\n"
                                  << "bob@example.com plain:bobpass\n";
    auto signer = api::CreateRs256Signer((dir_ / "key.pem").string());
    ASSERT_TRUE(signer.ok()) << signer.status().ToString();
    signer_ = std::move(*signer);
    Oauth2ProxyOptions o;
    o.users_file = (dir_ / "users").string();
    o.issuer = "https://kubernetes.default.svc.cluster.local";
    proxy_ = std::make_shared<Oauth2Proxy>(o, signer_.get());
    ASSERT_TRUE(proxy_->init_status().ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  HttpResponse Route(HttpRequest req) {
    auto sink = std::make_shared<Sink>();
    proxy_->HandleRoute(req, server::Responder(sink));
    return sink->last;
  }

  // Signs in; returns the "oauth2_proxy_kubeflow=ID" cookie.
  std::string SignIn(const std::string& user = "user%40example.com",
                     const std::string& password = "12341234") {
    HttpResponse r = Route(Request("POST", "/oauth2/sign_in",
                                   "username=" + user + "&password=" + password + "&rd=%2Fv2%2Fx"));
    EXPECT_EQ(r.status, 302) << r.body;
    std::string c = HeaderOf(r, "Set-Cookie");
    return c.substr(0, c.find(';'));
  }

  gateway::ExtAuthzResponse Check(const std::string& path,
                                  std::vector<gateway::OwnedHeader> headers = {}) {
    gateway::ExtAuthzCheckRequest c;
    c.method = "GET";
    c.host = "irish-s3.my-profile.example.com";
    c.path = path;
    c.headers = std::move(headers);
    auto r = proxy_->Check(gateway::ExtAuthzProvider{}, c);
    EXPECT_TRUE(r.ok());
    return *r;
  }

  std::filesystem::path dir_;
  std::unique_ptr<api::TokenSigner> signer_;
  std::shared_ptr<Oauth2Proxy> proxy_;
};

TEST_F(Oauth2ProxyTest, NoSessionBrowserGetsSignInPageBackToThePath) {
  auto r = Check("/v2/models/irish-s3?x=1");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(HeaderOf(r, "content-type"), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("action=\"/oauth2/sign_in\""), std::string::npos);
  EXPECT_NE(r.body.find("name=\"rd\" value=\"/v2/models/irish-s3?x=1\""), std::string::npos);
  EXPECT_NE(r.body.find("for=\"username\""), std::string::npos);
}

TEST_F(Oauth2ProxyTest, NoSessionApiClientGets401Json) {
  auto r = Check("/apis/kubeflow.org/v1/profiles");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(HeaderOf(r, "content-type"), "application/json");
  EXPECT_TRUE(nlohmann::json::accept(r.body));
  r = Check("/v2/models/x", {{"accept", "application/json"}});
  EXPECT_EQ(r.status, 401);
  r = Check("/ml_metadata.Store/x");
  EXPECT_EQ(r.status, 401);
}

TEST_F(Oauth2ProxyTest, WrongPasswordShowsTheErrorAndNoCookie) {
  HttpResponse r =
      Route(Request("POST", "/oauth2/sign_in", "username=user%40example.com&password=nope&rd=%2F"));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("id=\"login-error\""), std::string::npos);
  EXPECT_NE(r.body.find("users"), std::string::npos);  // names the file to fix
  EXPECT_EQ(HeaderOf(r, "Set-Cookie"), "");
}

TEST_F(Oauth2ProxyTest, SignInSetsCookieAndCheckInjectsUserJwt) {
  HttpResponse r = Route(Request("POST", "/oauth2/sign_in",
                                 "username=user%40example.com&password=12341234&rd=%2Fv2%2Fx"));
  ASSERT_EQ(r.status, 302);
  EXPECT_EQ(HeaderOf(r, "Location"), "/v2/x");
  std::string set = HeaderOf(r, "Set-Cookie");
  EXPECT_EQ(set.rfind(std::string(kOauth2Cookie) + "=", 0), 0u) << set;
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(set.find("Path=/"), std::string::npos);

  std::string cookie = set.substr(0, set.find(';'));
  auto ok = Check("/v2/models/irish-s3/infer", {{"cookie", "a=b; " + cookie + "; c=d"}});
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(HeaderOf(ok, "x-auth-request-email"), "user@example.com");
  std::string auth = HeaderOf(ok, "authorization");
  ASSERT_EQ(auth.rfind("Bearer ", 0), 0u);
  nlohmann::json claims = JwtPayload(auth.substr(7));
  EXPECT_EQ(claims["iss"], "https://kubernetes.default.svc.cluster.local");
  EXPECT_EQ(claims["sub"], "user@example.com");
  EXPECT_EQ(claims["email"], "user@example.com");
  EXPECT_EQ(claims["aud"], "kubeflow-oidc-authservice");
  EXPECT_GT(claims["exp"].get<int64_t>(), claims["iat"].get<int64_t>());

  HttpRequest with_cookie = Request("GET", "/", "", {{"cookie", cookie}});
  std::string email;
  EXPECT_TRUE(proxy_->SessionUser(with_cookie, &email));
  EXPECT_EQ(email, "user@example.com");
  HttpResponse info = Route(Request("GET", "/oauth2/userinfo", "", {{"cookie", cookie}}));
  EXPECT_EQ(info.status, 200);
  EXPECT_EQ(nlohmann::json::parse(info.body)["email"], "user@example.com");
}

TEST_F(Oauth2ProxyTest, SignOutEndsTheSession) {
  std::string cookie = SignIn();
  HttpResponse r = Route(Request("GET", "/oauth2/sign_out", "", {{"cookie", cookie}}));
  EXPECT_EQ(r.status, 302);
  EXPECT_NE(HeaderOf(r, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Check("/v2/x", {{"cookie", cookie}}).status, 403);
  EXPECT_EQ(Route(Request("GET", "/oauth2/auth", "", {{"cookie", cookie}})).status, 401);
}

TEST_F(Oauth2ProxyTest, RedirectsStayOnTheHost) {
  for (std::string rd : {"%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%2F%5Cevil"}) {
    HttpResponse r = Route(Request("POST", "/oauth2/sign_in",
                                   "username=user%40example.com&password=12341234&rd=" + rd));
    EXPECT_EQ(HeaderOf(r, "Location"), "/") << rd;
  }
  HttpResponse start = Route(Request("GET", "/oauth2/start?rd=%2Fmodels%3Fa%3D1"));
  EXPECT_EQ(start.status, 302);
  EXPECT_EQ(HeaderOf(start, "Location"), "/oauth2/sign_in?rd=/models%3Fa%3D1");
  HttpResponse page = Route(Request("GET", "/oauth2/sign_in?rd=%2Fx%22%3E%3Cscript%3E"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);  // escaped
}

TEST_F(Oauth2ProxyTest, SessionCookieForIsReused) {
  std::string a = proxy_->SessionCookieFor("user@example.com");
  std::string b = proxy_->SessionCookieFor("user@example.com");
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_EQ(Check("/v2/x", {{"cookie", a}}).status, 200);
}

TEST_F(Oauth2ProxyTest, MissingUsersFileIsCreatedWithTheDefaultUser) {
  Oauth2ProxyOptions o;
  o.users_file = (dir_ / "fresh-users").string();
  Oauth2Proxy p(o, nullptr);
  ASSERT_TRUE(p.init_status().ok());
  EXPECT_TRUE(std::filesystem::exists(o.users_file));
  auto sink = std::make_shared<Sink>();
  HttpRequest req =
      Request("POST", "/oauth2/sign_in", "username=user%40example.com&password=12341234&rd=%2F");
  p.HandleRoute(req, server::Responder(sink));
  EXPECT_EQ(sink->last.status, 302);
}

// The whole Kubeflow chain in the engine: CUSTOM (this proxy) → the
// m2m-token-issuer RequestAuthentication (Ferry's issuer and JWKS) →
// require-jwt → the profile's ns-owner-access-istio at the predictor.
TEST_F(Oauth2ProxyTest, KubeflowPoliciesLetTheProfileOwnerThrough) {
  gateway::KubeflowOptions ko;
  ko.m2m_issuers = {"https://kubernetes.default.svc.cluster.local"};
  ko.m2m_jwks = signer_->Jwks().dump();
  ko.m2m_jwks_uri.clear();
  gateway::PolicySnapshotBuilder b;
  ASSERT_TRUE(gateway::InstallKubeflowDefaults(b, ko, {{"my-profile", "user@example.com"}}).ok());
  auto snap = b.Build();
  gateway::ExtAuthzRegistry reg;
  reg.RegisterBuiltin("oauth2-proxy", proxy_);
  gateway::Workload predictor{
      "my-profile",
      {{"serving.knative.dev/service", "irish-s3-predictor"}, {"component", "predictor"}},
      "irish-s3"};

  auto run = [&](const std::string& cookie) {
    std::vector<std::pair<std::string, std::string>> owned = {{"cookie", cookie}};
    std::vector<gateway::Header> headers;
    for (const auto& [k, v] : owned) headers.push_back({k, v});
    gateway::RequestAttributes attrs;
    attrs.method = "POST";
    attrs.host = "irish-s3.my-profile.example.com";
    attrs.path = "/v2/models/irish-s3/infer";
    attrs.headers = headers;
    gateway::EvalOptions eval;
    eval.ext_authz = &reg;
    eval.explain = true;
    gateway::Decision gw =
        gateway::Evaluate(*snap, gateway::Workload::IngressGateway(), attrs, eval);
    if (!gw.allowed) return gw;
    for (const auto& h : gw.upstream_set) owned.emplace_back(h.name, h.value);
    headers.clear();
    for (const auto& [k, v] : owned) headers.push_back({k, v});
    attrs.headers = headers;
    attrs.source_principal = gateway::kIngressGatewayPrincipal;
    return gateway::Evaluate(*snap, predictor, attrs, eval);
  };
  gateway::Decision none = run("");
  EXPECT_FALSE(none.allowed);
  EXPECT_EQ(none.status, 403);  // the sign-in page
  gateway::Decision owner = run(SignIn());
  EXPECT_TRUE(owner.allowed) << owner.explanation;
  gateway::Decision bob = run(SignIn("bob%40example.com", "bobpass"));
  EXPECT_FALSE(bob.allowed) << bob.explanation;
  EXPECT_EQ(bob.body, "RBAC: access denied");
}

TEST(ExternalFrontTest, SplitsOauth2DashboardAndModelHosts) {
  auto dir = std::filesystem::temp_directory_path() /
             ("ferry-extfront-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "users") << "user@example.com plain:pw\n";
  Oauth2ProxyOptions o;
  o.users_file = (dir / "users").string();
  Oauth2Proxy proxy(o, nullptr);
  Named gateway("gateway"), dashboard("dashboard");
  ExternalFront front(&proxy, &gateway);
  auto table = std::make_shared<controller::RouteTable>();
  table->AddExternalHost("irish-s3.my-profile.example.com",
                         std::make_shared<controller::ServiceRoute>());
  front.SetRoutes(table);

  auto call = [&](HttpRequest req) {
    auto sink = std::make_shared<Sink>();
    front.Handle(req, server::Responder(sink));
    return sink->last;
  };
  // Without a dashboard (profile none) every non-/oauth2 request is the gateway's.
  EXPECT_EQ(call(Request("GET", "/", "", {{"host", "127.0.0.1:8080"}})).body, "gateway");
  front.SetDashboard(&dashboard);
  EXPECT_EQ(call(Request("GET", "/oauth2/sign_in", "", {{"host", "x"}})).status, 200);
  EXPECT_EQ(call(Request("GET", "/", "", {{"host", "irish-s3.my-profile.example.com:8080"}})).body,
            "gateway");
  EXPECT_EQ(call(Request("POST", "/v2/models/m/infer", "", {{"host", "typo.example.com"}})).body,
            "gateway");
  EXPECT_EQ(call(Request("GET", "http://other.example.com/", "", {{"host", "x"}})).body, "gateway");
  HttpResponse page = call(Request("GET", "/index.html?a=1", "", {{"host", "127.0.0.1:8080"}}));
  EXPECT_EQ(page.status, 302);
  EXPECT_EQ(HeaderOf(page, "Location"), "/oauth2/sign_in?rd=/index.html%3Fa%3D1");
  EXPECT_EQ(call(Request("GET", "/apis/x", "", {{"host", "127.0.0.1"}})).status, 401);

  HttpResponse login =
      call(Request("POST", "/oauth2/sign_in", "username=user%40example.com&password=pw&rd=%2F",
                   {{"host", "127.0.0.1"}}));
  ASSERT_EQ(login.status, 302);
  std::string cookie = HeaderOf(login, "Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(call(Request("GET", "/apis/x", "", {{"host", "127.0.0.1"}, {"cookie", cookie}})).body,
            "dashboard");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferry::ingress
