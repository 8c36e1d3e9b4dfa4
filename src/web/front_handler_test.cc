#include "web/front_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "web/web_handler.h"

namespace ferry::web {
namespace {

using nlohmann::json;
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

// Stands in for the API server: records what it was handed and answers
// SelfSubjectAccessReviews from a table of (bearer, verb, resource, ns).
class RecordingApi : public http::HttpHandler {
 public:
  void Handle(HttpRequest& r, http::Responder responder) override {
    seen.push_back(r);
    std::string bearer(r.Header("authorization"));
    if (r.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
      json attrs = json::parse(r.body)["spec"]["resourceAttributes"];
      std::string key = bearer + " " + attrs.value("verb", "") + " " +
                        attrs.value("resource", "") + " " + attrs.value("namespace", "");
      json review = {{"status", {{"allowed", allowed.count(key) > 0}}}};
      return responder.Send(HttpResponse::Json(201, review.dump()));
    }
    if (r.path == "/api/v1/namespaces" && r.method == "GET") {
      return responder.Send(HttpResponse::Json(
          200, R"({"items":[{"metadata":{"name":"b"}},{"metadata":{"name":"a"}}]})"));
    }
    responder.Send(HttpResponse::Json(200, "{}"));
  }
  const HttpRequest& last() const { return seen.back(); }
  std::vector<HttpRequest> seen;
  std::set<std::string> allowed;
};

class FrontHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ferry-front-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // A password user literally named "admin": still not the admin token's holder.
    std::ofstream(dir_ / "users") << "user@example.com plain:12341234\nadmin plain:pw-of-admin\n";
    WebOptions o;
    o.data_dir = dir_.string();
    o.admin_token = "admintoken";
    o.user_token = [this](const std::string& user) {
      return mint_fails_ ? std::string() : "token-of-" + user;
    };
    o.gateway_cookie = [](const std::string& user) { return "oauth2_proxy_kubeflow=of-" + user; };
    web_ = std::make_unique<WebHandler>(o, &gateway_, &gateway_);
    front_ = std::make_unique<FrontHandler>(&api_, web_.get());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  HttpResponse Call(FrontHandler& front, std::string method, std::string target,
                    std::vector<std::pair<std::string, std::string>> headers,
                    std::string body = "") {
    HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    http::SplitTarget(req.target, &req.path, &req.query);
    req.headers = std::move(headers);
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    auto sink = std::make_shared<Sink>();
    front.Handle(req, http::Responder(sink));
    return sink->last;
  }

  // Signs in on the dashboard's form; returns the "Cookie" value.
  std::string SignIn(const std::string& fields) {
    HttpResponse page = Call(*front_, "GET", "/login", {});
    std::string set;
    for (const auto& [k, v] : page.headers) {
      if (k == "Set-Cookie") set = v.substr(0, v.find(';'));
    }
    std::string marker = "name=\"csrf\" value=\"";
    size_t at = page.body.find(marker) + marker.size();
    std::string csrf = page.body.substr(at, page.body.find('"', at) - at);
    HttpResponse r =
        Call(*front_, "POST", "/login", {{"cookie", set}}, fields + "&next=%2F&csrf=" + csrf);
    EXPECT_EQ(r.status, 303) << r.body;
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie") return v.substr(0, v.find(';'));
    }
    return "";
  }

  std::filesystem::path dir_;
  class RecordingGateway : public http::HttpHandler {
   public:
    void Handle(HttpRequest& req, http::Responder r) override {
      seen = req;
      r.Send(HttpResponse::Json(404, "{}"));
    }
    HttpRequest seen;
  } gateway_;
  RecordingApi api_;
  bool mint_fails_ = false;
  std::unique_ptr<WebHandler> web_;
  std::unique_ptr<FrontHandler> front_;
};

TEST_F(FrontHandlerTest, SessionCallsCarryTheUsersOwnTokenNeverTheAdminToken) {
  std::string user = SignIn("email=user%40example.com&password=12341234");
  Call(*front_, "GET", "/api/v1/namespaces/a/secrets/s", {{"cookie", user}});
  EXPECT_EQ(api_.last().Header("authorization"), "Bearer token-of-user@example.com");

  // A password user named "admin" is that user, not the admin.
  std::string named_admin = SignIn("email=admin&password=pw-of-admin");
  Call(*front_, "DELETE", "/api/v1/namespaces/kubeflow", {{"cookie", named_admin}});
  EXPECT_EQ(api_.last().Header("authorization"), "Bearer token-of-admin");

  // Only a session opened with the admin token carries it.
  std::string holder = SignIn("token=admintoken");
  Call(*front_, "GET", "/api/v1/namespaces", {{"cookie", holder}});
  EXPECT_EQ(api_.last().Header("authorization"), "Bearer admintoken");

  // No session (or a forged one): anonymous, the API decides.
  Call(*front_, "GET", "/api/v1/namespaces", {{"cookie", "ferry_session=forged"}});
  EXPECT_FALSE(api_.last().HasHeader("authorization"));
  // A client's own credential is its own.
  Call(*front_, "GET", "/apis/x", {{"cookie", user}, {"authorization", "Bearer other"}});
  EXPECT_EQ(api_.last().Header("authorization"), "Bearer other");

  // No token for the user: refused here rather than sent anonymously.
  mint_fails_ = true;
  size_t before = api_.seen.size();
  HttpResponse r = Call(*front_, "GET", "/api/v1/namespaces", {{"cookie", user}});
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("could not issue a token"), std::string::npos) << r.body;
  EXPECT_EQ(api_.seen.size(), before);
}

