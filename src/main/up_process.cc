#include "main/up_process.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api/api_server.h"
#include "api/isvc_logs.h"
#include "api/resource_client.h"
#include "api/token_signer.h"
#include "common/cpu_limit.h"
#include "controller/controller.h"
#include "controller/isvc_spec.h"
#include "controller/storage_admission.h"
#include "gateway/async_http.h"
#include "gateway/jwks.h"
#include "grpc/grpc_server.h"
#include "http/http_server.h"
#include "ingress/authz_check.h"
#include "ingress/gateway_pipeline.h"
#include "ingress/grpc_ingress.h"
#include "ingress/ingress_handler.h"
#include "ingress/oauth2_proxy.h"
#include "ingress/oauth2_routes.h"
#include "ingress/parked_calls.h"
#include "logger/dispatcher.h"
#include "main/bootstrap.h"
#include "main/pod_usage.h"
#include "main/certs.h"
#include "main/data_dir.h"
#include "main/grpc_access_log.h"
#include "main/runtimes.h"
#include "serving/metrics.h"
#include "main/signals.h"
#include "server/access_log.h"
#include "server/model_router.h"
#include "store/resource_store.h"
#include "web/front_handler.h"
#include "web/sign_in.h"
#include "web/web_handler.h"

namespace ferry::main {

namespace {

StatusOr<std::unique_ptr<http::HttpServer>> Listen(const std::string& bind, int port, int workers,
                                                   http::HttpHandler* handler,
                                                   const ServingCerts* tls) {
  http::HttpServerOptions o;
  o.bind_address = bind;
  o.port = static_cast<uint16_t>(port);
  o.io_threads = workers;
  if (tls != nullptr) {
    o.tls_cert_file = tls->cert_file;
    o.tls_key_file = tls->key_file;
    o.io_threads = 1;
  }
  ASSIGN_OR_RETURN(auto s, http::HttpServer::Create(o, handler));
  s->Start();
  return s;
}

// First non-loopback IPv4 address of this machine, else 127.0.0.1.
std::string PrimaryAddress() {
  ifaddrs* list = nullptr;
  std::string out = "127.0.0.1";
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if (i->ifa_flags & IFF_LOOPBACK) continue;
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof(buf));
    out = buf;
    break;
  }
  freeifaddrs(list);
  return out;
}

// The listeners behind the two gateway Services. Each always listens on
// --bind; while its Service is LoadBalancer/NodePort a second listener on all
// interfaces (same port, SO_REUSEPORT) is added beside it. The --bind one is
// never closed while serving: closing a listening socket resets the
// connections still in its accept queue, and the kernel keeps sending
// loopback clients to the more specific address until it is closed.
struct GatewayListeners {
  std::mutex mu;
  std::unique_ptr<http::HttpServer> external;       // guarded by mu
  std::unique_ptr<http::HttpServer> internal;       // guarded by mu
  std::shared_ptr<http::HttpServer> external_wide;  // guarded by mu; null unless exposed
  std::shared_ptr<http::HttpServer> internal_wide;  // guarded by mu; null unless exposed
  bool external_exposed = false;
  bool internal_exposed = false;
};

// /healthz, /livez and /readyz go to the API server (readiness = controller
// sync); everything else to the front handler (API or dashboard).
class HealthFront : public http::HttpHandler {
 public:
  HealthFront(http::HttpHandler* api, http::HttpHandler* front) : api_(api), front_(front) {}
  void Handle(http::HttpRequest& req, http::Responder responder) override {
    bool health = req.path == "/readyz" || req.path == "/healthz" || req.path == "/livez";
    (health ? api_ : front_)->Handle(req, std::move(responder));
  }

 private:
  http::HttpHandler* api_;
  http::HttpHandler* front_;
};

// V2 gRPC gateway (ingress/grpc_ingress.h).

