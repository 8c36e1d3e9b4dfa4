// The gateway pipeline with real network peers: a python3 http.server on
// 127.0.0.1 (a thread per request) plays the CUSTOM provider and the JWKS
// endpoint. Its /hold paths answer only once the test creates a release
// file, so "while one request is parked" is a state the test controls, not a
// timing. Covers park/resume, provider timeouts, failOpen, statusOnError,
// only-200-allows, a client gone while parked, shutdown, the first JWKS
// fetch parked, routing after path normalization, and /oauth2 + dashboard
// routes behind the ingress gateway's policies.
#include "ingress/gateway_pipeline.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/test_util.h"
#include "ingress/grpc_ingress.h"
#include "ingress/parked_calls.h"

namespace ferry::ingress {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kPeer = R"PY(
import http.server, os, sys, time
jwks_file, release_file = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, code, body=b"", headers=()):
        try:
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway gave up waiting (a timeout under test)
    def do_any(self):
        p = self.path
        if "/hold" in p:
            for _ in range(3000):
                if os.path.exists(release_file):
                    break
                time.sleep(0.01)
        if "/slow" in p:
            time.sleep(3)
        if p.startswith("/jwks"):
            with open(jwks_file, "rb") as f:
                return self.reply(200, f.read(), [("Content-Type", "application/json")])
        if "/ok" in p or "/hold" in p or "/slow" in p:
            return self.reply(200, b"", [("x-user", "alice")])
        if "/boom" in p:
            return self.reply(503, b"internal")
        self.reply(403, b"denied by test", [("Content-Type", "text/plain")])
    do_GET = do_POST = do_any
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
)PY";

class Peer {
 public:
  Peer() {
    dir_ = fs::path(FERRY_BINARY_DIR) / ("pipeline_peer_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "peer.py") << kPeer;
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed test
      dup2(fds[1], 1);
      close(fds[0]);
      execl("/usr/bin/python3", "python3", (dir_ / "peer.py").c_str(), jwks_file().c_str(),
            release_file().c_str(), (char*)nullptr);
      _exit(127);
    }
    close(fds[1]);
    FILE* f = fdopen(fds[0], "r");
    if (f && fscanf(f, "%d", &port_) != 1) port_ = 0;
    if (f) fclose(f);
  }
  ~Peer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string jwks_file() const { return (dir_ / "jwks.json").string(); }
  std::string release_file() const { return (dir_ / "release").string(); }
  void Hold() { fs::remove(release_file()); }
  void Release() { std::ofstream(release_file()) << "go"; }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A request driven through the pipeline; records how it ended.
class TestCall : public PipelineCall {
 public:
  TestCall(std::string authority, std::string target, HeaderList headers, Listener listener)
      : authority_(std::move(authority)), target_(std::move(target)), headers_(std::move(headers)) {
    listener_ = listener;
  }

