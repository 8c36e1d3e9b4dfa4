// CUSTOM ext-authz against a real local HTTP server (python3 http.server on
// 127.0.0.1, started and stopped by the test), plus provider parsing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "gateway/engine.h"
#include "gateway/jwks.h"

namespace ferry::gateway {
namespace {

using nlohmann::json;

constexpr const char* kTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

constexpr const char* kServer = R"PY(
import http.server, json, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        seen = {"method": self.command, "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()}}
        if self.path == "/jwks":
            body = b'{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if "/slow" in self.path:
            time.sleep(3)
        if "/ok" in self.path:
            self.send_response(200)
            self.send_header("x-user", "alice")
            self.send_header("x-seen", json.dumps(seen))
            self.send_header("x-not-forwarded", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if "/boom" in self.path:
            body = b"internal"
            self.send_response(503)
        else:
            body = b"denied by test"
            self.send_response(403)
        self.send_header("Content-Type", "text/plain")
        self.send_header("x-reason", "policy")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_one
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
)PY";

class HttpAuthzServer {
 public:
  HttpAuthzServer() {
    std::string script = std::string(FERRY_BINARY_DIR) + "/gateway_authz_server.py";
    std::ofstream(script) << kServer;
    int fds[2];
    if (pipe(fds) != 0) {
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execl("/usr/bin/python3", "python3", script.c_str(), (char*)nullptr);
      _exit(127);
    }
    close(fds[1]);
    FILE* f = fdopen(fds[0], "r");
    if (f && fscanf(f, "%d", &port_) != 1) {
      port_ = 0;
    }
    if (f) {
      fclose(f);
    }
  }
  ~HttpAuthzServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

class ExtAuthzHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new HttpAuthzServer(); }
  static void TearDownTestSuite() { delete server_; }

  std::shared_ptr<const PolicySnapshot> Snapshot(const json& provider_extra) {
    json http = {{"service", "authz.local/127.0.0.1"},
                 {"port", server_->port()},
                 {"pathPrefix", "/check"},
                 {"timeout", "1s"},
                 {"includeRequestHeadersInCheck", {"cookie", "x-forward-*"}},
                 {"includeAdditionalHeadersInCheck", {{"x-ext", "fixed"}}},
                 {"headersToUpstreamOnAllow", {"x-user", "x-seen"}}};
    http.update(provider_extra);
    PolicySnapshotBuilder b;
    EXPECT_TRUE(
        b.SetMeshConfig({{"extensionProviders", {{{"name", "p"}, {"envoyExtAuthzHttp", http}}}}})
            .ok());
    EXPECT_TRUE(b.Add({{"kind", "AuthorizationPolicy"},
                       {"metadata", {{"name", "ext"}, {"namespace", "foo"}}},
                       {"spec",
                        {{"action", "CUSTOM"},
                         {"provider", {{"name", "p"}}},
                         {"rules", {{{"to", {{{"operation", {{"paths", {"/admin/*"}}}}}}}}}}}}})
                    .ok());
    return b.Build();
  }

  Decision Run(const PolicySnapshot& snap, const std::string& path,
               const std::string& method = "GET") {
    headers_ = {{"Cookie", "session=1"},
                {"X-Forward-Me", "yes"},
                {"X-Secret", "no"},
                {"x-ext", "client"},
                {"x-request-id", "req-42"},
                {"traceparent", kTraceParent},
                {"tracestate", "congo=t61rcWkgMzE"}};
    RequestAttributes r;
    r.method = method;
    r.path = path;
    r.host = "app.example.com:8080";
    r.headers = headers_;
    return Evaluate(snap, {"foo", {}, "w"}, r);
  }
  std::vector<Header> headers_;
  static HttpAuthzServer* server_;
};
HttpAuthzServer* ExtAuthzHttpTest::server_ = nullptr;

TEST_F(ExtAuthzHttpTest, AllowCopiesHeadersAndSendsTheCheckRequest) {
  ASSERT_GT(server_->port(), 0);
  auto snap = Snapshot(json::object());
  Decision d = Run(*snap, "/admin/ok?q=1", "POST");
  ASSERT_TRUE(d.allowed) << d.status << " " << d.body;
  EXPECT_TRUE(d.ext_authz_called);
  std::string user, seen_text;
  for (const auto& h : d.upstream_set) {
    if (h.name == "x-user") {
      user = h.value;
    }
    if (h.name == "x-seen") {
      seen_text = h.value;
    }
    EXPECT_NE(h.name, "x-not-forwarded");
  }
  EXPECT_EQ(user, "alice");
  json seen = json::parse(seen_text);
  EXPECT_EQ(seen["method"], "POST");
  EXPECT_EQ(seen["path"], "/check/admin/ok?q=1");
  EXPECT_EQ(seen["headers"]["host"], "app.example.com:8080");
  EXPECT_EQ(seen["headers"]["content-length"], "0");
  EXPECT_EQ(seen["headers"]["cookie"], "session=1");
  EXPECT_EQ(seen["headers"]["x-forward-me"], "yes");
  EXPECT_EQ(seen["headers"]["x-ext"], "fixed");
  EXPECT_FALSE(seen["headers"].contains("x-secret"));
  // Not listed in includeRequestHeadersInCheck, sent anyway: the request's identity.
  EXPECT_EQ(seen["headers"]["x-request-id"], "req-42");
  EXPECT_EQ(seen["headers"]["traceparent"], kTraceParent);
  EXPECT_EQ(seen["headers"]["tracestate"], "congo=t61rcWkgMzE");
}

TEST_F(ExtAuthzHttpTest, DenyRelaysStatusBodyAndHeaders) {
  auto snap = Snapshot(json::object());
  Decision d = Run(*snap, "/admin/no");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.body, "denied by test");
  EXPECT_EQ(d.content_type, "text/plain");
  bool reason = false;
  for (const auto& h : d.downstream_headers) {
    reason = reason || h.name == "x-reason";
  }
  EXPECT_TRUE(reason);
  // With headersToDownstreamOnDeny set, unlisted headers are dropped.
  auto filtered = Snapshot({{"headersToDownstreamOnDeny", {"content-type"}}});
  Decision f = Run(*filtered, "/admin/no");
  for (const auto& h : f.downstream_headers) {
    EXPECT_NE(h.name, "x-reason");
  }
}

TEST_F(ExtAuthzHttpTest, NotCalledWhenNoCustomRuleMatches) {
  auto snap = Snapshot(json::object());
  Decision d = Run(*snap, "/public/ok");
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.ext_authz_called);
}

