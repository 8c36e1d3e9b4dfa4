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
#include "ingress/ingress_handler.h"
#include "ingress/oauth2_routes.h"
#include "web/sign_in.h"

namespace ferry::ingress {
namespace {

using http::HttpRequest;
using http::HttpResponse;

class Sink : public http::ResponseSink {
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
class Named : public http::HttpHandler {
 public:
  explicit Named(std::string name) : name_(std::move(name)) {}
  void Handle(HttpRequest& r, http::Responder responder) override {
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
  http::SplitTarget(req.target, &req.path, &req.query);
  req.body = std::move(body);
  req.headers = std::move(headers);
  req.remote_address = "127.0.0.1";
  return req;
}

// What a browser takes from a sign-in page: the CSRF cookie ("name=value",
// or empty when the request already had it) and the form's hidden token.
struct Form {
  std::string cookie;
  std::string token;
};

Form FormOf(const HttpResponse& page) {
  std::string set = HeaderOf(page, "Set-Cookie");
  std::string marker = "name=\"csrf\" value=\"";
  size_t at = page.body.find(marker);
  if (at == std::string::npos) return {};
  at += marker.size();
  return {set.substr(0, set.find(';')), page.body.substr(at, page.body.find('"', at) - at)};
}

// Loads the sign-in page through `route` and posts `fields` with its token,
// as a browser would.
template <typename Route>
HttpResponse PostForm(Route route, const std::string& fields, std::string address = "127.0.0.1") {
  Form f = FormOf(route(Request("GET", "/oauth2/sign_in")));
  HttpRequest post =
      Request("POST", "/oauth2/sign_in", fields + "&csrf=" + f.token, {{"cookie", f.cookie}});
  post.remote_address = std::move(address);
  return route(std::move(post));
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
    proxy_->HandleRoute(req, http::Responder(sink));
    return sink->last;
  }

  HttpResponse Post(const std::string& fields, std::string address = "127.0.0.1") {
    return PostForm([this](HttpRequest r) { return Route(std::move(r)); }, fields,
                    std::move(address));
  }