TEST_F(FrontHandlerTest, TryGoesAsTheSessionUserButNeverAsTheAdmin) {
  const std::string infer = "/ferry/try/external/m.ns.example.com/v2/models/m/infer";
  Call(*front_, "POST", infer, {{"cookie", SignIn("email=admin&password=pw-of-admin")}}, "{}");
  EXPECT_EQ(gateway_.seen.Header("cookie"), "oauth2_proxy_kubeflow=of-admin");
  EXPECT_EQ(gateway_.seen.body, "{}");
  Call(*front_, "POST", infer, {{"cookie", SignIn("token=admintoken")}}, "{}");
  EXPECT_FALSE(gateway_.seen.HasHeader("cookie"));  // the token holder is no gateway user
  EXPECT_FALSE(gateway_.seen.HasHeader("authorization"));
}

TEST_F(FrontHandlerTest, NamespacesAreThoseTheUserCanReach) {
  front_->SetNamespaceLister([] { return std::vector<std::string>{"a", "b", "c", "d"}; });
  std::string user = SignIn("email=user%40example.com&password=12341234");
  const std::string bearer = "Bearer token-of-user@example.com";
  api_.allowed = {bearer + " get namespaces b", bearer + " list inferenceservices d"};
  HttpResponse r = Call(*front_, "GET", "/ferry/namespaces", {{"cookie", user}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["namespaces"], json({"b", "d"}));
  // Every check was made as the user.
  for (const HttpRequest& seen : api_.seen) EXPECT_EQ(seen.Header("authorization"), bearer);

  // Who may list namespaces sees all of them (the API's list).
  std::string holder = SignIn("token=admintoken");
  api_.allowed = {"Bearer admintoken list namespaces "};
  r = Call(*front_, "GET", "/ferry/namespaces", {{"cookie", holder}});
  EXPECT_EQ(json::parse(r.body)["namespaces"], json({"a", "b"}));

  EXPECT_EQ(Call(*front_, "GET", "/ferry/namespaces", {}).status, 401);
}

TEST_F(FrontHandlerTest, ReadOnlyFrontRefusesWritesBeforeTheApi) {
  FrontHandler ro(&api_, web_.get(), /*read_only=*/true);
  std::string user = SignIn("email=user%40example.com&password=12341234");
  size_t before = api_.seen.size();
  HttpResponse r = Call(ro, "POST", "/api/v1/namespaces/a/%73ecrets", {{"cookie", user}}, "{}");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("read-only (cannot create secrets)"), std::string::npos) << r.body;
  EXPECT_EQ(api_.seen.size(), before);
  // Reads go on as the user: RBAC decides (Secrets included).
  r = Call(ro, "GET", "/api/v1/namespaces/a/%73ecrets/s3creds", {{"cookie", user}});
  EXPECT_EQ(api_.last().path, "/api/v1/namespaces/a/%73ecrets/s3creds");
  EXPECT_EQ(api_.last().Header("authorization"), "Bearer token-of-user@example.com");
}

TEST(ReadOnlyRefusalTest, DecidesOnTheParsedRequest) {
  auto allows = [](std::string_view method, std::string_view path, std::string_view query = "") {
    return ReadOnlyRefusal(method, path, query).empty();
  };
  EXPECT_TRUE(allows("GET", "/apis/serving.kserve.io/v1beta1/inferenceservices"));
  EXPECT_TRUE(allows("GET", "/api/v1/namespaces/a/secrets/s"));  // RBAC's call
  EXPECT_TRUE(allows("GET", "/api/v1/namespaces/a/pods", "watch=1"));
  EXPECT_TRUE(allows("GET", "/api/v1/watch/namespaces/a/pods"));
  EXPECT_TRUE(allows("HEAD", "/version"));
  EXPECT_TRUE(allows("POST", "/ferry/v1/authz/check"));
  EXPECT_TRUE(allows("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"));
  EXPECT_TRUE(allows("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews/"));
  EXPECT_TRUE(allows("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews"));

  EXPECT_EQ(ReadOnlyRefusal("POST", "/api/v1/namespaces/a/serviceaccounts/x/token", ""),
            "cannot create serviceaccounts/token");
  EXPECT_EQ(ReadOnlyRefusal("DELETE", "/api/v1/namespaces/a/%73ecrets", ""),
            "cannot deletecollection secrets");
  EXPECT_EQ(ReadOnlyRefusal("PATCH", "/apis/serving.kserve.io/v1beta1/namespaces/a/"
                                     "inferenceservices/m",
                            ""),
            "cannot patch inferenceservices");
  EXPECT_FALSE(allows("PUT", "/api/v1/namespaces/a"));
  EXPECT_FALSE(allows("POST", "/api/v1/namespaces"));
  EXPECT_FALSE(allows("GET", "/api/v1/proxy/namespaces/a/services/s"));  // verb proxy
  EXPECT_FALSE(allows("POST", "/apis/authorization.k8s.io/v1/namespaces/a/"
                              "localsubjectaccessreviews"));
  EXPECT_FALSE(allows("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews"));
  EXPECT_FALSE(allows("POST", "/ferry/v1/authz/check/x"));
  EXPECT_FALSE(allows("GET", "/api/v1/namespaces/a/%7"));  // not a path the API parses
  EXPECT_FALSE(allows("POST", "/api/v1/namespaces/a/configmaps", "watch=true"));
}

}  // namespace
}  // namespace ferry::web