  GatewayInput Input() const override {
    GatewayInput in;
    in.listener = listener_;
    in.oauth2_routes = listener_ == Listener::kExternal;
    in.dashboard_routes = in.oauth2_routes;
    in.method = "POST";
    in.authority = authority_;
    in.target = target_;
    in.source_ip = "127.0.0.1";
    in.local_port = 8080;
    return in;
  }
  HeaderList& Headers() override { return headers_; }
  void Post(std::function<void()> fn) override { fn(); }
  void Finish(GatewayOutcome& out) override {
    std::lock_guard<std::mutex> lock(mu_);
    kind = out.kind;
    destination = out.destination;
    status = out.kind == GatewayOutcome::Kind::kDenied ? out.denial.status : 200;
    body = out.denial.body;
    path = std::string(out.path) + std::string(out.query);
    done_ = true;
    cv_.notify_all();
  }
  void Abandon(const Status& why) override {
    std::lock_guard<std::mutex> lock(mu_);
    abandoned = why;
    done_ = true;
    cv_.notify_all();
  }
  // Waits for the end (a guard against hangs, not a timing assertion).
  bool Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return done_; });
  }
  bool done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers_) {
      if (k == name) return v;
    }
    return "";
  }

  GatewayOutcome::Kind kind = GatewayOutcome::Kind::kPending;
  Destination destination = Destination::kModel;
  int status = 0;
  std::string body, path;
  Status abandoned;

 private:
  Listener listener_;
  std::string authority_, target_;
  HeaderList headers_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    peer_ = new Peer();
    key_ = new gateway::testing::TestKey(gateway::testing::MakeEcKey("k1", "P-256"));
    std::ofstream(peer_->jwks_file()) << gateway::testing::JwksJson({key_});
  }
  static void TearDownTestSuite() {
    delete peer_;
    delete key_;
  }

  void SetUp() override {
    ASSERT_GT(peer_->port(), 0);
    peer_->Release();
    auto table = std::make_shared<controller::RouteTable>();
    auto route = std::make_shared<controller::ServiceRoute>();
    route->name_space = "foo";
    route->name = "m";
    route->labels = {{"app", "m"}};
    route->revisions.push_back({"m-00001", std::make_shared<serving::ModelCatalog>(), 100});
    table->AddExternalHost("m.foo.example.com", route);
    table->AddInternalHost("m.foo.svc.cluster.local", route);
    snapshots_.SetRoutes(table);
    http_ = std::make_shared<gateway::AsyncHttpClient>();
    parked_ = std::make_unique<ParkedCalls>(&pipeline_, http_);
  }

  void TearDown() override {
    peer_->Release();
    parked_.reset();
    http_->Shutdown();
  }

  // Policies: `objects` plus a MeshConfig with provider `p` (pathPrefix
  // `prefix`, `extra` fields) and, when `normalization` is set, pathNormalization.
  void Policies(const std::vector<json>& objects, const std::string& prefix = "/hold",
                const json& extra = json::object(), const std::string& normalization = "") {
    json http = {{"service", "127.0.0.1"},
                 {"port", peer_->port()},
                 {"pathPrefix", prefix},
                 {"headersToUpstreamOnAllow", {"x-user"}}};
    http.update(extra);
    json mesh = {{"extensionProviders", {{{"name", "p"}, {"envoyExtAuthzHttp", http}}}}};
    if (!normalization.empty()) mesh["pathNormalization"] = {{"normalization", normalization}};
    gateway::SnapshotOptions so;
    so.jwks_cache = jwks_;
    gateway::PolicySnapshotBuilder b(so);
    ASSERT_TRUE(b.SetMeshConfig(mesh).ok());
    for (const auto& o : objects) {
      Status s = b.Add(o);
      ASSERT_TRUE(s.ok()) << s.message();
    }
    snapshots_.SetPolicies(b.Build());
  }

  static json Ap(const std::string& ns, const std::string& name, const json& spec) {
    return {{"kind", "AuthorizationPolicy"},
            {"metadata", {{"name", name}, {"namespace", ns}}},
            {"spec", spec}};
  }
  static json CustomOn(const std::string& paths) {
    return Ap("foo", "ext",
              {{"action", "CUSTOM"},
               {"provider", {{"name", "p"}}},
               {"rules", {{{"to", {{{"operation", {{"paths", {paths}}}}}}}}}}});
  }
  json Ra(const std::string& jwks_path, const std::string& timeout = "5s") {
    json rule = {{"issuer", "https://iss.example"},
                 {"jwksUri", peer_->url(jwks_path)},
                 {"timeout", timeout},
                 {"outputClaimToHeaders", {{{"header", "x-sub"}, {"claim", "sub"}}}}};
    return {{"kind", "RequestAuthentication"},
            {"metadata", {{"name", "ra"}, {"namespace", "foo"}}},
            {"spec", {{"jwtRules", {rule}}}}};
  }
  std::string Token() {
    return gateway::testing::SignJwt(
        *key_, "ES256",
        {{"iss", "https://iss.example"}, {"sub", "u1"}, {"exp", std::time(nullptr) + 3600}});
  }

  std::shared_ptr<TestCall> Call(const std::string& target, HeaderList headers = {},
                                 const std::string& host = "m.foo.example.com",
                                 Listener listener = Listener::kExternal) {
    return std::make_shared<TestCall>(host, target, std::move(headers), listener);
  }

  // Runs the call the way a listener does: evaluate; park when pending.
  // Returns the ticket (0 = not parked).
  uint64_t Drive(const std::shared_ptr<TestCall>& call) {
    GatewayOutcome out = pipeline_.Evaluate(call->Input(), call->Headers(), call->progress);
    if (out.kind == GatewayOutcome::Kind::kPending) {
      return parked_->Park(call, std::move(out.pending));
    }
    call->Finish(out);
    return 0;
  }

  static Peer* peer_;
  static gateway::testing::TestKey* key_;
  std::shared_ptr<gateway::JwksCache> jwks_ =
      std::make_shared<gateway::JwksCache>(gateway::MakeCurlJwksFetcher(nullptr));
  GatewaySnapshots snapshots_;
  gateway::ExtAuthzRegistry registry_;
  GatewayPipeline pipeline_{&snapshots_, &registry_};
  std::shared_ptr<gateway::AsyncHttpClient> http_;
  std::unique_ptr<ParkedCalls> parked_;
};
Peer* PipelineTest::peer_ = nullptr;
gateway::testing::TestKey* PipelineTest::key_ = nullptr;

