#include "controller/controller.h"

#include <cstdio>

#include "api/manifest.h"
#include "controller/controller_impl.h"

namespace ferry::controller {
namespace {

struct WatchedKind {
  const char* api_version;
  const char* kind;
};

constexpr WatchedKind kWatched[] = {
    {"serving.kserve.io/v1beta1", "InferenceService"},
    {"v1", "Secret"},
    {"v1", "ServiceAccount"},
    {"v1", "ConfigMap"},
    {"security.istio.io/v1", "AuthorizationPolicy"},
    {"security.istio.io/v1", "RequestAuthentication"},
    {"kubeflow.org/v1", "Profile"},
    {"v1", "Service"},
    {"batch/v1", "Job"},
};

std::string Meta(const nlohmann::json& obj, const char* key) {
  if (!obj.contains("metadata")) return "";
  return obj["metadata"].value(key, "");
}

}  // namespace

Status Controller::Impl::Start() {
  loaders_ = std::make_unique<server::Executor>(options_.load_threads, 4096);
  Enqueue("domain");
  Enqueue("policies");
  Enqueue("gwsvc/istio-ingressgateway");
  Enqueue("gwsvc/cluster-local-gateway");
  for (const auto& w : kWatched) {
    ASSIGN_OR_RETURN(nlohmann::json list, client_->List(w.api_version, w.kind, ""));
    int64_t rv = std::stoll(list["metadata"].value("resourceVersion", "0"));
    for (const auto& item : list["items"]) {
      if (std::string(w.kind) == "InferenceService") {
        Enqueue("isvc/" + Meta(item, "namespace") + "/" + Meta(item, "name"));
      } else if (std::string(w.kind) == "Profile") {
        Enqueue("profile/" + Meta(item, "name"));
      } else if (std::string(w.kind) == "Job") {
        Enqueue("job/" + Meta(item, "namespace") + "/" + Meta(item, "name"));
      }
    }
    ASSIGN_OR_RETURN(auto queue, client_->Watch(w.api_version, w.kind, "", rv));
    threads_.emplace_back([this, q = std::move(queue), kind = std::string(w.kind)]() mutable {
      WatchLoop(std::move(q), kind);
    });
  }
  threads_.emplace_back([this] { WorkLoop(); });
  return OkStatus();
}

void Controller::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_watches_ = true;
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  loaders_.reset();  // finishes queued loads
  std::map<std::string, std::vector<server::ModelRouter::Resume>> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting.swap(waiters_);
  }
  for (auto& [key, list] : waiting) {
    for (auto& resume : list) resume(nullptr, "ferry up is shutting down");
  }
}

void Controller::Impl::Enqueue(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!queued_.insert(key).second) return;
    queue_.push_back(key);
  }
  cv_.notify_one();
}

void Controller::Impl::EnqueueAfter(const std::string& key, std::chrono::milliseconds delay) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    delayed_.emplace(std::chrono::steady_clock::now() + delay, key);
  }
  cv_.notify_one();
}

void Controller::Impl::WatchLoop(std::unique_ptr<store::EventQueue> queue, std::string kind) {
  store::WatchEvent ev;
  while (!stop_watches_) {
    if (!queue->Next(200, &ev)) continue;
    const nlohmann::json& obj = *ev.object;
    std::string ns = Meta(obj, "namespace"), name = Meta(obj, "name");
    if (kind == "InferenceService") {
      Enqueue("isvc/" + ns + "/" + name);
    } else if (kind == "Secret" || kind == "ServiceAccount") {
      Enqueue("ns/" + ns);  // credentials changed: retry what uses them
    } else if (kind == "Service") {
      if (ns == "istio-system" &&
          (name == "istio-ingressgateway" || name == "cluster-local-gateway")) {
        Enqueue("gwsvc/" + name);
      }
    } else if (kind == "Job") {
      Enqueue("job/" + ns + "/" + name);
    } else if (kind == "Profile") {
      Enqueue("profile/" + name);
    } else if (kind == "ConfigMap") {
      if (ns == "knative-serving" && name == "config-domain") Enqueue("domain");
      if (ns == "istio-system" && name == "istio") Enqueue("policies");
    } else {
      Enqueue("policies");
    }
  }
  queue->Stop();
}