  // Signs in; returns the "oauth2_proxy_kubeflow=ID" cookie.
  std::string SignIn(const std::string& user = "user%40example.com",
                     const std::string& password = "12341234") {
    HttpResponse r = Post("username=" + user + "&password=" + password + "&rd=%2Fv2%2Fx");
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
  HttpResponse r = Post("username=user%40example.com&password=nope&rd=%2F");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("id=\"login-error\""), std::string::npos);
  EXPECT_NE(r.body.find("users"), std::string::npos);  // names the file to fix
  EXPECT_EQ(HeaderOf(r, "Set-Cookie"), "");
}

TEST_F(Oauth2ProxyTest, SignInSetsCookieAndCheckInjectsUserJwt) {
  HttpResponse r = Post("username=user%40example.com&password=12341234&rd=%2Fv2%2Fx");
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
  for (std::string rd :
       {"%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%2F%5Cevil", "%2F%09%2Fevil.example",
        "%2F%2509%2Fevil.example", "%2F%252F%252Fevil.example", "%2F%20%2Fevil.example",
        "%2F.%2F%5Cevil.example", "javascript%3Aalert(1)"}) {
    HttpResponse r = Post("username=user%40example.com&password=12341234&rd=" + rd);
    EXPECT_EQ(r.status, 302) << rd;
    EXPECT_EQ(HeaderOf(r, "Location"), "/") << rd;
    // Nor is it carried into the page's form, or to /oauth2/start's redirect.
    EXPECT_EQ(Route(Request("GET", "/oauth2/sign_in?rd=" + rd)).body.find("evil"),
              std::string::npos)
        << rd;
    EXPECT_EQ(HeaderOf(Route(Request("GET", "/oauth2/start?rd=" + rd)), "Location"),
              "/oauth2/sign_in?rd=/")
        << rd;
  }
  EXPECT_EQ(
      HeaderOf(Route(Request("GET", "/oauth2/sign_out?rd=%2F%09%2Fevil.example")), "Location"),
      "/");
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
  auto route = [&p](HttpRequest req) {
    auto sink = std::make_shared<Sink>();
    p.HandleRoute(req, http::Responder(sink));
    return sink->last;
  };
  EXPECT_EQ(PostForm(route, "username=user%40example.com&password=12341234&rd=%2F").status, 302);
}

TEST_F(Oauth2ProxyTest, SignInNeedsTheCsrfTokenOfItsPage) {
  HttpResponse r = Route(
      Request("POST", "/oauth2/sign_in", "username=user%40example.com&password=12341234&rd=%2Fx"));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("CSRF token is missing or wrong"), std::string::npos);
  EXPECT_NE(r.body.find("name=\"rd\" value=\"/x\""), std::string::npos);  // retry keeps rd
  Form fresh = FormOf(r);
  EXPECT_EQ(fresh.cookie.rfind(std::string(kOauth2CsrfCookie) + "=", 0), 0u);
  EXPECT_NE(HeaderOf(r, "Set-Cookie").find("Path=/oauth2; HttpOnly; SameSite=Lax"),
            std::string::npos);
  // A token from another browser's page does not go with this cookie.
  Form other = FormOf(Route(Request("GET", "/oauth2/sign_in")));
  r = Route(Request("POST", "/oauth2/sign_in",
                    "username=user%40example.com&password=12341234&csrf=" + other.token,
                    {{"cookie", fresh.cookie}}));
  EXPECT_EQ(r.status, 403);
  r = Route(Request("POST", "/oauth2/sign_in",
                    "username=user%40example.com&password=12341234&csrf=" + fresh.token,
                    {{"cookie", "x=1; " + fresh.cookie}}));
  EXPECT_EQ(r.status, 302);
}

TEST_F(Oauth2ProxyTest, DeniedPageFromCheckCarriesAWorkingCsrfToken) {
  auto denied = Check("/v2/models/irish-s3");
  ASSERT_EQ(denied.status, 403);
  std::string set = HeaderOf(denied, "set-cookie");
  ASSERT_EQ(set.rfind(std::string(kOauth2CsrfCookie) + "=", 0), 0u) << set;
  HttpResponse page{403, "", {{"Set-Cookie", set}}, denied.body};
  Form f = FormOf(page);
  HttpResponse r = Route(Request("POST", "/oauth2/sign_in",
                                 "username=user%40example.com&password=12341234&rd=%2Fv2%2Fmodels"
                                 "%2Firish-s3&csrf=" +
                                     f.token,
                                 {{"cookie", f.cookie}}));
  EXPECT_EQ(r.status, 302) << r.body;
  // With the cookie already there, Check keeps it.
  EXPECT_EQ(HeaderOf(Check("/v2/x", {{"cookie", f.cookie}}), "set-cookie"), "");
}

TEST_F(Oauth2ProxyTest, FailuresAreThrottledAndTheDefaultPasswordStaysLocal) {
  web::PasswordSignIn::Options opts;  // a clock that stands still
  opts.now = [] { return web::LoginThrottle::Clock::time_point(std::chrono::hours(1)); };
  auto gate = web::PasswordSignIn::Open((dir_ / "users").string(), opts);
  ASSERT_TRUE(gate.ok());
  Oauth2ProxyOptions o;
  o.users_file = (dir_ / "users").string();
  o.sign_in = *gate;
  proxy_ = std::make_shared<Oauth2Proxy>(o, signer_.get());
  HttpResponse r = Post("username=user%40example.com&password=12341234&rd=%2F", "192.0.2.2");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("machine Ferry runs on only"), std::string::npos);
  EXPECT_NE(r.body.find("ferry passwd user@example.com --data-dir " + dir_.string()),
            std::string::npos);
  EXPECT_EQ(HeaderOf(r, "Set-Cookie"), "");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Post("username=bob%40example.com&password=nope&rd=%2F").status, 401);
  }
  EXPECT_EQ(Post("username=bob%40example.com&password=nope&rd=%2F").status, 401);  // 5th
  r = Post("username=bob%40example.com&password=bobpass&rd=%2F");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(HeaderOf(r, "Retry-After"), "1");
  EXPECT_NE(r.body.find("try again in"), std::string::npos);
  // Someone else is not locked out by bob's failures.
  EXPECT_EQ(Post("username=user%40example.com&password=12341234&rd=%2F").status, 302);
}