// GrpcIngress answers through the gRPC server's ResolveSink (valid until it
// is answered: the call object lives that long).
class SinkAnswer : public ingress::GrpcAnswer {
 public:
  explicit SinkAnswer(grpc::ResolveSink* sink) : sink_(sink) {}
  void Answer(ingress::GrpcRoute r) override {
    sink_->Resolved(
        grpc::CallTarget{std::move(r.catalog), std::move(r.status), std::move(r.trailers)});
  }
  void Post(std::function<void()> fn) override { sink_->Post(std::move(fn)); }
  std::unique_ptr<ingress::GrpcAnswer> Keep() override {
    return std::make_unique<SinkAnswer>(sink_);
  }

 private:
  grpc::ResolveSink* sink_;
};

// A failed inference of an InferenceService's model (metrics key "ns/name"), REST or gRPC, in
// its log (`kubectl logs POD -c kserve-container`) with the request's id and trace.
void LogRequestError(api::IsvcLogs* logs, const std::string& key, int status,
                     std::string_view body, const serving::RequestContext& context) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return;
  logs->Append(key.substr(0, slash), key.substr(slash + 1),
               "predictor: HTTP " + std::to_string(status) + ": " +
                   std::string(body.substr(0, 1000)) +
                   " x-request-id=" + std::string(context.request_id()) +
                   " traceparent=" + std::string(context.traceparent()));
}

// Starts the gRPC listener whose calls GrpcIngress routes and checks. Null
// when the implicit default port is busy (skipped with a warning).
StatusOr<std::unique_ptr<grpc::GrpcServer>> StartGrpcGateway(const UpFlags& flags,
                                                             const ingress::GrpcIngress* gateway,
                                                             serving::ModelRepository* repository,
                                                             server::AccessLog* access_log,
                                                             api::IsvcLogs* logs) {
  grpc::GrpcServerOptions opts;
  opts.repository = repository;
  opts.error_log = std::bind_front(LogRequestError, logs);
  opts.access_log = GrpcAccessLog(access_log);
  opts.bind_address = flags.bind;
  opts.port = flags.grpc_port;
  opts.server_version = FERRY_VERSION;
  opts.port_hint = "choose another port with --grpc-port=N (0 = pick a free one)";
  auto resolve = [gateway](const grpc::CallInfo& call, grpc::ResolveSink* sink) {
    thread_local std::vector<gateway::Header> headers;
    headers.clear();
    for (const auto& [k, v] : call.metadata) headers.push_back({k, v});
    ingress::GrpcCall c{call.authority, call.path, headers, call.peer_ip,
                        static_cast<uint32_t>(call.local_port)};
    SinkAnswer answer(sink);
    gateway->Route(c, &answer);
  };
  auto server = grpc::GrpcServer::Start(opts, grpc::CallResolver(resolve));
  if (!server.ok() && !flags.grpc_port_explicit) {
    std::fprintf(stderr, "ferry up: warning: gRPC disabled: %s\n",
                 server.status().message().c_str());
    return std::unique_ptr<grpc::GrpcServer>();
  }
  return server;
}

// Said when Ferry listens beyond this machine while the default user keeps
// Kubeflow's well-known password (refused from other machines).
void WarnDefaultPassword(web::PasswordSignIn* sign_in) {
  if (!sign_in->exposed() || !sign_in->DefaultPasswordInUse()) return;
  std::fprintf(stderr,
               "ferry up: warning: a listener reaches beyond this machine and %s still has the "
               "well-known default password, which is refused from other machines; set one: "
               "%s\n",
               web::kDefaultUser,
               web::PasswdCommand(sign_in->users_path(), web::kDefaultUser).c_str());
}

}  // namespace

