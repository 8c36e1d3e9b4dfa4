// ApiServer over HTTP types without a socket: requests go straight to
// Handle() and a recording ResponseSink captures the answers.
#include "api/api_server.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/isvc_logs.h"
#include "api/token_signer.h"

namespace ferry::api {
namespace {

using nlohmann::json;

class RecordingSink : public http::ResponseSink {
 public:
  void Send(http::HttpResponse r) override {
    std::lock_guard<std::mutex> l(mu);
    response = std::move(r);
    done = true;
    cv.notify_all();
  }
  void StartStream(http::HttpResponse head) override {
    std::lock_guard<std::mutex> l(mu);
    response = std::move(head);
  }
  bool WriteChunk(std::string data) override {
    std::lock_guard<std::mutex> l(mu);
    chunks.push_back(std::move(data));
    cv.notify_all();
    return true;
  }
  void EndStream() override {
    std::lock_guard<std::mutex> l(mu);
    done = true;
    cv.notify_all();
  }
  bool WaitChunks(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(5), [&] { return chunks.size() >= n; });
  }
  bool WaitDone() {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(5), [&] { return done; });
  }

  std::mutex mu;
  std::condition_variable cv;
  http::HttpResponse response;
  std::vector<std::string> chunks;
  bool done = false;
};

class ApiServerTest : public ::testing::Test {
 protected:
  ApiServerTest() : store_(store::ResourceStore::InMemory()) {
    auto signer = CreateRs256Signer(::testing::TempDir() + "/api_server_test_signer.key");
    EXPECT_TRUE(signer.ok());
    signer_ = std::move(*signer);
    ApiServerOptions opts;
    opts.admin_token = "tok";
    server_ = std::make_unique<ApiServer>(store_.get(), signer_.get(), opts);
  }

  std::shared_ptr<RecordingSink> Call(const std::string& method, const std::string& target,
                                      const std::string& body = "",
                                      const std::string& content_type = "application/json",
                                      const std::string& accept = "application/json",
                                      bool auth = true) {
    http::HttpRequest req;
    req.method = method;
    req.target = target;
    http::SplitTarget(req.target, &req.path, &req.query);
    req.body = body;
    if (auth) req.headers.emplace_back("authorization", "Bearer tok");
    req.headers.emplace_back("content-type", content_type);
    req.headers.emplace_back("accept", accept);
    auto sink = std::make_shared<RecordingSink>();
    server_->Handle(req, http::Responder(sink));
    return sink;
  }

  json Body(const std::shared_ptr<RecordingSink>& s) { return json::parse(s->response.body); }

  std::unique_ptr<store::ResourceStore> store_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<ApiServer> server_;
};

constexpr const char* kIsvcPath =
    "/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices";
constexpr const char* kIsvc =
    R"({"apiVersion":"serving.kserve.io/v1beta1","kind":"InferenceService",
  "metadata":{"name":"iris"},"spec":{"predictor":{"model":{"modelFormat":{"name":"sklearn"},
  "storageUri":"s3://m"}}}})";

