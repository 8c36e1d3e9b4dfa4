#include "web/web_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "web/assets.h"
#include "web/front_handler.h"
#include "web/gzip.h"
#include "web/sign_in.h"
#include "web/users.h"

namespace ferry::web {
namespace {

using http::HttpRequest;
using http::HttpResponse;

// Captures what the handler sends.
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

// Stands in for a gateway: records the request it was handed.
class FakeGateway : public http::HttpHandler {
 public:
  void Handle(HttpRequest& r, http::Responder responder) override {
    seen = r;
    responder.Send(HttpResponse::Json(403, "RBAC: access denied"));
  }
  HttpRequest seen;
};

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class WebHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ferry-web-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    WebOptions o;
    o.data_dir = dir_.string();
    o.admin_token = "admintoken";
    o.user_token = [](const std::string& user) { return "token-of-" + user; };
    handler_ = std::make_unique<WebHandler>(o, &external_, &internal_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  HttpResponse Call(std::string method, std::string target, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    http::SplitTarget(req.target, &req.path, &req.query);
    req.body = std::move(body);
    req.headers = std::move(headers);
    req.remote_address = remote_;
    auto sink = std::make_shared<Sink>();
    handler_->Handle(req, http::Responder(sink));
    return sink->last;
  }

  // What a browser gets from the sign-in page: the CSRF cookie ("name=value")
  // and the form's hidden token.
  struct Form {
    std::string cookie;
    std::string token;
  };
  Form LoadForm() {
    HttpResponse page = Call("GET", "/login");
    EXPECT_EQ(page.status, 200);
    std::string set = HeaderOf(page, "Set-Cookie");
    EXPECT_EQ(set.rfind(std::string(kLoginCsrfCookie) + "=", 0), 0u) << set;
    std::string marker = "name=\"csrf\" value=\"";
    size_t at = page.body.find(marker);
    EXPECT_NE(at, std::string::npos);
    at += marker.size();
    return {set.substr(0, set.find(';')), page.body.substr(at, page.body.find('"', at) - at)};
  }

  // Posts the sign-in form as a browser would (cookie + hidden token).
  HttpResponse PostLogin(const std::string& fields) {
    Form f = LoadForm();
    return Call("POST", "/login", fields + "&csrf=" + f.token, {{"cookie", f.cookie}});
  }

  // Signs in and returns the "Cookie" header value.
  std::string SignIn() {
    HttpResponse r = PostLogin("email=user%40example.com&password=12341234&next=%2F");
    EXPECT_EQ(r.status, 303);
    std::string cookie = HeaderOf(r, "Set-Cookie");
    return cookie.substr(0, cookie.find(';'));
  }

  std::string remote_ = "127.0.0.1";
  std::filesystem::path dir_;
  FakeGateway external_, internal_;
  std::unique_ptr<WebHandler> handler_;
};

TEST_F(WebHandlerTest, EmbedsTheDashboardAssets) {
  for (const char* path : {"/index.html", "/app.js", "/api.js", "/app.css", "/login.html"}) {
    ASSERT_NE(FindAsset(path), nullptr) << path;
    EXPECT_GT(FindAsset(path)->body.size(), 100u) << path;
  }
  EXPECT_EQ(FindAsset("/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(FindAsset("/nope.js"), nullptr);
}

TEST_F(WebHandlerTest, ServesAssetsWithEtagAndRevalidates) {
  HttpResponse r = Call("GET", "/app.css");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/css; charset=utf-8");
  std::string etag = HeaderOf(r, "ETag");
  ASSERT_FALSE(etag.empty());
  HttpResponse again = Call("GET", "/app.css", "", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Call("GET", "/missing.js").status, 404);
  EXPECT_EQ(Call("GET", "/login.html").status, 404);  // template only via /login
}

TEST_F(WebHandlerTest, IndexNeedsASession) {
  HttpResponse r = Call("GET", "/");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(HeaderOf(r, "Location"), "/login");
}

TEST_F(WebHandlerTest, CreatesTheDefaultUserAndSaysSo) {
  std::ifstream users(dir_ / "users");
  std::string text((std::istreambuf_iterator<char>(users)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("user@example.com pbkdf2-sha256$"), std::string::npos);
  EXPECT_EQ(text.find("12341234"), std::string::npos);  // hashed, not stored
  HttpResponse page = Call("GET", "/login");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("user@example.com"), std::string::npos);
  EXPECT_NE(page.body.find("12341234"), std::string::npos);
}

TEST_F(WebHandlerTest, PasswordLoginSetsAStrictHttpOnlyCookie) {
  HttpResponse r = PostLogin("email=user%40example.com&password=12341234&next=%2F%23%2Fns%2Fx");
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(HeaderOf(r, "Location"), "/#/ns/x");
  std::string cookie = HeaderOf(r, "Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  HttpRequest api;
  api.headers = {{"cookie", "other=1; " + cookie.substr(0, cookie.find(';'))}};
  std::string user;
  EXPECT_TRUE(handler_->SessionUser(api, &user));
  EXPECT_EQ(user, "user@example.com");
  EXPECT_EQ(Call("GET", "/", "", {{"cookie", cookie.substr(0, cookie.find(';'))}}).status, 200);
}

TEST_F(WebHandlerTest, RejectsWrongPasswordsAndOffsiteRedirects) {
  Form f = LoadForm();
  HttpResponse bad =
      Call("POST", "/login", "email=user%40example.com&password=nope&csrf=" + f.token,
           {{"cookie", f.cookie}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.body.find("wrong password"), std::string::npos);
  EXPECT_TRUE(HeaderOf(bad, "Set-Cookie").empty());  // no session, and the CSRF cookie is kept
  for (const char* next : {"%2F%2Fevil.example", "%2F%09%2Fevil.example", "%2F%5Cevil.example",
                           "%2F%252F%252Fevil.example", "https%3A%2F%2Fevil.example"}) {
    HttpResponse r = PostLogin(std::string("token=admintoken&next=") + next);
    EXPECT_EQ(r.status, 303) << next;
    EXPECT_EQ(HeaderOf(r, "Location"), "/") << next;
  }
  EXPECT_EQ(PostLogin("token=admintokeX").status, 401);
  // The page does not echo an unsafe next into its form either.
  EXPECT_EQ(Call("GET", "/login?next=%2F%09%2Fevil.example").body.find("evil"), std::string::npos);
}

TEST_F(WebHandlerTest, LoginNeedsTheCsrfTokenOfItsOwnPage) {
  for (const char* fields : {"email=user%40example.com&password=12341234", "token=admintoken"}) {
    HttpResponse r = Call("POST", "/login", fields);
    EXPECT_EQ(r.status, 403) << fields;
    EXPECT_NE(r.body.find("CSRF token is missing or wrong"), std::string::npos);
    EXPECT_EQ(HeaderOf(r, "Set-Cookie").rfind("ferry_csrf=", 0), 0u);  // a fresh form to retry
    Form f = LoadForm();
    r = Call("POST", "/login", std::string(fields) + "&csrf=" + f.token + "0",
             {{"cookie", f.cookie}});
    EXPECT_EQ(r.status, 403) << fields;
    Form other = LoadForm();  // another browser's token with this browser's cookie
    r = Call("POST", "/login", std::string(fields) + "&csrf=" + other.token,
             {{"cookie", f.cookie}});
    EXPECT_EQ(r.status, 403) << fields;
    r = Call("POST", "/login", std::string(fields) + "&csrf=" + f.token, {{"cookie", f.cookie}});
    EXPECT_EQ(r.status, 303) << fields;
  }
  Form f = LoadForm();
  EXPECT_NE(f.cookie, "");
  HttpResponse page = Call("GET", "/login", "", {{"cookie", f.cookie}});
  EXPECT_TRUE(HeaderOf(page, "Set-Cookie").empty());  // the cookie is reused
  HttpResponse first = Call("GET", "/login");
  EXPECT_NE(HeaderOf(first, "Set-Cookie").find("Path=/login; HttpOnly; SameSite=Strict; Secure"),
            std::string::npos);
}

TEST_F(WebHandlerTest, FailedPasswordsAreThrottledWith429) {
  // A clock that stands still: the delay is seen exactly as set.
  PasswordSignIn::Options opts;
  opts.now = [] { return LoginThrottle::Clock::time_point(std::chrono::hours(1)); };
  auto gate = PasswordSignIn::Open((dir_ / "users").string(), opts);
  ASSERT_TRUE(gate.ok());
  WebOptions o;
  o.data_dir = dir_.string();
  o.admin_token = "admintoken";
  o.sign_in = *gate;
  handler_ = std::make_unique<WebHandler>(o, &external_, &internal_);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(PostLogin("email=user%40example.com&password=nope").status, 401);
  }
  HttpResponse r = PostLogin("email=user%40example.com&password=12341234");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(HeaderOf(r, "Retry-After"), "1");
  EXPECT_NE(r.body.find("try again in 1 s"), std::string::npos);
  // Another account from the same address is not blocked by this one.
  EXPECT_EQ(PostLogin("email=other%40example.com&password=nope").status, 401);
}

TEST_F(WebHandlerTest, DefaultPasswordIsRefusedFromAnotherMachine) {
  remote_ = "192.0.2.2";
  HttpResponse r = PostLogin("email=user%40example.com&password=12341234");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("ferry passwd user@example.com --data-dir " + dir_.string()),
            std::string::npos);
  EXPECT_TRUE(HeaderOf(r, "Set-Cookie").empty());
  remote_ = "127.0.0.1";
  EXPECT_EQ(PostLogin("email=user%40example.com&password=12341234").status, 303);
}

TEST_F(WebHandlerTest, ExposedListenersHideTheDefaultPassword) {
  auto gate = PasswordSignIn::Open((dir_ / "users").string());
  ASSERT_TRUE(gate.ok());
  WebOptions o;
  o.data_dir = dir_.string();
  o.admin_token = "admintoken";
  o.sign_in = *gate;
  handler_ = std::make_unique<WebHandler>(o, &external_, &internal_);
  EXPECT_NE(Call("GET", "/login").body.find("12341234"), std::string::npos);
  (*gate)->SetExposed(true);
  HttpResponse page = Call("GET", "/login");
  EXPECT_EQ(page.body.find("12341234"), std::string::npos);
  EXPECT_NE(page.body.find("id=\"set-password-note\""), std::string::npos);
  EXPECT_NE(page.body.find("ferry passwd user@example.com --data-dir"), std::string::npos);
  // Once a password is set, neither note.
  ASSERT_TRUE(SetUserPassword((dir_ / "users").string(), kDefaultUser, "an0ther-pw").ok());
  page = Call("GET", "/login");
  EXPECT_EQ(page.body.find("set-password-note"), std::string::npos);
  EXPECT_EQ(page.body.find("default-user-note"), std::string::npos);
  EXPECT_EQ(PostLogin("email=user%40example.com&password=an0ther-pw").status, 303);
}

TEST_F(WebHandlerTest, LogoutEndsTheSession) {
  std::string cookie = SignIn();
  HttpRequest api;
  api.headers = {{"cookie", cookie}};
  ASSERT_TRUE(handler_->SessionUser(api, nullptr));
  HttpResponse r = Call("GET", "/logout", "", {{"cookie", cookie}});
  EXPECT_EQ(r.status, 303);
  EXPECT_NE(HeaderOf(r, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_FALSE(handler_->SessionUser(api, nullptr));
  api.headers = {{"cookie", "ferry_session=forged"}};
  EXPECT_FALSE(handler_->SessionUser(api, nullptr));
}

TEST_F(WebHandlerTest, TryProxyRewritesHostTargetAndToken) {
  std::string cookie = SignIn();
  HttpResponse r =
      Call("POST", "/ferry/try/internal/iris.ns.svc.cluster.local/v2/models/iris/infer?x=1",
           "{\"inputs\":[]}",
           {{"cookie", cookie},
            {"host", "127.0.0.1:6443"},
            {"x-ferry-token", "tok"},
            {"content-type", "application/json"}});
  EXPECT_EQ(r.status, 403);  // the gateway's answer, passed through
  const HttpRequest& seen = internal_.seen;
  EXPECT_EQ(seen.target, "/v2/models/iris/infer?x=1");
  EXPECT_EQ(seen.path, "/v2/models/iris/infer");
  EXPECT_EQ(seen.query, "x=1");
  EXPECT_EQ(seen.Header("host"), "iris.ns.svc.cluster.local");
  EXPECT_EQ(seen.Header("authorization"), "Bearer tok");
  EXPECT_FALSE(seen.HasHeader("cookie"));
  EXPECT_FALSE(seen.HasHeader("x-ferry-token"));
  EXPECT_EQ(seen.body, "{\"inputs\":[]}");
  EXPECT_TRUE(external_.seen.target.empty());
}

TEST_F(WebHandlerTest, TryProxyNeedsASessionAndAKnownGateway) {
  EXPECT_EQ(Call("POST", "/ferry/try/external/a.b.example.com/v2/models/a").status, 401);
  EXPECT_TRUE(external_.seen.target.empty());
  std::string cookie = SignIn();
  EXPECT_EQ(Call("GET", "/ferry/try/sideways/a/b", "", {{"cookie", cookie}}).status, 404);
  Call("GET", "/ferry/try/external/a.b.example.com/v2/models/a", "", {{"cookie", cookie}});
  EXPECT_EQ(external_.seen.target, "/v2/models/a");
  EXPECT_FALSE(external_.seen.HasHeader("authorization"));
}

TEST(FormFieldTest, DecodesFields) {
  EXPECT_EQ(FormField("a=1&email=u%40x.com&b=+y+", "email"), "u@x.com");
  EXPECT_EQ(FormField("a=1&b=+y+", "b"), " y ");
  EXPECT_EQ(FormField("a=%zz%4", "a"), "%zz%4");
  EXPECT_EQ(FormField("a=1", "missing"), "");
}

TEST(IsApiPathTest, SplitsApiFromDashboardPaths) {
  for (const char* p : {"/api", "/api/v1/namespaces", "/apis/serving.kserve.io/v1beta1", "/version",
                        "/openapi/v2", "/.well-known/openid-configuration", "/openid/v1/jwks"}) {
    EXPECT_TRUE(IsApiPath(p)) << p;
  }
  for (const char* p : {"/", "/api.js", "/apis.css", "/login", "/versionx"}) {
    EXPECT_FALSE(IsApiPath(p)) << p;
  }
}

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(GzipTest, AcceptEncodingParsing) {
  auto with = [](std::string v) {
    HttpRequest r;
    r.headers = {{"accept-encoding", v}};
    return AcceptsGzip(r);
  };
  EXPECT_TRUE(with("gzip, deflate, br"));
  EXPECT_TRUE(with("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(with("*"));
  EXPECT_FALSE(with("gzip;q=0"));
  EXPECT_FALSE(with("br, deflate"));
  EXPECT_FALSE(with("xgzip"));
  EXPECT_FALSE(AcceptsGzip(HttpRequest()));
}

TEST(GzipTest, CompressesOnlyWhenWorthIt) {
  HttpResponse big = HttpResponse::Json(200, "{\"items\":[" + std::string(5000, ' ') + "]}");
  std::string original = big.body;
  ASSERT_TRUE(MaybeGzip(&big));
  EXPECT_EQ(HeaderOf(big, "Content-Encoding"), "gzip");
  EXPECT_EQ(HeaderOf(big, "Vary"), "Accept-Encoding");
  EXPECT_LT(big.body.size(), original.size());
  EXPECT_EQ(Gunzip(big.body), original);
  HttpResponse small = HttpResponse::Json(200, "{}");
  EXPECT_FALSE(MaybeGzip(&small));
  HttpResponse binary{200, "application/octet-stream", {}, std::string(5000, 'a')};
  EXPECT_FALSE(MaybeGzip(&binary));
  EXPECT_EQ(Gunzip(GzipCompress("")), "");
}

TEST_F(WebHandlerTest, ServesGzippedAssetsWithTheirOwnEtag) {
  HttpResponse plain = Call("GET", "/app.js");
  HttpResponse gz = Call("GET", "/app.js", "", {{"accept-encoding", "gzip, deflate"}});
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(HeaderOf(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(HeaderOf(gz, "Vary"), "Accept-Encoding");
  EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
  EXPECT_EQ(Gunzip(gz.body), plain.body);
  EXPECT_NE(HeaderOf(gz, "ETag"), HeaderOf(plain, "ETag"));
  HttpResponse again = Call("GET", "/app.js", "",
                            {{"accept-encoding", "gzip"}, {"if-none-match", HeaderOf(gz, "ETag")}});
  EXPECT_EQ(again.status, 304);
}

TEST_F(WebHandlerTest, FrontHandlerGzipsApiListsForSessionsAndKeepsDashboardPaths) {
  class BigApi : public http::HttpHandler {
   public:
    void Handle(HttpRequest& r, http::Responder responder) override {
      seen = r.path;
      responder.Send(HttpResponse::Json(200, "{\"items\":[" + std::string(4000, ' ') + "]}"));
    }
    std::string seen;
  } api;
  FrontHandler front(&api, handler_.get());
  auto call = [&](std::string target, std::vector<std::pair<std::string, std::string>> headers) {
    HttpRequest req;
    req.method = "GET";
    req.target = std::move(target);
    http::SplitTarget(req.target, &req.path, &req.query);
    req.headers = std::move(headers);
    auto sink = std::make_shared<Sink>();
    front.Handle(req, http::Responder(sink));
    return sink->last;
  };
  std::string cookie = SignIn();
  HttpResponse r = call("/apis/serving.kserve.io/v1beta1/namespaces/x/inferenceservices",
                        {{"cookie", cookie}, {"accept-encoding", "gzip"}});
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "gzip");
  EXPECT_NE(Gunzip(r.body).find("items"), std::string::npos);
  // kubectl (its own token) and clients without gzip get the body as is.
  r = call("/api/v1/namespaces", {{"authorization", "Bearer t"}, {"accept-encoding", "gzip"}});
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "");
  r = call("/api/v1/namespaces", {{"cookie", cookie}});
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "");
  // The dashboard's own /ferry/ endpoints stay with the dashboard.
  api.seen.clear();
  EXPECT_EQ(call("/ferry/whoami", {{"cookie", cookie}}).status, 200);
  call("/ferry/try/external/a.b.example.com/v2/models/a", {{"cookie", cookie}});
  EXPECT_EQ(api.seen, "");
  EXPECT_EQ(external_.seen.target, "/v2/models/a");
}

// The dashboard on the external gateway: sign-in belongs to the oauth2-proxy.
TEST_F(WebHandlerTest, ExternalSignInAndGatewaySessionForTryIt) {
  WebOptions o;
  o.data_dir = dir_.string();
  o.admin_token = "admintoken";
  o.session_lookup = [](const HttpRequest& r, std::string* user) {
    if (CookieValue(r, "oauth2_proxy_kubeflow") != "ok") return false;
    if (user) *user = "user@example.com";
    return true;
  };
  o.login_url = "/oauth2/sign_in";
  o.logout_url = "/oauth2/sign_out?rd=/";
  std::string asked_for;
  o.gateway_cookie = [&](const std::string& user) {
    asked_for = user;
    return std::string("oauth2_proxy_kubeflow=session-of-user");
  };
  handler_ = std::make_unique<WebHandler>(o, &external_, &internal_);
  HttpResponse r = Call("GET", "/login?next=%2F%23%2Fns%2Fa");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(HeaderOf(r, "Location"), "/oauth2/sign_in?rd=/%23/ns/a");
  r = Call("GET", "/login?next=%2F%23%2Fns%2Fa", "", {{"cookie", "oauth2_proxy_kubeflow=ok"}});
  EXPECT_EQ(HeaderOf(r, "Location"), "/#/ns/a");
  EXPECT_EQ(HeaderOf(Call("GET", "/logout"), "Location"), "/oauth2/sign_out?rd=/");
  EXPECT_EQ(Call("GET", "/", "", {{"cookie", "oauth2_proxy_kubeflow=ok"}}).status, 200);
  EXPECT_EQ(Call("POST", "/login", "email=user%40example.com&password=12341234").status, 303);

  // Try it on the external gateway without a token: the user's gateway session.
  Call("POST", "/ferry/try/external/m.ns.example.com/v2/models/m/infer", "{}",
       {{"cookie", "oauth2_proxy_kubeflow=ok"}});
  EXPECT_EQ(asked_for, "user@example.com");
  EXPECT_EQ(external_.seen.Header("cookie"), "oauth2_proxy_kubeflow=session-of-user");
  // With a token, or to the cluster-local gateway: no cookie.
  Call("POST", "/ferry/try/external/m.ns.example.com/v2/models/m/infer", "{}",
       {{"cookie", "oauth2_proxy_kubeflow=ok"}, {"x-ferry-token", "t"}});
  EXPECT_FALSE(external_.seen.HasHeader("cookie"));
  Call("POST", "/ferry/try/internal/m.ns.svc.cluster.local/v2/models/m/infer", "{}",
       {{"cookie", "oauth2_proxy_kubeflow=ok"}});
  EXPECT_FALSE(internal_.seen.HasHeader("cookie"));
}

}  // namespace
}  // namespace ferry::web