TEST_F(PipelineTest, ExtAuthzParksAndResumesWhileOthersAreServed) {
  Policies({CustomOn("/admin/*")});
  peer_->Hold();
  auto a = Call("/admin/a");
  auto b = Call("/admin/b?q=1");
  ASSERT_NE(Drive(a), 0u);
  ASSERT_NE(Drive(b), 0u);
  EXPECT_EQ(parked_->parked(), 2u);
  // Requests that need no ext-authz are decided at once meanwhile.
  for (int i = 0; i < 3; ++i) {
    auto other = Call("/v2/models/m/infer");
    EXPECT_EQ(Drive(other), 0u);
    EXPECT_EQ(other->kind, GatewayOutcome::Kind::kRouted);
  }
  EXPECT_FALSE(a->done());
  peer_->Release();
  ASSERT_TRUE(a->Wait());
  ASSERT_TRUE(b->Wait());
  EXPECT_EQ(a->kind, GatewayOutcome::Kind::kRouted);
  EXPECT_EQ(a->Header("x-user"), "alice");  // headersToUpstreamOnAllow, applied on resume
  EXPECT_EQ(b->kind, GatewayOutcome::Kind::kRouted);
  EXPECT_EQ(b->path, "/admin/b?q=1");
  EXPECT_EQ(parked_->parked(), 0u);
}

TEST_F(PipelineTest, ProviderTimeoutUsesStatusOnErrorOrFailOpen) {
  Policies({CustomOn("/admin/*")}, "/slow", {{"timeout", "200ms"}, {"statusOnError", "503"}});
  auto slow = Call("/admin/x");
  ASSERT_NE(Drive(slow), 0u);
  ASSERT_TRUE(slow->Wait());
  EXPECT_EQ(slow->kind, GatewayOutcome::Kind::kDenied);
  EXPECT_EQ(slow->status, 503);
  EXPECT_EQ(slow->body, "");  // Envoy sends statusOnError with an empty body
  Policies({CustomOn("/admin/*")}, "/slow", {{"timeout", "200ms"}, {"failOpen", true}});
  auto open = Call("/admin/x");
  ASSERT_NE(Drive(open), 0u);
  ASSERT_TRUE(open->Wait());
  EXPECT_EQ(open->kind, GatewayOutcome::Kind::kRouted);
}

TEST_F(PipelineTest, FiveHundredIsAnErrorAndOnlyTwoHundredAllows) {
  Policies({CustomOn("/admin/*")}, "/boom", {{"statusOnError", "401"}});
  auto boom = Call("/admin/x");
  Drive(boom);
  ASSERT_TRUE(boom->Wait());
  EXPECT_EQ(boom->status, 401);
  Policies({CustomOn("/admin/*")}, "/boom", {{"failOpen", true}});
  auto open = Call("/admin/x");
  Drive(open);
  ASSERT_TRUE(open->Wait());
  EXPECT_EQ(open->kind, GatewayOutcome::Kind::kRouted);
  Policies({CustomOn("/admin/*")}, "/deny");
  auto deny = Call("/admin/x");
  Drive(deny);
  ASSERT_TRUE(deny->Wait());
  EXPECT_EQ(deny->status, 403);
  EXPECT_EQ(deny->body, "denied by test");  // relayed with the provider's status
}