TEST_F(ExtAuthzHttpTest, ErrorsTimeoutsAndFailOpen) {
  auto snap = Snapshot({{"statusOnError", "503"}});
  Decision boom = Run(*snap, "/admin/boom");  // 5xx counts as an error
  EXPECT_FALSE(boom.allowed);
  EXPECT_EQ(boom.status, 503);
  EXPECT_EQ(boom.body, "");
  Decision slow = Run(*snap, "/admin/slow");  // 1 s timeout
  EXPECT_FALSE(slow.allowed);
  EXPECT_EQ(slow.status, 503);
  auto open = Snapshot({{"failOpen", true}});
  EXPECT_TRUE(Run(*open, "/admin/boom").allowed);
  auto closed_port = Snapshot({{"port", 1}});
  Decision refused = Run(*closed_port, "/admin/ok");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.status, 403);
}

TEST_F(ExtAuthzHttpTest, CurlJwksFetcher) {
  auto fetcher = MakeCurlJwksFetcher();
  std::string base = "http://127.0.0.1:" + std::to_string(server_->port());
  auto ok = fetcher->Fetch(base + "/jwks", std::chrono::seconds(2));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  JwtStatus st;
  auto jwks = Jwks::Parse(*ok, &st);
  ASSERT_TRUE(jwks);
  EXPECT_EQ(jwks->keys().size(), 1u);
  auto missing = fetcher->Fetch(base + "/nope", std::chrono::seconds(2));
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("HTTP 403"), std::string::npos);
  auto timeout = fetcher->Fetch(base + "/slow", std::chrono::milliseconds(300));
  EXPECT_FALSE(timeout.ok());
}