TEST_F(ApiServerTest, AuthAndDiscovery) {
  // No credential: system:anonymous, which RBAC lets read /version only.
  auto anonymous = Call("GET", "/api/v1/namespaces", "", "", "", false);
  EXPECT_EQ(anonymous->response.status, 403);
  EXPECT_EQ(Body(anonymous)["message"],
            "namespaces is forbidden: User \"system:anonymous\" cannot list resource "
            "\"namespaces\" in API group \"\" at the cluster scope");
  EXPECT_EQ(Body(Call("GET", "/version", "", "", "", false))["minor"], "32");
  // A credential that does not authenticate: 401.
  http::HttpRequest bad;
  bad.method = "GET";
  bad.target = "/version";
  http::SplitTarget(bad.target, &bad.path, &bad.query);
  bad.headers.emplace_back("authorization", "Bearer not-a-token");
  auto sink = std::make_shared<RecordingSink>();
  server_->Handle(bad, http::Responder(sink));
  EXPECT_EQ(sink->response.status, 401);
  EXPECT_EQ(Body(sink)["reason"], "Unauthorized");
  json apis = Body(Call("GET", "/apis"));
  bool istio = false;
  for (const json& g : apis["groups"]) {
    if (g["name"] == "security.istio.io") {
      istio = true;
      EXPECT_EQ(g["preferredVersion"]["version"], "v1");
      EXPECT_EQ(g["versions"].size(), 2u);
    }
  }
  EXPECT_TRUE(istio);
  json res = Body(Call("GET", "/apis/serving.kserve.io/v1beta1"));
  EXPECT_EQ(res["resources"][0]["shortNames"][0], "isvc");
  json openapi = Body(Call("GET", "/openapi/v3"));
  std::string url = openapi["paths"]["apis/serving.kserve.io/v1beta1"]["serverRelativeURL"];
  json doc = Body(Call("GET", url));
  EXPECT_TRUE(doc["paths"].contains(
      "/apis/serving.kserve.io/v1beta1/namespaces/{namespace}/inferenceservices/{name}"));
  EXPECT_EQ(Call("GET", "/apis/nope.io/v1/things")->response.status, 404);
  EXPECT_EQ(Body(Call("GET", "/apis/nope.io/v1/things"))["message"],
            "the server could not find the requested resource");
  EXPECT_EQ(Body(Call("GET", "/openid/v1/jwks", "", "", "", false))["keys"][0]["alg"], "RS256");
}

TEST_F(ApiServerTest, CrudTableAndErrors) {
  auto created = Call("POST", std::string(kIsvcPath) + "?fieldValidation=Strict", kIsvc);
  ASSERT_EQ(created->response.status, 201) << created->response.body;
  auto dup = Call("POST", kIsvcPath, kIsvc);
  EXPECT_EQ(dup->response.status, 409);
  EXPECT_EQ(Body(dup)["message"], "inferenceservices.serving.kserve.io \"iris\" already exists");
  auto table = Call("GET", kIsvcPath, "", "", "application/json;as=Table;v=v1;g=meta.k8s.io");
  json t = Body(table);
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["columnDefinitions"].size(), 8u);
  EXPECT_EQ(t["rows"][0]["cells"][0], "iris");
  EXPECT_EQ(t["rows"][0]["object"]["metadata"]["namespace"], "default");
  auto missing = Call("GET", std::string(kIsvcPath) + "/nope");
  EXPECT_EQ(missing->response.status, 404);
  EXPECT_EQ(Body(missing)["details"]["kind"], "inferenceservices");
  auto warn = Call("PATCH", std::string(kIsvcPath) + "/iris?fieldValidation=Warn",
                   R"({"spec":{"foo":1}})", "application/merge-patch+json");
  EXPECT_EQ(warn->response.status, 200);
  ASSERT_EQ(warn->response.headers.size(), 1u);
  EXPECT_EQ(warn->response.headers[0].second, "299 - \"unknown field \\\"spec.foo\\\"\"");
  auto mismatch = Call("POST", std::string(kIsvcPath),
                       R"({"metadata":{"name":"x","namespace":"other"},"spec":{"predictor":{}}})");
  EXPECT_EQ(mismatch->response.status, 400);
  auto invalid = Call("POST", kIsvcPath, R"({"metadata":{"name":"bad"},"spec":{}})");
  EXPECT_EQ(invalid->response.status, 422);
  EXPECT_EQ(Body(invalid)["details"]["causes"][0]["field"], "spec.predictor");
  auto deleted =
      Call("DELETE", std::string(kIsvcPath) + "/iris", R"({"propagationPolicy":"Background"})");
  EXPECT_EQ(deleted->response.status, 200);
  EXPECT_EQ(Body(deleted)["metadata"]["name"], "iris");
  EXPECT_EQ(Call("GET", std::string(kIsvcPath) + "/iris")->response.status, 404);
  auto garbage = Call("POST", kIsvcPath, R"({"metadata":"oops"})");
  EXPECT_GE(garbage->response.status, 400);
  EXPECT_LT(garbage->response.status, 500);
}