// The parts of `ferry up`, in construction order (each step's group follows the one before).
struct UpProcess::Parts {
  explicit Parts(const UpFlags& f) : flags(f) {}
  const UpFlags& flags;
  // OpenDataDir
  std::string dir;
  storage::LocalAccess local_access;
  ServingCerts certs;
  std::string token;
  // OpenApi
  std::unique_ptr<store::ResourceStore> store;
  std::unique_ptr<api::TokenSigner> signer;
  std::unique_ptr<api::ApiServer> api;
  BootstrapOptions boot;
  // BuildModelServing
  serving::Metrics metrics;
  // Payload logging's send queue and threads (spec.predictor.logger); stopped after the
  // listeners in Shutdown, so no request queues into it afterwards.
  std::shared_ptr<logger::Dispatcher> payload_logs;
  server::AccessLog access_log{20};
  std::unique_ptr<server::ModelRouter> router;
  // BuildGateway
  std::shared_ptr<gateway::AsyncHttpClient> peers;
  std::shared_ptr<gateway::JwksCache> jwks;
  gateway::ExtAuthzRegistry ext_authz;
  std::shared_ptr<web::PasswordSignIn> sign_in;
  bool bind_exposed = false;
  std::shared_ptr<ingress::Oauth2Proxy> oauth2;
  ingress::GatewaySnapshots snapshots;
  std::unique_ptr<ingress::GatewayPipeline> pipeline;
  std::unique_ptr<ingress::ParkedCalls> parked;
  std::unique_ptr<ingress::FrontRoutes> front_routes;
  std::unique_ptr<ingress::IngressHandler> external;
  std::unique_ptr<ingress::IngressHandler> internal;
  std::unique_ptr<ingress::GrpcIngress> grpc_gateway;
  std::unique_ptr<PodUsageSampler> usage;  // metrics.k8s.io (kubectl top pod)
  // BuildController
  runtime::RuntimeRegistry registry;
  std::unique_ptr<controller::Controller> ctrl;
  // BuildDashboards
  std::unique_ptr<web::WebHandler> dashboard;
  std::unique_ptr<ingress::AuthzCheckHandler> authz_check;
  std::unique_ptr<web::FrontHandler> front;
  std::unique_ptr<web::WebHandler> ext_dashboard;
  std::unique_ptr<web::FrontHandler> ext_front;
  std::unique_ptr<HealthFront> health_front;
  // StartListeners
  std::unique_ptr<http::HttpServer> api_listener;
  GatewayListeners gateways;
  std::atomic<uint16_t> ext_port{0};  // read by the dashboards' whoami
  uint16_t int_port = 0;
  std::unique_ptr<grpc::GrpcServer> grpc_listener;  // null when the default port was busy

  Status OpenDataDir();
  Status OpenApi();
  void BuildModelServing();
  void BuildGateway();
  Status BuildController();
  void BuildDashboards();
  Status StartListeners();
  void OnGatewayService(const std::string& service, bool exposed);
  Status StartControlPlane();
};

// The data directory (private, checked), which local model directories may be read, the
// serving certificates and the admin token.
Status UpProcess::Parts::OpenDataDir() {
  dir = flags.data_dir.empty() ? DefaultDataDir() : flags.data_dir;
  RETURN_IF_ERROR(PrepareDataDir(dir, stderr));
  ASSIGN_OR_RETURN(local_access,
                   LocalAccessFromFlags(flags.allow_local_models, flags.pvc_claims, dir));
  ASSIGN_OR_RETURN(certs, EnsureServingCerts(dir, flags.bind));
  ASSIGN_OR_RETURN(token, AdminToken(dir));
  return OkStatus();
}

// The store, the ServiceAccount token signer, the API server with its admission, and the
// bootstrap objects (namespaces, RBAC, the profile's defaults).
Status UpProcess::Parts::OpenApi() {
  ASSIGN_OR_RETURN(store, store::ResourceStore::Open(dir + "/store.db"));
  ASSIGN_OR_RETURN(signer, api::CreateRs256Signer(dir + "/serviceaccount.key"));
  api::ApiServerOptions api_opts;
  api_opts.admin_token = token;
  api_opts.issuer = flags.issuer;
  api = std::make_unique<api::ApiServer>(store.get(), signer.get(), api_opts);
  api->AddAdmission("InferenceService",
                    [access = local_access](nlohmann::json& obj, bool, std::vector<std::string>*) {
                      return controller::AdmitStorageUri(obj, access);
                    });
  boot.profile = flags.profile;
  boot.domain = flags.domain;
  boot.issuer = flags.issuer;
  boot.jwks_json = signer->Jwks().dump();
  boot.node_address = flags.external_address.empty() ? PrimaryAddress() : flags.external_address;
  return Bootstrap(api->client(), boot);
}