void Controller::Impl::WorkLoop() {
  for (;;) {
    std::string key;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        auto now = std::chrono::steady_clock::now();
        while (!delayed_.empty() && delayed_.begin()->first <= now) {
          if (queued_.insert(delayed_.begin()->second).second) {
            queue_.push_back(delayed_.begin()->second);
          }
          delayed_.erase(delayed_.begin());
        }
        if (stopping_ || !queue_.empty()) break;
        if (delayed_.empty()) {
          cv_.wait(lock);
        } else {
          cv_.wait_until(lock, delayed_.begin()->first);
        }
      }
      if (stopping_) return;
      key = queue_.front();
      queue_.pop_front();
      queued_.erase(key);
    }
    if (key == "domain") {
      ReconcileDomain();
    } else if (key == "policies") {
      ReconcilePolicies();
    } else if (key.rfind("gwsvc/", 0) == 0) {
      ReconcileGatewayService(key.substr(6));
    } else if (key.rfind("job/", 0) == 0) {
      std::string rest = key.substr(4);
      size_t slash = rest.find('/');
      ReconcileJob(rest.substr(0, slash), rest.substr(slash + 1));
    } else if (key.rfind("profile/", 0) == 0) {
      ReconcileProfile(key.substr(8));
    } else if (key.rfind("ns/", 0) == 0) {
      RequeueNamespace(key.substr(3));
    } else if (key == "tick") {
      Tick();
    } else if (key.rfind("wake/", 0) == 0) {
      Wake(key.substr(5));
    } else if (key.rfind("isvc/", 0) == 0) {
      std::string rest = key.substr(5);
      size_t slash = rest.find('/');
      ReconcileIsvc(rest.substr(0, slash), rest.substr(slash + 1));
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) synced_ = true;
  }
}

void Controller::Impl::RequeueNamespace(const std::string& ns) {
  auto list = client_->List("serving.kserve.io/v1beta1", "InferenceService", ns);
  if (!list.ok()) return;
  for (const auto& item : (*list)["items"]) Enqueue("isvc/" + ns + "/" + Meta(item, "name"));
}

void Controller::Impl::ReconcileDomain() {
  // Knative's config-domain: each key is a domain; an empty value is the
  // default, a value `selector: {label: value}` applies to services carrying
  // those labels (the most specific matching selector wins).
  DomainConfig config;
  config.default_domain = options_.default_domain;
  auto cm = client_->Get("v1", "ConfigMap", "knative-serving", "config-domain");
  bool have_default = false;
  if (cm.ok() && cm->contains("data") && (*cm)["data"].is_object()) {
    for (auto& [k, v] : (*cm)["data"].items()) {
      if (k.rfind("_", 0) == 0 || !v.is_string()) continue;  // _example
      std::string text = v.get<std::string>();
      if (text.find("selector") == std::string::npos) {
        if (!have_default) config.default_domain = k;
        have_default = true;
        continue;
      }
      auto parsed = api::ParseOneManifest(text);
      if (!parsed.ok() || !parsed->contains("selector") || !(*parsed)["selector"].is_object()) {
        std::fprintf(stderr, "ferry: config-domain entry %s: unreadable selector, ignored\n",
                     k.c_str());
        continue;
      }
      std::map<std::string, std::string> selector;
      for (auto& [lk, lv] : (*parsed)["selector"].items()) {
        selector[lk] = lv.is_string() ? lv.get<std::string>() : lv.dump();
      }
      config.selectors.emplace_back(k, std::move(selector));
    }
  }
  if (config == domains_) return;
  domains_ = std::move(config);
  std::fprintf(stderr, "ferry: domain for InferenceService URLs: %s%s\n",
               domains_.default_domain.c_str(),
               domains_.selectors.empty() ? "" : " (plus label-selected domains)");
  for (const auto& [key, st] : isvcs_) Enqueue("isvc/" + key);
  PublishRoutes();
}

const std::string& Controller::Impl::DomainFor(const IsvcState& st) const {
  const std::string* best = &domains_.default_domain;
  size_t best_size = 0;
  for (const auto& [domain, selector] : domains_.selectors) {
    bool match = !selector.empty();
    for (const auto& [k, v] : selector) {
      auto it = st.labels.find(k);
      match = match && it != st.labels.end() && it->second == v;
    }
    if (match && selector.size() > best_size) {
      best = &domain;
      best_size = selector.size();
    }
  }
  return *best;
}