TEST_F(ApiServerTest, WatchStreamsEventsAndEnds) {
  auto list = Body(Call("GET", kIsvcPath));
  std::string rv = list["metadata"]["resourceVersion"];
  auto watch =
      Call("GET", std::string(kIsvcPath) + "?watch=true&timeoutSeconds=1&resourceVersion=" + rv, "",
           "", "application/json;as=Table;v=v1;g=meta.k8s.io");
  EXPECT_EQ(watch->response.content_type, "application/json;as=Table;v=v1;g=meta.k8s.io");
  ASSERT_EQ(Call("POST", kIsvcPath, kIsvc)->response.status, 201);
  ASSERT_TRUE(watch->WaitChunks(1));
  json ev = json::parse(watch->chunks[0]);
  EXPECT_EQ(ev["type"], "ADDED");
  EXPECT_EQ(ev["object"]["kind"], "Table");
  EXPECT_TRUE(watch->WaitDone());  // timeoutSeconds=1
  auto future =
      Call("GET", std::string(kIsvcPath) + "?watch=true&timeoutSeconds=1&resourceVersion=999999");
  ASSERT_TRUE(future->WaitDone());
  EXPECT_EQ(future->chunks.size(), 0u);  // nothing newer than a future version
}

TEST_F(ApiServerTest, WatchFromBeforeTheRingIsExpired) {
  server_.reset();
  store_ = store::ResourceStore::InMemory(1);
  ApiServerOptions opts;
  opts.admin_token = "tok";
  server_ = std::make_unique<ApiServer>(store_.get(), nullptr, opts);
  for (const char* n : {"a", "b"}) {
    json obj = json::parse(kIsvc);
    obj["metadata"]["name"] = n;
    ASSERT_EQ(Call("POST", kIsvcPath, obj.dump())->response.status, 201);
  }
  auto expired = Call("GET", std::string(kIsvcPath) + "?watch=true&resourceVersion=1");
  ASSERT_TRUE(expired->WaitDone());
  ASSERT_EQ(expired->chunks.size(), 1u);
  json ev = json::parse(expired->chunks[0]);
  EXPECT_EQ(ev["type"], "ERROR");
  EXPECT_EQ(ev["object"]["code"], 410);
}

TEST_F(ApiServerTest, TokenRequest) {
  ASSERT_EQ(
      Call("POST", "/api/v1/namespaces/default/serviceaccounts", R"({"metadata":{"name":"sa"}})")
          ->response.status,
      201);
  auto tok = Call("POST", "/api/v1/namespaces/default/serviceaccounts/sa/token",
                  R"({"spec":{"audiences":["a"],"expirationSeconds":600}})");
  ASSERT_EQ(tok->response.status, 201) << tok->response.body;
  std::string token = Body(tok)["status"]["token"];
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(
      Call("POST", "/api/v1/namespaces/default/serviceaccounts/none/token", "{}")->response.status,
      404);
}

}  // namespace
}  // namespace ferry::api

namespace ferry::api {
namespace {

TEST_F(ApiServerTest, ReadyzFollowsReadiness) {
  bool ready = false;
  server_->SetReadiness([&ready] { return ready; });
  EXPECT_EQ(Call("GET", "/readyz", "", "", "", false)->response.status, 503);
  EXPECT_EQ(Call("GET", "/healthz", "", "", "", false)->response.status, 200);
  ready = true;
  EXPECT_EQ(Call("GET", "/readyz", "", "", "", false)->response.status, 200);
}

TEST_F(ApiServerTest, InferenceServiceLog) {
  std::string log = std::string(kIsvcPath) + "/iris/log";
  EXPECT_EQ(Call("GET", log)->response.status, 404);  // no such InferenceService
  ASSERT_EQ(Call("POST", kIsvcPath, kIsvc)->response.status, 201);
  server_->isvc_logs().Append("default", "iris", "one");
  server_->isvc_logs().Append("default", "iris", "two");
  auto all = Call("GET", log, "", "", "text/plain");
  EXPECT_EQ(all->response.status, 200);
  EXPECT_EQ(all->response.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(all->response.body.find(" one\n"), std::string::npos);
  auto tail = Call("GET", log + "?tailLines=1", "", "", "text/plain");
  EXPECT_EQ(tail->response.body.find(" one"), std::string::npos);
  EXPECT_NE(tail->response.body.find(" two\n"), std::string::npos);
  EXPECT_EQ(Call("GET", log + "?tailLines=x")->response.status, 400);
  EXPECT_EQ(Call("GET", log, "", "", "text/plain", false)->response.status, 403);
}

}  // namespace
}  // namespace ferry::api