// Metrics, the access log and the model router every gateway hands its model requests to.
void UpProcess::Parts::BuildModelServing() {
  server::ModelRouterOptions router_opts;
  router_opts.server_version = FERRY_VERSION;
  payload_logs = std::make_shared<logger::Dispatcher>(logger::DispatcherOptions{});
  metrics.SetPayloadLogs(payload_logs.get());
  router = std::make_unique<server::ModelRouter>(router_opts, &metrics, &access_log);
}

// The gateways: their network peers, sign-in, the oauth2-proxy, one pipeline over one holder of
// the route and policy snapshots, and the HTTP and gRPC ingress handlers.
void UpProcess::Parts::BuildGateway() {
  // The gateways' network peers (ext-authz providers, JWKS endpoints) are
  // called on one multiplexing thread; keys are cached for the process.
  peers = std::make_shared<gateway::AsyncHttpClient>();
  gateway::JwksCache::Options jwks_opts;
  if (flags.profile == "kubeflow") {
    jwks_opts.refresh_interval = std::chrono::minutes(1);  // Kubeflow's istiod setting
  }
  jwks = std::make_shared<gateway::JwksCache>(gateway::MakeCurlJwksFetcher(peers), jwks_opts);
  // Kubeflow's oauth2-proxy + Dex, in-process: the same static users as the
  // dashboard; user JWTs signed by Ferry's issuer.
  // One password gate for both sign-in forms: users file, throttle, and
  // whether a listener reaches beyond this machine.
  if (auto s = web::PasswordSignIn::Open(dir + "/users"); s.ok()) {
    sign_in = std::move(*s);
  } else {
    std::fprintf(stderr, "ferry up: warning: %s (password sign-in is off)\n",
                 s.status().message().c_str());
  }
  bind_exposed = !web::IsLoopbackAddress(flags.bind);
  if (sign_in) sign_in->SetExposed(bind_exposed);
  ingress::Oauth2ProxyOptions oauth2_opts;
  oauth2_opts.users_file = dir + "/users";
  oauth2_opts.issuer = flags.issuer;
  oauth2_opts.sign_in = sign_in;
  oauth2 = std::make_shared<ingress::Oauth2Proxy>(oauth2_opts, signer.get());
  ext_authz.RegisterBuiltin("oauth2-proxy", oauth2);
  // One pipeline and one holder of the route and policy snapshots for every
  // listener (HTTP external and cluster-local, gRPC, `authz check`).
  pipeline = std::make_unique<ingress::GatewayPipeline>(&snapshots, &ext_authz);
  parked = std::make_unique<ingress::ParkedCalls>(pipeline.get(), peers);
  front_routes = std::make_unique<ingress::FrontRoutes>(oauth2.get());  // /oauth2/*, dashboard
  external = std::make_unique<ingress::IngressHandler>(true, parked.get(), router.get());
  external->SetFrontRoutes(front_routes.get());
  external->SetAccessLog(&access_log);
  internal = std::make_unique<ingress::IngressHandler>(false, parked.get(), router.get());
  internal->SetAccessLog(&access_log);
  grpc_gateway = std::make_unique<ingress::GrpcIngress>(parked.get());  // V2 gRPC
}

