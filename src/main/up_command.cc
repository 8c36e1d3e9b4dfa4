#include "main/up_command.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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
#include "common/base64.h"
#include "common/cpu_limit.h"
#include "controller/controller.h"
#include "controller/isvc_spec.h"
#include "controller/storage_admission.h"
#include "gateway/async_http.h"
#include "gateway/jwks.h"
#include "grpc/grpc_server.h"
#include "ingress/authz_check.h"
#include "ingress/gateway_pipeline.h"
#include "ingress/grpc_ingress.h"
#include "ingress/ingress_handler.h"
#include "ingress/oauth2_proxy.h"
#include "ingress/oauth2_routes.h"
#include "ingress/parked_calls.h"
#include "main/bootstrap.h"
#include "main/certs.h"
#include "main/data_dir.h"
#include "main/runtimes.h"
#include "main/signals.h"
#include "server/http_server.h"
#include "server/model_router.h"
#include "store/resource_store.h"
#include "web/front_handler.h"
#include "web/sign_in.h"
#include "web/web_handler.h"

namespace ferry::main {
namespace fs = std::filesystem;

std::string DefaultDataDir() {
  if (const char* d = std::getenv("FERRY_DATA_DIR")) return d;
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.ferry";
  return ".ferry";
}

void AddUpCommand(CLI::App& app, UpFlags* f) {
  CLI::App* up = app.add_subcommand(
      "up", "Run the API server, controller, model servers and gateways in one process");
  up->add_option("--data-dir,--data_dir", f->data_dir,
                 "State directory (store, certificates, kubeconfig, models); default "
                 "$FERRY_DATA_DIR or ~/.ferry");
  up->add_option("--bind", f->bind, "Address the API and gateways listen on")
      ->capture_default_str();
  up->add_option("--api-port,--api_port", f->api_port, "HTTPS API port (0 = pick)")
      ->capture_default_str();
  up->add_option("--http-port,--http_port", f->http_port,
                 "External gateway port (istio-ingressgateway; 0 = pick)")
      ->capture_default_str();
  up->add_option("--internal-port,--internal_port", f->internal_port,
                 "Cluster-local gateway port (*.svc.cluster.local; 0 = pick)")
      ->capture_default_str();
  up->add_option("--domain", f->domain,
                 "Domain of external URLs (sets Knative's config-domain; default example.com)");
  up->add_option("--profile", f->profile, "kubeflow (Kubeflow's default Istio policies) or none")
      ->check(CLI::IsMember({"kubeflow", "none"}))
      ->capture_default_str();
  up->add_option("--issuer", f->issuer, "Issuer of ServiceAccount tokens (kubectl create token)")
      ->capture_default_str();
  up->add_option("--external-address,--external_address", f->external_address,
                 "Load-balancer IP shown on gateway Services of type LoadBalancer (default: this "
                 "machine's primary address)");
  up->add_option("--scale-to-zero-grace", f->scale_to_zero_grace,
                 "Idle time before a minReplicas: 0 model is unloaded (e.g. 30s, 2m; per "
                 "InferenceService: annotation "
                 "autoscaling.knative.dev/scale-to-zero-pod-retention-period)")
      ->capture_default_str();
  up->add_option("--grpc-port,--grpc_port", f->grpc_port,
                 "V2 gRPC port for both gateways: the :authority selects the InferenceService "
                 "like Host does (0 = pick; if not given and busy, gRPC is skipped)")
      ->capture_default_str()
      ->each([f](const std::string&) { f->grpc_port_explicit = true; });
  up->add_option("--workers", f->workers, "I/O threads per listener (0 = one per core)")
      ->capture_default_str();
  up->add_option("--allow-local-models,--allow_local_models", f->allow_local_models,
                 "Directory whose models file:// (and plain-path) storageUris may read; "
                 "repeatable. Without it local paths are refused. The data directory is never "
                 "readable, even below an allowed directory")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  up->add_option("--pvc", f->pvc_claims,
                 "CLAIM=DIR: pvc://CLAIM/path reads DIR/path (default DATA/pvc/CLAIM/path); "
                 "repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

namespace {

StatusOr<std::string> AdminToken(const std::string& dir) {
  std::string path = dir + "/admin-token";
  std::ifstream in(path);
  std::string token;
  if (in && std::getline(in, token) && !token.empty()) return token;
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return InternalError("no randomness for the admin token");
  static const char* kHex = "0123456789abcdef";
  for (unsigned char c : raw) {
    token += kHex[c >> 4];
    token += kHex[c & 15];
  }
  std::ofstream out(path, std::ios::trunc);
  out << token << "\n";
  out.close();
  ::chmod(path.c_str(), 0600);
  return token;
}

Status WriteKubeconfig(const std::string& dir, uint16_t port, const std::string& ca_pem,
                       const std::string& token) {
  std::ostringstream k;
  k << "apiVersion: v1\nkind: Config\nclusters:\n- name: ferry\n  cluster:\n"
    << "    server: https://127.0.0.1:" << port << "\n"
    << "    certificate-authority-data: " << Base64Encode(ca_pem) << "\n"
    << "contexts:\n- name: ferry\n  context:\n    cluster: ferry\n    user: ferry-admin\n"
    << "    namespace: default\ncurrent-context: ferry\nusers:\n- name: ferry-admin\n"
    << "  user:\n    token: " << token << "\n";
  std::string path = dir + "/kubeconfig";
  std::ofstream out(path, std::ios::trunc);
  out << k.str();
  out.close();
  ::chmod(path.c_str(), 0600);
  return out ? OkStatus() : InternalError("cannot write " + path);
}

StatusOr<std::unique_ptr<server::HttpServer>> Listen(const std::string& bind, int port, int workers,
                                                     server::HttpHandler* handler,
                                                     const ServingCerts* tls) {
  server::HttpServerOptions o;
  o.bind_address = bind;
  o.port = static_cast<uint16_t>(port);
  o.io_threads = workers;
  if (tls != nullptr) {
    o.tls_cert_file = tls->cert_file;
    o.tls_key_file = tls->key_file;
    o.io_threads = 1;
  }
  ASSIGN_OR_RETURN(auto s, server::HttpServer::Create(o, handler));
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
  std::unique_ptr<server::HttpServer> external;  // guarded by mu
  std::unique_ptr<server::HttpServer> internal;  // guarded by mu
  std::shared_ptr<server::HttpServer> external_wide;  // guarded by mu; null unless exposed
  std::shared_ptr<server::HttpServer> internal_wide;  // guarded by mu; null unless exposed
  bool external_exposed = false;
  bool internal_exposed = false;
};

// /healthz, /livez and /readyz go to the API server (readiness = controller
// sync); everything else to the front handler (API or dashboard).
class HealthFront : public server::HttpHandler {
 public:
  HealthFront(server::HttpHandler* api, server::HttpHandler* front) : api_(api), front_(front) {}
  void Handle(server::HttpRequest& req, server::Responder responder) override {
    bool health = req.path == "/readyz" || req.path == "/healthz" || req.path == "/livez";
    (health ? api_ : front_)->Handle(req, std::move(responder));
  }

 private:
  server::HttpHandler* api_;
  server::HttpHandler* front_;
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

// Starts the gRPC listener whose calls GrpcIngress routes and checks. Null
// when the implicit default port is busy (skipped with a warning).
StatusOr<std::unique_ptr<grpc::GrpcServer>> StartGrpcGateway(const UpFlags& flags,
                                                             const ingress::GrpcIngress* gateway) {
  grpc::GrpcServerOptions opts;
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

int Fail(const Status& s) {
  std::fprintf(stderr, "ferry up: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

int RunUp(const UpFlags& flags) {
  // Everything created from here on (store, WAL, keys, models) is private.
  ::umask(077);
  sigset_t signals = BlockShutdownSignals();
  std::string dir = flags.data_dir.empty() ? DefaultDataDir() : flags.data_dir;
  Status prepared = PrepareDataDir(dir, stderr);
  if (!prepared.ok()) return Fail(prepared);
  auto local_access = LocalAccessFromFlags(flags.allow_local_models, flags.pvc_claims, dir);
  if (!local_access.ok()) return Fail(local_access.status());

  auto certs = EnsureServingCerts(dir, flags.bind);
  if (!certs.ok()) return Fail(certs.status());
  auto token = AdminToken(dir);
  if (!token.ok()) return Fail(token.status());
  auto store = store::ResourceStore::Open(dir + "/store.db");
  if (!store.ok()) return Fail(store.status());
  auto signer = api::CreateRs256Signer(dir + "/serviceaccount.key");
  if (!signer.ok()) return Fail(signer.status());
  api::ApiServerOptions api_opts;
  api_opts.admin_token = *token;
  api_opts.issuer = flags.issuer;
  api::ApiServer api(store->get(), signer->get(), api_opts);
  api.AddAdmission("InferenceService",
                   [access = *local_access](nlohmann::json& obj, bool, std::vector<std::string>*) {
                     return controller::AdmitStorageUri(obj, access);
                   });

  BootstrapOptions boot;
  boot.profile = flags.profile;
  boot.domain = flags.domain;
  boot.issuer = flags.issuer;
  boot.jwks_json = (*signer)->Jwks().dump();
  Status booted = Bootstrap(api.client(), boot);
  if (!booted.ok()) return Fail(booted);

  server::Metrics metrics;
  server::AccessLog access_log(20);
  server::ModelRouterOptions router_opts;
  router_opts.server_version = FERRY_VERSION;
  server::ModelRouter router(router_opts, &metrics, &access_log);
  // The gateways' network peers (ext-authz providers, JWKS endpoints) are
  // called on one multiplexing thread; keys are cached for the process.
  auto peers = std::make_shared<gateway::AsyncHttpClient>();
  gateway::JwksCache::Options jwks_opts;
  if (flags.profile == "kubeflow") {
    jwks_opts.refresh_interval = std::chrono::minutes(1);  // Kubeflow's istiod setting
  }
  auto jwks = std::make_shared<gateway::JwksCache>(gateway::MakeCurlJwksFetcher(peers), jwks_opts);
  gateway::ExtAuthzRegistry ext_authz;
  // Kubeflow's oauth2-proxy + Dex, in-process: the same static users as the
  // dashboard; user JWTs signed by Ferry's issuer.
  // One password gate for both sign-in forms: users file, throttle, and
  // whether a listener reaches beyond this machine.
  std::shared_ptr<web::PasswordSignIn> sign_in;
  if (auto s = web::PasswordSignIn::Open(dir + "/users"); s.ok()) {
    sign_in = std::move(*s);
  } else {
    std::fprintf(stderr, "ferry up: warning: %s (password sign-in is off)\n",
                 s.status().message().c_str());
  }
  const bool bind_exposed = !web::IsLoopbackAddress(flags.bind);
  if (sign_in) sign_in->SetExposed(bind_exposed);
  ingress::Oauth2ProxyOptions oauth2_opts;
  oauth2_opts.users_file = dir + "/users";
  oauth2_opts.issuer = flags.issuer;
  oauth2_opts.sign_in = sign_in;
  auto oauth2 = std::make_shared<ingress::Oauth2Proxy>(oauth2_opts, signer->get());
  ext_authz.RegisterBuiltin("oauth2-proxy", oauth2);
  // One pipeline and one holder of the route and policy snapshots for every
  // listener (HTTP external and cluster-local, gRPC, `authz check`).
  ingress::GatewaySnapshots snapshots;
  ingress::GatewayPipeline pipeline(&snapshots, &ext_authz);
  ingress::ParkedCalls parked(&pipeline, peers);
  ingress::FrontRoutes front_routes(oauth2.get());  // /oauth2/*, the dashboard host
  ingress::IngressHandler external(true, &parked, &router);
  external.SetFrontRoutes(&front_routes);
  ingress::IngressHandler internal(false, &parked, &router);
  ingress::GrpcIngress grpc_gateway(&parked);  // V2 gRPC

  runtime::RuntimeRegistry registry = BuildRuntimeRegistry(DetectEffectiveCpus().cpus);
  controller::ControllerOptions copts;
  copts.data_dir = dir;
  copts.local_access = *local_access;
  copts.external_address =
      flags.external_address.empty() ? PrimaryAddress() : flags.external_address;
  copts.kubeflow_policies = flags.profile == "kubeflow";
  copts.token_issuer = flags.issuer;
  copts.token_jwks = boot.jwks_json;
  copts.logs = &api.isvc_logs();
  copts.jwks_cache = jwks;
  int64_t grace_ms = controller::ParseDurationMs(flags.scale_to_zero_grace);
  if (grace_ms < 0) {
    return Fail(InvalidArgumentError("--scale-to-zero-grace " + flags.scale_to_zero_grace +
                                     ": not a duration; use e.g. 30s, 500ms or 2m"));
  }
  copts.scale_to_zero_grace = std::chrono::milliseconds(grace_ms);
  controller::Controller ctrl(&api.client(), &registry, &metrics, copts);
  api.SetReadiness([&ctrl] { return ctrl.Synced(); });
  router.SetActivator([&ctrl](const server::ModelEntry& entry, server::ModelRouter::Resume r) {
    return ctrl.Activate(entry, std::move(r));
  });
  router.SetErrorSink([&api](const std::string& key, int status, std::string_view body) {
    size_t slash = key.find('/');
    if (slash == std::string::npos) return;
    api.isvc_logs().Append(key.substr(0, slash), key.substr(slash + 1),
                           "predictor: HTTP " + std::to_string(status) + ": " +
                               std::string(body.substr(0, 1000)));
  });
  ctrl.OnRoutes(
      [&](std::shared_ptr<const controller::RouteTable> t) { snapshots.SetRoutes(std::move(t)); });
  ctrl.OnPolicies([&](std::shared_ptr<const gateway::PolicySnapshot> p) {
    snapshots.SetPolicies(std::move(p));
  });

  // Models dashboard: the API listener serves the dashboard too; a session
  // cookie stands in for the admin token.
  // Try it from the dashboard goes through the external gateway with the
  // user's oauth2 session (the admin has none: it signs in with a token).
  auto gateway_cookie = [&oauth2](const std::string& user) {
    return user == "admin" ? std::string() : oauth2->SessionCookieFor(user);
  };
  web::WebOptions web_opts;
  web_opts.data_dir = dir;
  web_opts.admin_token = *token;
  web_opts.gateway_cookie = gateway_cookie;
  web_opts.sign_in = sign_in;
  web::WebHandler dashboard(web_opts, &external, &internal);
  // `ferry authz check` / dashboard: POST /ferry/v1/authz/check.
  // RBAC decides who may use it: the non-resource URL, verb post (the admin may).
  ingress::AuthzCheckHandler authz_check(
      &api, &external, &internal, [&api](server::HttpRequest& r) {
        return api.AuthorizeNonResource(r, ingress::kAuthzCheckPath);
      });
  web::FrontHandler front(&authz_check, &dashboard, *token);
  // The same dashboard on the external gateway (Kubeflow's central dashboard
  // host), behind the oauth2-proxy login, with the kubeflow profile.
  web::WebOptions ext_web_opts;
  ext_web_opts.data_dir = dir;
  ext_web_opts.admin_token = *token;
  ext_web_opts.secure_cookie = false;
  ext_web_opts.session_lookup = [&oauth2](const server::HttpRequest& r, std::string* user) {
    return oauth2->SessionUser(r, user);
  };
  ext_web_opts.login_url = "/oauth2/sign_in";
  ext_web_opts.logout_url = "/oauth2/sign_out?rd=/";
  ext_web_opts.gateway_cookie = gateway_cookie;
  ext_web_opts.sign_in = sign_in;
  web::WebHandler ext_dashboard(ext_web_opts, &external, &internal);
  web::FrontHandler ext_front(&authz_check, &ext_dashboard, *token, /*read_only=*/true);
  if (flags.profile == "kubeflow") front_routes.SetDashboard(&ext_front);
  HealthFront health_front(&api, &front);
  auto api_listener = Listen(flags.bind, flags.api_port, 1, &health_front, &*certs);
  if (!api_listener.ok()) return Fail(api_listener.status());
  auto ext_listener = Listen(flags.bind, flags.http_port, flags.workers, &external, nullptr);
  if (!ext_listener.ok()) return Fail(ext_listener.status());
  auto int_listener = Listen(flags.bind, flags.internal_port, flags.workers, &internal, nullptr);
  if (!int_listener.ok()) return Fail(int_listener.status());
  GatewayListeners gateways;
  uint16_t ext_port = (*ext_listener)->port(), int_port = (*int_listener)->port();
  external.SetListenPort(ext_port);  // destination.port in `ferry authz check`
  internal.SetListenPort(int_port);
  gateways.external = std::move(*ext_listener);
  gateways.internal = std::move(*int_listener);
  ctrl.OnGatewayService([&](const std::string& service, bool exposed) {
    std::lock_guard<std::mutex> lock(gateways.mu);
    bool is_external = service == "istio-ingressgateway";
    auto& current = is_external ? gateways.external : gateways.internal;
    bool& state = is_external ? gateways.external_exposed : gateways.internal_exposed;
    if (state == exposed) return;
    std::string address = exposed ? "0.0.0.0" : flags.bind;
    auto& wide = is_external ? gateways.external_wide : gateways.internal_wide;
    std::shared_ptr<server::HttpServer> retired;
    if (exposed && (flags.bind == "0.0.0.0" || flags.bind == "::")) {
      // --bind is already every interface: nothing to add.
    } else if (exposed) {
      auto next = Listen(address, current->port(), flags.workers,
                         is_external ? &external : &internal, nullptr);
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
    std::fprintf(stderr, "ferry up: %s listener now on %s:%u (Service type %s)\n",
                 service.c_str(), address.c_str(), current->port(),
                 exposed ? "LoadBalancer/NodePort" : "ClusterIP");
    if (!retired) return;
    std::thread([retired] {
      retired->Drain(std::chrono::seconds(10));
      // A request still to be answered (parked on an ext-authz provider, a
      // slow predict) writes through this listener later: keep it, stopped,
      // rather than free it under that request.
      if (retired->in_flight() > 0) new std::shared_ptr<server::HttpServer>(retired);
    }).detach();
  });
  auto grpc_listener = StartGrpcGateway(flags, &grpc_gateway);
  if (!grpc_listener.ok()) return Fail(grpc_listener.status());
  Status kc = WriteKubeconfig(dir, (*api_listener)->port(), certs->ca_pem, *token);
  if (!kc.ok()) return Fail(kc);
  Status started = ctrl.Start();
  if (!started.ok()) return Fail(started);

  std::fprintf(stderr,
               "ferry up: API https://127.0.0.1:%u  external gateway http://%s:%u  "
               "cluster-local gateway http://%s:%u\n"
               "ferry up: export KUBECONFIG=%s/kubeconfig   (profile: %s)\n",
               (*api_listener)->port(), flags.bind.c_str(), ext_port, flags.bind.c_str(),
               int_port, dir.c_str(), flags.profile.c_str());
  if (*grpc_listener) {
    std::fprintf(stderr, "ferry up: V2 gRPC gateway %s:%d (:authority selects the InferenceService)\n",
                 flags.bind.c_str(), (*grpc_listener)->port());
  }
  std::fprintf(stderr, "ferry up: dashboard https://127.0.0.1:%u/  (first start: %s/users)\n",
               (*api_listener)->port(), dir.c_str());
  std::string roots;
  for (const auto& r : local_access->roots) roots += (roots.empty() ? "" : ", ") + r;
  std::fprintf(stderr,
               "ferry up: local models: file:// under %s; pvc://CLAIM/path under %s/CLAIM%s\n",
               roots.empty() ? "no directory (add one with --allow-local-models DIR)"
                             : roots.c_str(),
               local_access->pvc_root.c_str(),
               local_access->claims.empty() ? "" : " or the directory given with --pvc");
  if (sign_in) WarnDefaultPassword(sign_in.get());
  if (flags.profile == "kubeflow") {
    std::fprintf(stderr, "ferry up: Kubeflow dashboard (oauth2-proxy login) http://%s:%u/\n",
                 flags.bind.c_str(), ext_port);
  }
  std::fflush(stderr);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "ferry up: shutting down\n");
  // Requests parked on an ext-authz provider or a JWKS fetch get up to 8 s,
  // then are answered 503, while the listeners drain (they wait for them).
  std::thread unpark([&parked] { parked.Shutdown(std::chrono::seconds(8)); });
  {
    std::lock_guard<std::mutex> lock(gateways.mu);
    for (auto* wide : {&gateways.external_wide, &gateways.internal_wide}) {
      if (*wide) (*wide)->Drain(std::chrono::seconds(10));
    }
    gateways.external->Drain(std::chrono::seconds(10));
    gateways.internal->Drain(std::chrono::seconds(10));
  }
  if (*grpc_listener) (*grpc_listener)->Shutdown(std::chrono::seconds(10));
  unpark.join();
  peers->Shutdown();
  jwks->Shutdown();
  api.Shutdown();
  (*api_listener)->Drain(std::chrono::seconds(2));
  ctrl.Stop();
  return 0;
}

}  // namespace ferry::main