TEST_F(Oauth2ProxyTest, ExposedListenersHideTheDefaultPassword) {
  auto gate = web::PasswordSignIn::Open((dir_ / "users").string());
  ASSERT_TRUE(gate.ok());
  Oauth2ProxyOptions o;
  o.users_file = (dir_ / "users").string();
  o.sign_in = *gate;
  proxy_ = std::make_shared<Oauth2Proxy>(o, signer_.get());
  EXPECT_NE(Route(Request("GET", "/oauth2/sign_in")).body.find("12341234"), std::string::npos);
  (*gate)->SetExposed(true);
  for (const std::string& body :
       {Route(Request("GET", "/oauth2/sign_in")).body, Check("/v2/x").body}) {
    EXPECT_EQ(body.find("12341234"), std::string::npos);
    EXPECT_NE(body.find("id=\"set-password-note\""), std::string::npos);
    EXPECT_NE(body.find("ferry passwd user@example.com --data-dir"), std::string::npos);
  }
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

// The external listener's routes: /oauth2/* to the proxy, InferenceService
// hosts (and model paths, absolute-form targets) to the models, any other
// host to the dashboard behind its session.
TEST(FrontRoutesTest, ExternalListenerSplitsOauth2DashboardAndModelHosts) {
  auto dir = std::filesystem::temp_directory_path() /
             ("ferry-extfront-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "users") << "user@example.com plain:pw\n";
  Oauth2ProxyOptions o;
  o.users_file = (dir / "users").string();
  Oauth2Proxy proxy(o, nullptr);
  Named dashboard("dashboard");
  GatewaySnapshots snapshots;
  gateway::ExtAuthzRegistry registry;
  GatewayPipeline pipeline(&snapshots, &registry);
  ParkedCalls parked(&pipeline, nullptr);
  FrontRoutes front(&proxy);
  IngressHandler external(true, &parked, nullptr);
  external.SetFrontRoutes(&front);
  auto table = std::make_shared<controller::RouteTable>();
  auto route = std::make_shared<controller::ServiceRoute>();
  route->name_space = "my-profile";
  route->name = "irish-s3";
  route->not_ready_reason = "its model is still loading";
  table->AddExternalHost("irish-s3.my-profile.example.com", route);
  snapshots.SetRoutes(table);

  auto call = [&](HttpRequest req) {
    auto sink = std::make_shared<Sink>();
    external.Handle(req, http::Responder(sink));
    return sink->last;
  };
  auto is_model_route = [](const HttpResponse& r) {  // the route has no ready revision
    return r.status == 503 && r.body.find("irish-s3") != std::string::npos;
  };
  auto is_no_route = [](const HttpResponse& r) {
    return r.status == 404 && r.body.find("no InferenceService has host") != std::string::npos;
  };
  // Without a dashboard (profile none) every non-/oauth2 request is the gateway's.
  EXPECT_TRUE(is_no_route(call(Request("GET", "/", "", {{"host", "127.0.0.1:8080"}}))));
  front.SetDashboard(&dashboard);
  EXPECT_EQ(call(Request("GET", "/oauth2/sign_in", "", {{"host", "x"}})).status, 200);
  EXPECT_TRUE(is_model_route(
      call(Request("GET", "/", "", {{"host", "irish-s3.my-profile.example.com:8080"}}))));
  EXPECT_TRUE(
      is_no_route(call(Request("POST", "/v2/models/m/infer", "", {{"host", "typo.example.com"}}))));
  EXPECT_TRUE(is_no_route(call(Request("GET", "http://other.example.com/", "", {{"host", "x"}}))));
  HttpResponse page = call(Request("GET", "/index.html?a=1", "", {{"host", "127.0.0.1:8080"}}));
  EXPECT_EQ(page.status, 302);
  EXPECT_EQ(HeaderOf(page, "Location"), "/oauth2/sign_in?rd=/index.html%3Fa%3D1");
  EXPECT_EQ(call(Request("GET", "/apis/x", "", {{"host", "127.0.0.1"}})).status, 401);

  HttpResponse login = PostForm(call, "username=user%40example.com&password=pw&rd=%2F");
  ASSERT_EQ(login.status, 302);
  std::string cookie = HeaderOf(login, "Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(call(Request("GET", "/apis/x", "", {{"host", "127.0.0.1"}, {"cookie", cookie}})).body,
            "dashboard");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferry::ingress