// The controller, and the hooks that tie it to the API (readiness, logs), the router (scale
// from zero) and the gateway (routes, policies).
Status UpProcess::Parts::BuildController() {
  registry = BuildRuntimeRegistry(DetectEffectiveCpus().cpus);
  controller::ControllerOptions copts;
  copts.data_dir = dir;
  copts.local_access = local_access;
  copts.external_address =
      flags.external_address.empty() ? PrimaryAddress() : flags.external_address;
  copts.kubeflow_policies = flags.profile == "kubeflow";
  copts.token_issuer = flags.issuer;
  copts.token_jwks = boot.jwks_json;
  copts.logs = &api->isvc_logs();
  copts.jwks_cache = jwks;
  copts.payload_logs = payload_logs;
  int64_t grace_ms = controller::ParseDurationMs(flags.scale_to_zero_grace);
  if (grace_ms < 0) {
    return InvalidArgumentError("--scale-to-zero-grace " + flags.scale_to_zero_grace +
                                ": not a duration; use e.g. 30s, 500ms or 2m");
  }
  copts.scale_to_zero_grace = std::chrono::milliseconds(grace_ms);
  ctrl = std::make_unique<controller::Controller>(&api->client(), &registry, &metrics, copts);
  controller::Controller* c = ctrl.get();
  api::ApiServer* a = api.get();
  api->SetReadiness([c] { return c->Synced(); });
  usage = std::make_unique<PodUsageSampler>(&snapshots);
  api->SetUsageSource([u = usage.get()](const auto& pods) { return u->Report(pods); });
  api->SetSeriesSource([this](const std::string& ns, const std::string& name) {
    auto now = serving::TrafficSeries::Clock::now();
    const serving::Metrics::ModelCounters* m = metrics.Find(ns + "/" + name);
    return serving::TrafficSeries::ToJson(m ? m->series.Snapshot(now)  // never served: all zero
                                            : serving::TrafficSeries::EmptySnapshot(now));
  });
  router->SetActivator([c](const serving::ModelEntry& entry, serving::ResumeParked r) {
    return c->Activate(entry, std::move(r));
  });
  // The model repository extension: load/unload map onto the revision state.
  router->SetRepository(c->repository());
  router->SetErrorSink(std::bind_front(LogRequestError, &a->isvc_logs()));
  ctrl->OnRoutes([this](std::shared_ptr<const controller::RouteTable> t) {
    snapshots.SetRoutes(std::move(t));
  });
  ctrl->OnPolicies([this](std::shared_ptr<const gateway::PolicySnapshot> p) {
    snapshots.SetPolicies(std::move(p));
  });
  return OkStatus();
}

// The Models dashboard on the API listener, `authz check`, and the same dashboard (read-only) on
// the external gateway behind the oauth2-proxy login. The dashboards' API calls are made as the
// signed-in user (a short-lived user token as the oauth2-proxy issues it), never with the admin
// token unless the session was opened with that token.
void UpProcess::Parts::BuildDashboards() {
  // Try it from the dashboard goes through the external gateway with the
  // user's oauth2 session (the admin-token session has none).
  ingress::Oauth2Proxy* proxy = oauth2.get();
  auto gateway_cookie = [proxy](const std::string& user) { return proxy->SessionCookieFor(user); };
  web::WebOptions web_opts;
  web_opts.data_dir = dir;
  web_opts.admin_token = token;
  web_opts.gateway_cookie = gateway_cookie;
  web_opts.sign_in = sign_in;
  web_opts.user_token = [proxy](const std::string& user) { return proxy->UserToken(user); };
  web_opts.external_gateway = [this] {  // the address `ferry up` prints
    uint16_t port = ext_port.load();
    return port == 0 ? std::string() : "http://" + flags.bind + ":" + std::to_string(port);
  };
  dashboard = std::make_unique<web::WebHandler>(web_opts, external.get(), internal.get());
  // `ferry authz check` / dashboard: POST /ferry/v1/authz/check.
  // RBAC decides who may use it: the non-resource URL, verb post (the admin may).
  api::ApiServer* a = api.get();
  authz_check = std::make_unique<ingress::AuthzCheckHandler>(
      a, external.get(), internal.get(),
      [a](http::HttpRequest& r) { return a->AuthorizeNonResource(r, ingress::kAuthzCheckPath); });
  front = std::make_unique<web::FrontHandler>(authz_check.get(), dashboard.get());
  // The candidates of the dashboard's namespace picker (each then checked as the user).
  auto namespace_names = [a] {
    std::vector<std::string> names;
    auto list = a->client().List("v1", "Namespace", "");
    if (!list.ok()) return names;
    for (const auto& ns : (*list)["items"]) names.push_back(ns["metadata"].value("name", ""));
    return names;
  };
  front->SetNamespaceLister(namespace_names);
  // The same dashboard on the external gateway (Kubeflow's central dashboard
  // host), behind the oauth2-proxy login, with the kubeflow profile.
  web::WebOptions ext_web_opts;
  ext_web_opts.data_dir = dir;
  ext_web_opts.secure_cookie = false;  // no admin-token sign-in on the plain-HTTP listener
  ext_web_opts.session_lookup = [proxy](const http::HttpRequest& r, std::string* user) {
    return proxy->SessionUser(r, user);
  };
  ext_web_opts.login_url = "/oauth2/sign_in";
  ext_web_opts.logout_url = "/oauth2/sign_out?rd=/";
  ext_web_opts.gateway_cookie = gateway_cookie;
  ext_web_opts.sign_in = sign_in;
  ext_web_opts.user_token = web_opts.user_token;
  ext_web_opts.read_only = true;
  ext_web_opts.external_gateway = web_opts.external_gateway;
  ext_dashboard = std::make_unique<web::WebHandler>(ext_web_opts, external.get(), internal.get());
  ext_front = std::make_unique<web::FrontHandler>(authz_check.get(), ext_dashboard.get(),
                                                  /*read_only=*/true);
  ext_front->SetNamespaceLister(namespace_names);
  if (flags.profile == "kubeflow") front_routes->SetDashboard(ext_front.get());
  health_front = std::make_unique<HealthFront>(api.get(), front.get());
}