// One thread, many peers at once: a fast answer is not queued behind slow
// ones, a cancelled call ends at once, and shutdown ends the rest.
TEST_F(ExtAuthzHttpTest, AsyncClientMultiplexes) {
  AsyncHttpClient client;
  std::string base = "http://127.0.0.1:" + std::to_string(server_->port());
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Status> slow_results;
  std::vector<uint64_t> slow_ids;
  for (int i = 0; i < 8; ++i) {
    HttpCall call;
    call.url = base + "/slow/" + std::to_string(i);
    call.timeout = std::chrono::seconds(30);
    slow_ids.push_back(client.Start(call, [&](StatusOr<HttpResult> r) {
      std::lock_guard<std::mutex> lock(mu);
      slow_results.push_back(r.status());
      cv.notify_all();
    }));
  }
  size_t in_flight_when_fast_done = 0;
  int fast_status = 0;
  bool fast_done = false;
  HttpCall fast;
  fast.url = base + "/ok";
  client.Start(fast, [&](StatusOr<HttpResult> r) {
    std::lock_guard<std::mutex> lock(mu);
    fast_status = r.ok() ? r->status : -1;
    in_flight_when_fast_done = client.in_flight();
    fast_done = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return fast_done; }));
    EXPECT_EQ(fast_status, 200);
    EXPECT_GE(in_flight_when_fast_done, 8u);  // the slow calls were all still running
  }
  client.Cancel(slow_ids[0]);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return !slow_results.empty(); }));
    EXPECT_EQ(slow_results[0].code(), StatusCode::kCancelled);
  }
  client.Shutdown();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(slow_results.size(), 8u);
  for (const Status& st : slow_results) EXPECT_EQ(st.code(), StatusCode::kCancelled);
  bool late_cancelled = false;
  client.Start(fast, [&](StatusOr<HttpResult> r) {
    late_cancelled = r.status().code() == StatusCode::kCancelled;
  });
  EXPECT_TRUE(late_cancelled);
}

TEST(ExtAuthzProviders, ParseAndValidate) {
  auto ok = ParseExtensionProviders(json::parse(R"({"extensionProviders":[
    {"name":"a","envoyExtAuthzHttp":{"service":"ns/svc.local","port":80,"timeout":"250ms",
     "statusOnError":"401","headersToDownstreamOnDeny":["content-type"]}},
    {"name":"z","envoyOtelAls":{"service":"x","port":1}}]})"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 1u);
  const ExtAuthzProvider& p = (*ok)[0];
  EXPECT_EQ(p.BaseUrl(), "http://svc.local:80");
  EXPECT_EQ(p.timeout_ms, 250);
  EXPECT_EQ(p.status_on_error, 401);
  EXPECT_TRUE(HeaderAllowed(p.headers_to_downstream_on_deny, "Location"));  // automatic
  EXPECT_TRUE(HeaderAllowed(p.headers_to_downstream_on_deny, "content-type"));
  EXPECT_FALSE(HeaderAllowed(p.headers_to_downstream_on_deny, "x-other"));
  EXPECT_FALSE(
      ParseExtensionProviders(json::parse(R"([{"name":"b","envoyExtAuthzHttp":{"service":"s"}}])"))
          .ok());
  EXPECT_FALSE(
      ParseExtensionProviders(
          json::parse(
              R"([{"name":"b","envoyExtAuthzHttp":{"service":"s","port":80,"pathPrefix":"x"}}])"))
          .ok());
}

}  // namespace
}  // namespace ferry::gateway