TEST_F(PipelineTest, ClientGoneWhileParkedStopsTheCall) {
  Policies({CustomOn("/admin/*")});
  peer_->Hold();
  auto gone = Call("/admin/x");
  uint64_t ticket = Drive(gone);
  ASSERT_NE(ticket, 0u);
  parked_->Cancel(gone->ticket.load());
  ASSERT_TRUE(gone->Wait());
  EXPECT_EQ(gone->abandoned.code(), StatusCode::kCancelled);
  EXPECT_EQ(parked_->parked(), 0u);
  for (int i = 0; i < 3000 && http_->in_flight() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(http_->in_flight(), 0u);  // the ext-authz call was cancelled, not left running
  parked_->Cancel(ticket);            // twice: no-op
  peer_->Release();
  EXPECT_EQ(gone->kind, GatewayOutcome::Kind::kPending);  // never finished
}

TEST_F(PipelineTest, ShutdownAbandonsParkedAndRefusesNew) {
  Policies({CustomOn("/admin/*")});
  peer_->Hold();
  auto waiting = Call("/admin/x");
  ASSERT_NE(Drive(waiting), 0u);
  parked_->Shutdown(std::chrono::milliseconds(0));
  ASSERT_TRUE(waiting->Wait());
  EXPECT_EQ(waiting->abandoned.code(), StatusCode::kUnavailable);
  auto late = Call("/admin/y");
  EXPECT_EQ(Drive(late), 0u);
  EXPECT_EQ(late->abandoned.code(), StatusCode::kUnavailable);
}

TEST_F(PipelineTest, FirstJwksFetchParksThenKeysAreCached) {
  Policies({Ra("/jwks/hold")});
  peer_->Hold();
  auto first = Call("/v2/models/m/infer", {{"authorization", "Bearer " + Token()}});
  ASSERT_NE(Drive(first), 0u);
  auto anonymous = Call("/v2/models/m/infer");  // no token: nothing to verify, no wait
  EXPECT_EQ(Drive(anonymous), 0u);
  EXPECT_EQ(anonymous->kind, GatewayOutcome::Kind::kRouted);
  peer_->Release();
  ASSERT_TRUE(first->Wait());
  EXPECT_EQ(first->kind, GatewayOutcome::Kind::kRouted) << first->body;
  EXPECT_EQ(first->Header("x-sub"), "u1");
  // The keys are cached: the next token (another one) is verified at once.
  auto second = Call("/v2/models/m/infer",
                     {{"authorization",
                       "Bearer " + gateway::testing::SignJwt(*key_, "ES256",
                                                             {{"iss", "https://iss.example"},
                                                              {"sub", "u2"},
                                                              {"exp", std::time(nullptr) + 60}})}});
  EXPECT_EQ(Drive(second), 0u);
  EXPECT_EQ(second->kind, GatewayOutcome::Kind::kRouted);
  EXPECT_EQ(second->Header("x-sub"), "u2");
}

TEST_F(PipelineTest, JwksWaitIsBoundedByTheRequestAuthenticationTimeout) {
  Policies({Ra("/jwks/hold/never", "300ms")});
  peer_->Hold();
  auto call = Call("/v2/models/m/infer", {{"authorization", "Bearer " + Token()}});
  ASSERT_NE(Drive(call), 0u);
  ASSERT_TRUE(call->Wait());
  EXPECT_EQ(call->kind, GatewayOutcome::Kind::kDenied);
  EXPECT_EQ(call->status, 401);  // fail closed
  peer_->Release();
}

TEST_F(PipelineTest, RoutesTheNormalizedPath) {
  struct Case {
    const char* mode;
    const char* raw;
    const char* routed;  // nullptr: 400
  } cases[] = {
      {"BASE", "/v2/models/%6d/infer?x=1", "/v2/models/m/infer?x=1"},
      {"NONE", "/v2/models/%6d/infer?x=1", "/v2/models/%6d/infer?x=1"},
      {"BASE", "/v2/models/x/../m/infer", "/v2/models/m/infer"},
      {"BASE", "//v2//models/m/infer", "//v2//models/m/infer"},
      {"MERGE_SLASHES", "//v2//models/m/infer", "/v2/models/m/infer"},
      {"MERGE_SLASHES", "/v2/models%2Fm/infer", "/v2/models%2Fm/infer"},
      {"DECODE_AND_MERGE_SLASHES", "/v2/models%2Fm/infer", "/v2/models/m/infer"},
      {"DECODE_AND_MERGE_SLASHES", "/v2%5cmodels/m//infer", "/v2/models/m/infer"},
      {"BASE", "/v2/models/m%00/infer", nullptr},
  };
  for (const Case& c : cases) {
    Policies({}, "/ok", json::object(), c.mode);
    auto call = Call(c.raw);
    Drive(call);
    if (c.routed == nullptr) {
      EXPECT_EQ(call->status, 400) << c.mode << " " << c.raw;
      continue;
    }
    EXPECT_EQ(call->kind, GatewayOutcome::Kind::kRouted) << c.mode << " " << c.raw;
    EXPECT_EQ(call->path, c.routed) << c.mode << " " << c.raw;
  }
  // Policies decide on the same path: a DENY on /v2/models/m/* catches the
  // encoded form under BASE, not under NONE (where it is not that path).
  json deny = Ap("foo", "deny-m",
                 {{"action", "DENY"},
                  {"rules", {{{"to", {{{"operation", {{"paths", {"/v2/models/m/*"}}}}}}}}}}});
  Policies({deny}, "/ok", json::object(), "BASE");
  auto base = Call("/v2/models/%6d/infer");
  Drive(base);
  EXPECT_EQ(base->status, 403);
  Policies({deny}, "/ok", json::object(), "NONE");
  auto none = Call("/v2/models/%6d/infer");
  Drive(none);
  EXPECT_EQ(none->kind, GatewayOutcome::Kind::kRouted);
  EXPECT_EQ(none->path, "/v2/models/%6d/infer");
}

TEST_F(PipelineTest, Oauth2AndDashboardAreBehindTheIngressGatewayPolicies) {
  Policies({});
  auto sign_in = Call("/oauth2/sign_in", {}, "127.0.0.1:8080");
  Drive(sign_in);
  EXPECT_EQ(sign_in->kind, GatewayOutcome::Kind::kRouted);
  EXPECT_EQ(sign_in->destination, Destination::kOauth2);
  auto dashboard = Call("/", {}, "127.0.0.1:8080");
  Drive(dashboard);
  EXPECT_EQ(dashboard->destination, Destination::kDashboard);
  // The encoded form routes like the decoded one (route what was authorized).
  auto encoded = Call("/%6fauth2/sign_in", {}, "dashboard.example.com");
  Drive(encoded);
  EXPECT_EQ(encoded->destination, Destination::kOauth2);

  json deny_all = Ap("istio-system", "deny-all",
                     {{"selector", {{"matchLabels", {{"app", "istio-ingressgateway"}}}}},
                      {"action", "DENY"},
                      {"rules", json::array({json::object()})}});
  Policies({deny_all});
  for (const char* path : {"/oauth2/sign_in", "/", "/api/v1/namespaces"}) {
    auto c = Call(path, {}, "127.0.0.1:8080");
    Drive(c);
    EXPECT_EQ(c->status, 403) << path;
    EXPECT_EQ(c->body, "RBAC: access denied") << path;
  }
  // The cluster-local listener has no ingress gateway in front.
  auto inside = Call("/v2/models/m/infer", {}, "m.foo.svc.cluster.local", Listener::kInternal);
  Drive(inside);
  EXPECT_EQ(inside->kind, GatewayOutcome::Kind::kRouted);
}

// gRPC calls take the same pipeline and park the same way.
class CollectingAnswer : public GrpcAnswer {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    GrpcRoute route;
  };
  explicit CollectingAnswer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  void Answer(GrpcRoute r) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->route = std::move(r);
    state_->done = true;
    state_->cv.notify_all();
  }
  void Post(std::function<void()> fn) override { fn(); }
  std::unique_ptr<GrpcAnswer> Keep() override { return std::make_unique<CollectingAnswer>(state_); }

 private:
  std::shared_ptr<State> state_;
};

TEST_F(PipelineTest, GrpcCallsParkOnCustomAndJwks) {
  Policies({CustomOn("/inference.GRPCInferenceService/*"), Ra("/jwks/hold")});
  GrpcIngress grpc(parked_.get());
  peer_->Hold();
  std::string bearer = "Bearer " + Token();
  std::vector<gateway::Header> metadata = {{"authorization", bearer}};
  auto state = std::make_shared<CollectingAnswer::State>();
  CollectingAnswer answer(state);
  grpc.Route({"m.foo.svc.cluster.local", "/inference.GRPCInferenceService/ModelInfer", metadata,
              "127.0.0.1", 8081},
             &answer);
  EXPECT_EQ(parked_->parked(), 1u);
  peer_->Release();
  std::unique_lock<std::mutex> lock(state->mu);
  ASSERT_TRUE(state->cv.wait_for(lock, std::chrono::seconds(30), [&] { return state->done; }));
  EXPECT_TRUE(state->route.status.ok()) << state->route.status.message();
  EXPECT_NE(state->route.catalog, nullptr);
}

}  // namespace
}  // namespace ferry::ingress