// The API listener (HTTPS), the external and cluster-local gateway listeners (and the hook that
// widens them when their Service is exposed), and the gRPC gateway.
Status UpProcess::Parts::StartListeners() {
  ASSIGN_OR_RETURN(api_listener, Listen(flags.bind, flags.api_port, 1, health_front.get(), &certs));
  ASSIGN_OR_RETURN(gateways.external,
                   Listen(flags.bind, flags.http_port, flags.workers, external.get(), nullptr));
  ASSIGN_OR_RETURN(gateways.internal,
                   Listen(flags.bind, flags.internal_port, flags.workers, internal.get(), nullptr));
  ext_port = gateways.external->port();
  int_port = gateways.internal->port();
  external->SetListenPort(ext_port.load());  // destination.port in `ferry authz check`
  internal->SetListenPort(int_port);
  ctrl->OnGatewayService(
      [this](const std::string& service, bool exposed) { OnGatewayService(service, exposed); });
  ASSIGN_OR_RETURN(grpc_listener, StartGrpcGateway(flags, grpc_gateway.get(), ctrl->repository(),
                                                    &access_log, &api->isvc_logs()));
  return OkStatus();
}

// A gateway Service changed type: add or retire the wide listener beside the --bind one.
void UpProcess::Parts::OnGatewayService(const std::string& service, bool exposed) {
  std::lock_guard<std::mutex> lock(gateways.mu);
  bool is_external = service == "istio-ingressgateway";
  auto& current = is_external ? gateways.external : gateways.internal;
  bool& state = is_external ? gateways.external_exposed : gateways.internal_exposed;
  if (state == exposed) return;
  std::string address = exposed ? "0.0.0.0" : flags.bind;
  auto& wide = is_external ? gateways.external_wide : gateways.internal_wide;
  std::shared_ptr<http::HttpServer> retired;
  if (exposed && (flags.bind == "0.0.0.0" || flags.bind == "::")) {
    // --bind is already every interface: nothing to add.
  } else if (exposed) {
    auto next = Listen(address, current->port(), flags.workers,
                       is_external ? external.get() : internal.get(), nullptr);
    if (!next.ok()) {
      std::fprintf(stderr, "ferry up: cannot listen for %s on %s: %s\n", service.c_str(),
                   address.c_str(), next.status().message().c_str());
      return;
    }
    wide = std::move(*next);
  } else {
    retired = std::move(wide);
  }
  state = exposed;
  if (sign_in) {
    sign_in->SetExposed(bind_exposed || gateways.external_exposed || gateways.internal_exposed);
    WarnDefaultPassword(sign_in.get());
  }
  std::fprintf(stderr, "ferry up: %s listener now on %s:%u (Service type %s)\n", service.c_str(),
               address.c_str(), current->port(), exposed ? "LoadBalancer/NodePort" : "ClusterIP");
  if (!retired) return;
  std::thread([retired] {
    retired->Drain(std::chrono::seconds(10));
    // A request still to be answered (parked on an ext-authz provider, a
    // slow predict) writes through this listener later: keep it, stopped,
    // rather than free it under that request.
    if (retired->in_flight() > 0) new std::shared_ptr<http::HttpServer>(retired);
  }).detach();
}