void Controller::Impl::ReconcilePolicies() {
  gateway::SnapshotOptions snapshot_options;
  snapshot_options.jwks_cache = options_.jwks_cache;
  gateway::PolicySnapshotBuilder builder(snapshot_options);
  auto cm = client_->Get("v1", "ConfigMap", "istio-system", "istio");
  if (cm.ok() && cm->contains("data") && (*cm)["data"].contains("mesh")) {
    auto mesh = api::ParseOneManifest((*cm)["data"]["mesh"].get<std::string>());
    if (mesh.ok()) {
      Status s = builder.SetMeshConfig(*mesh);
      if (!s.ok()) std::fprintf(stderr, "ferry: mesh config: %s\n", s.message().c_str());
    }
  }
  for (const char* kind : {"AuthorizationPolicy", "RequestAuthentication"}) {
    auto list = client_->List("security.istio.io/v1", kind, "");
    if (!list.ok()) continue;
    for (const auto& item : (*list)["items"]) {
      Status s = builder.Add(item);
      if (!s.ok()) std::fprintf(stderr, "ferry: skipping %s: %s\n", kind, s.message().c_str());
    }
  }
  if (policies_listener_) policies_listener_(builder.Build());
}

void Controller::Impl::PublishRoutes() {
  auto table = std::make_shared<RouteTable>();
  for (const auto& [key, s] : isvcs_) {
    auto route = std::make_shared<ServiceRoute>();
    route->name_space = s.ns;
    route->name = s.name;
    route->labels = {{"serving.kserve.io/inferenceservice", s.name},
                     {"component", "predictor"},
                     {"serving.knative.dev/service", s.name + "-predictor"},
                     {"serving.knative.dev/configuration", s.name + "-predictor"}};
    if (s.latest_ready) {
      route->labels["serving.knative.dev/revision"] = s.latest_ready->name;
      route->labels["app"] = s.latest_ready->name;
      if (s.previous && s.canary_percent >= 0 && s.canary_percent < 100) {
        route->revisions.push_back({s.previous->name, s.previous->catalog, 100 - s.canary_percent});
        route->revisions.push_back({s.latest_ready->name, s.latest_ready->catalog, s.canary_percent});
      } else {
        route->revisions.push_back({s.latest_ready->name, s.latest_ready->catalog, 100});
      }
    } else {
      route->not_ready_reason = s.loading ? "its model is still loading"
                                          : (s.fail_message.empty() ? "it is not ready"
                                                                    : s.fail_message);
    }
    std::shared_ptr<const ServiceRoute> shared = route;
    const std::string& domain = DomainFor(s);
    table->AddExternalHost(ExternalHost(s.name, s.ns, domain), shared);
    table->AddExternalHost(ExternalHost(s.name + "-predictor", s.ns, domain), shared);
    for (auto& h : InternalHosts(s.name, s.ns)) table->AddInternalHost(h, shared);
  }
  if (routes_listener_) routes_listener_(table);
}

Controller::Controller(api::ResourceClient* client, const runtime::RuntimeRegistry* registry,
                       server::Metrics* metrics, ControllerOptions options)
    : impl_(std::make_unique<Impl>(client, registry, metrics, std::move(options))) {}

Controller::~Controller() { Stop(); }

void Controller::OnRoutes(RoutesListener listener) { impl_->routes_listener_ = std::move(listener); }
void Controller::OnGatewayService(GatewayListener listener) {
  impl_->gateway_listener_ = std::move(listener);
}
void Controller::OnPolicies(PoliciesListener listener) {
  impl_->policies_listener_ = std::move(listener);
}
Status Controller::Start() { return impl_->Start(); }
void Controller::Stop() { impl_->Stop(); }
bool Controller::Synced() const { return impl_->synced_.load(); }
bool Controller::Activate(const server::ModelEntry& entry, server::ModelRouter::Resume resume) {
  return impl_->Activate(entry, std::move(resume));
}

}  // namespace ferry::controller