// The admin kubeconfig, then the controller's watches and workers.
Status UpProcess::Parts::StartControlPlane() {
  RETURN_IF_ERROR(WriteKubeconfig(dir, api_listener->port(), certs.ca_pem, token));
  return ctrl->Start();
}

UpProcess::UpProcess(const UpFlags& flags) : p_(std::make_unique<Parts>(flags)) {}
UpProcess::~UpProcess() = default;

Status UpProcess::Build() {
  RETURN_IF_ERROR(p_->OpenDataDir());
  RETURN_IF_ERROR(p_->OpenApi());
  p_->BuildModelServing();
  p_->BuildGateway();
  RETURN_IF_ERROR(p_->BuildController());
  p_->BuildDashboards();
  RETURN_IF_ERROR(p_->StartListeners());
  return p_->StartControlPlane();
}

void UpProcess::Announce() const {
  const Parts& p = *p_;
  const UpFlags& flags = p.flags;
  std::fprintf(stderr,
               "ferry up: API https://127.0.0.1:%u  external gateway http://%s:%u  "
               "cluster-local gateway http://%s:%u\n"
               "ferry up: export KUBECONFIG=%s/kubeconfig   (profile: %s)\n",
               p.api_listener->port(), flags.bind.c_str(), p.ext_port.load(), flags.bind.c_str(),
               p.int_port, p.dir.c_str(), flags.profile.c_str());
  if (p.grpc_listener) {
    std::fprintf(stderr,
                 "ferry up: V2 gRPC gateway %s:%d (:authority selects the InferenceService)\n",
                 flags.bind.c_str(), p.grpc_listener->port());
  }
  std::fprintf(stderr, "ferry up: dashboard https://127.0.0.1:%u/  (first start: %s/users)\n",
               p.api_listener->port(), p.dir.c_str());
  std::string roots;
  for (const auto& r : p.local_access.roots) roots += (roots.empty() ? "" : ", ") + r;
  std::fprintf(
      stderr, "ferry up: local models: file:// under %s; pvc://CLAIM/path under %s/CLAIM%s\n",
      roots.empty() ? "no directory (add one with --allow-local-models DIR)" : roots.c_str(),
      p.local_access.pvc_root.c_str(),
      p.local_access.claims.empty() ? "" : " or the directory given with --pvc");
  if (p.sign_in) WarnDefaultPassword(p.sign_in.get());
  if (flags.profile == "kubeflow") {
    std::fprintf(stderr, "ferry up: Kubeflow dashboard (oauth2-proxy login) http://%s:%u/\n",
                 flags.bind.c_str(), p.ext_port.load());
  }
  std::fflush(stderr);
}

void UpProcess::Shutdown() {
  Parts& p = *p_;
  // Requests parked on an ext-authz provider or a JWKS fetch get up to 8 s,
  // then are answered 503, while the listeners drain (they wait for them).
  ingress::ParkedCalls* parked = p.parked.get();
  std::thread unpark([parked] { parked->Shutdown(std::chrono::seconds(8)); });
  {
    std::lock_guard<std::mutex> lock(p.gateways.mu);
    for (auto* wide : {&p.gateways.external_wide, &p.gateways.internal_wide}) {
      if (*wide) (*wide)->Drain(std::chrono::seconds(10));
    }
    p.gateways.external->Drain(std::chrono::seconds(10));
    p.gateways.internal->Drain(std::chrono::seconds(10));
  }
  if (p.grpc_listener) p.grpc_listener->Shutdown(std::chrono::seconds(10));
  unpark.join();
  p.payload_logs->Shutdown();
  p.peers->Shutdown();
  p.jwks->Shutdown();
  p.api->Shutdown();
  p.api_listener->Drain(std::chrono::seconds(2));
  p.ctrl->Stop();
}

}  // namespace ferry::main
