#include "controller/controller.h"

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "controller/domain_reconciler.h"
#include "controller/events.h"
#include "controller/gateway_service_reconciler.h"
#include "controller/isvc_reconciler.h"
#include "controller/job_reconciler.h"
#include "controller/knative_view.h"
#include "controller/model_loader.h"
#include "controller/namespace_reconciler.h"
#include "controller/pod_view.h"
#include "controller/policy_reconciler.h"
#include "controller/profile_reconciler.h"
#include "controller/scale_zero_reconciler.h"
#include "controller/serving_state.h"

namespace ferry::controller {
namespace {

using nlohmann::json;
using KeyList = std::vector<WorkKey>;

std::string Meta(const json& obj, const char* key) {
  if (!obj.contains("metadata")) return "";
  return obj["metadata"].value(key, "");
}

KeyList IsvcKeys(const json& o) { return {WorkKey::Isvc(Meta(o, "namespace"), Meta(o, "name"))}; }
KeyList ProfileKeys(const json& o) { return {WorkKey::Profile(Meta(o, "name"))}; }
KeyList JobKeys(const json& o) { return {WorkKey::Job(Meta(o, "namespace"), Meta(o, "name"))}; }

// An object a Profile controls wakes that Profile (controller-runtime's
// Owns()): its edits are reverted and its deletion undone.
KeyList OwnerProfileKeys(const json& o) {
  KeyList keys;
  if (!o.contains("metadata")) return keys;
  const json refs = o["metadata"].value("ownerReferences", json::array());
  if (!refs.is_array()) return keys;
  for (const json& ref : refs) {
    if (ref.is_object() && ref.value("kind", "") == "Profile" && ref.value("controller", false) &&
        ref.value("apiVersion", "").rfind("kubeflow.org/", 0) == 0) {
      keys.push_back(WorkKey::Profile(ref.value("name", "")));
    }
  }
  return keys;
}

KeyList Concat(KeyList a, const KeyList& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Credentials changed: retry what uses them.
KeyList SecretKeys(const json& o) { return {WorkKey::Credentials(Meta(o, "namespace"))}; }
KeyList ServiceAccountKeys(const json& o) {
  KeyList keys = Concat({WorkKey::Credentials(Meta(o, "namespace"))}, OwnerProfileKeys(o));
  if (Meta(o, "name") == "default") keys.push_back(WorkKey::Namespace(Meta(o, "namespace")));
  return keys;
}
KeyList PolicyKeys(const json& o) { return Concat({WorkKey::Policies()}, OwnerProfileKeys(o)); }
KeyList NamespaceKeys(const json& o) {
  return Concat({WorkKey::Namespace(Meta(o, "name"))}, OwnerProfileKeys(o));
}
// A pod of an InferenceService's revision (deleted by a user: restart it).
KeyList PodKeys(const json& o) {
  const json& labels = o["metadata"].value("labels", json::object());
  std::string isvc = labels.is_object() ? labels.value("serving.kserve.io/inferenceservice", "") : "";
  if (isvc.empty()) return {};
  return {WorkKey::Isvc(Meta(o, "namespace"), isvc)};
}

KeyList GatewayServiceKeys(const json& o) {
  std::string name = Meta(o, "name");
  if (Meta(o, "namespace") != "istio-system" ||
      (name != "istio-ingressgateway" && name != "cluster-local-gateway")) {
    return {};
  }
  return {WorkKey::GatewayService(name)};
}

KeyList ConfigMapKeys(const json& o) {
  std::string ns = Meta(o, "namespace"), name = Meta(o, "name");
  if (ns == "knative-serving" && name == "config-domain") return {WorkKey::Domain()};
  if (ns == "istio-system" && name == "istio") return {WorkKey::Policies()};  // mesh config
  return {};
}

// The registration list: which watched kind wakes which keys. Existing
// objects at start go through the same mapping as later events.
struct WatchedKind {
  const char* api_version;
  const char* kind;
  KeyList (*keys)(const json& object);
};

constexpr WatchedKind kWatched[] = {
    {"serving.kserve.io/v1beta1", "InferenceService", IsvcKeys},
    {"v1", "Secret", SecretKeys},
    {"v1", "ServiceAccount", ServiceAccountKeys},
    {"v1", "Namespace", NamespaceKeys},
    {"rbac.authorization.k8s.io/v1", "RoleBinding", OwnerProfileKeys},
    {"v1", "ResourceQuota", OwnerProfileKeys},
    {"v1", "ConfigMap", ConfigMapKeys},
    {"security.istio.io/v1", "AuthorizationPolicy", PolicyKeys},
    {"security.istio.io/v1", "RequestAuthentication", PolicyKeys},
    {"kubeflow.org/v1", "Profile", ProfileKeys},
    {"v1", "Service", GatewayServiceKeys},
    {"batch/v1", "Job", JobKeys},
    {"v1", "Pod", PodKeys},
};

}  // namespace

class Controller::Impl {
 public:
  Impl(api::ResourceClient* client, const runtime::RuntimeRegistry* registry,
       serving::Metrics* metrics, ControllerOptions options);

  Status Start();
  void Stop();

  ControllerOptions options_;
  WorkQueue queue_;
  OwnWrites own_writes_;
  ReconcilerContext ctx_;
  ServingState serving_;
  EventRecorder events_;
  ModelLoader loader_;
  ScaleToZeroReconciler scaler_;
  PodView pods_;
  KnativeView knative_;
  IsvcReconciler isvcs_;
  ProfileReconciler profiles_;
  NamespaceReconciler namespaces_;
  GatewayServiceReconciler gateway_services_;
  JobReconciler jobs_;
  PolicyReconciler policies_;
  DomainReconciler domains_;
  // Which reconciler takes which kind of key (indexed by WorkKind).
  std::vector<Reconciler*> reconcilers_;
  std::atomic<bool> synced_{false};

 private:
  void WorkLoop();
  void WatchLoop(std::unique_ptr<store::EventQueue> queue, const WatchedKind* watched);
  void Requeue(const WorkKey& key, const ReconcileResult& result);

  std::atomic<bool> stop_watches_{false};
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

Controller::Impl::Impl(api::ResourceClient* client, const runtime::RuntimeRegistry* registry,
                       serving::Metrics* metrics, ControllerOptions options)
    : options_(std::move(options)),
      ctx_{client, &queue_, &own_writes_, &options_},
      serving_(&queue_, metrics, options_.predict_threads, options_.default_domain),
      events_(client, options_.logs),
      loader_(registry, &queue_, options_.logs, options_.load_threads),
      scaler_(ctx_, &serving_, &loader_, &events_),
      pods_(ctx_, &events_),
      knative_(ctx_),
      isvcs_(ctx_, {registry, &serving_, &loader_, &scaler_, &events_, &pods_, &knative_}),
      profiles_(ctx_),
      namespaces_(ctx_),
      gateway_services_(ctx_),
      jobs_(ctx_),
      policies_(ctx_),
      domains_(ctx_, &serving_) {
  auto route = [this](WorkKind kind, Reconciler* r) {
    size_t i = static_cast<size_t>(kind);
    if (reconcilers_.size() <= i) reconcilers_.resize(i + 1, nullptr);
    reconcilers_[i] = r;
  };
  route(WorkKind::kInferenceService, &isvcs_);
  route(WorkKind::kNamespaceCredentials, &isvcs_);
  route(WorkKind::kProfile, &profiles_);
  route(WorkKind::kNamespace, &namespaces_);
  route(WorkKind::kGatewayService, &gateway_services_);
  route(WorkKind::kJob, &jobs_);
  route(WorkKind::kPolicies, &policies_);
  route(WorkKind::kDomain, &domains_);
  route(WorkKind::kScaleTick, &scaler_);
  route(WorkKind::kWake, &scaler_);
}

Status Controller::Impl::Start() {
  pods_.DeleteStale();  // the model servers of an earlier run ended with it
  knative_.DeleteStale();
  queue_.Add(WorkKey::Domain());
  queue_.Add(WorkKey::Policies());
  queue_.Add(WorkKey::GatewayService("istio-ingressgateway"));
  queue_.Add(WorkKey::GatewayService("cluster-local-gateway"));
  for (const WatchedKind& w : kWatched) {
    ASSIGN_OR_RETURN(json list, ctx_.client->List(w.api_version, w.kind, ""));
    int64_t rv = std::stoll(list["metadata"].value("resourceVersion", "0"));
    for (const auto& item : list["items"]) {
      for (const WorkKey& key : w.keys(item)) queue_.Add(key);
    }
    ASSIGN_OR_RETURN(auto events, ctx_.client->Watch(w.api_version, w.kind, "", rv));
    threads_.emplace_back(
        [this, q = std::move(events), w = &w]() mutable { WatchLoop(std::move(q), w); });
  }
  threads_.emplace_back([this] { WorkLoop(); });
  return OkStatus();
}

void Controller::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stop_watches_ = true;
  queue_.Stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  loader_.Shutdown();  // finishes queued loads
  scaler_.Shutdown();  // fails parked requests
}

void Controller::Impl::WatchLoop(std::unique_ptr<store::EventQueue> events,
                                 const WatchedKind* watched) {
  store::WatchEvent ev;
  while (!stop_watches_) {
    if (!events->Next(200, &ev)) continue;
    if (own_writes_.IsOwn(*ev.object)) continue;  // the controller's own status write
    for (const WorkKey& key : watched->keys(*ev.object)) queue_.Add(key);
  }
  events->Stop();
}

void Controller::Impl::WorkLoop() {
  WorkKey key;
  while (queue_.Next(&key)) {
    Reconciler* reconciler = reconcilers_[static_cast<size_t>(key.kind)];
    Requeue(key, reconciler->Reconcile(key));
    if (options_.on_reconciled) options_.on_reconciled(key);
    if (queue_.Idle()) synced_ = true;
  }
}

void Controller::Impl::Requeue(const WorkKey& key, const ReconcileResult& result) {
  if (result.requeue) {
    queue_.Add(key);
  } else if (result.requeue_after.count() > 0) {
    queue_.AddAfter(key, result.requeue_after);
  }
}

Controller::Controller(api::ResourceClient* client, const runtime::RuntimeRegistry* registry,
                       serving::Metrics* metrics, ControllerOptions options)
    : impl_(std::make_unique<Impl>(client, registry, metrics, std::move(options))) {}

Controller::~Controller() { Stop(); }

void Controller::OnRoutes(RoutesListener listener) {
  impl_->serving_.SetRoutesListener(std::move(listener));
}
void Controller::OnPolicies(PoliciesListener listener) {
  impl_->policies_.SetListener(std::move(listener));
}
void Controller::OnGatewayService(GatewayListener listener) {
  impl_->gateway_services_.SetListener(std::move(listener));
}
Status Controller::Start() { return impl_->Start(); }
void Controller::Stop() { impl_->Stop(); }
bool Controller::Synced() const { return impl_->synced_.load(); }
bool Controller::Activate(const serving::ModelEntry& entry, serving::ResumeParked resume) {
  return impl_->scaler_.Activate(entry, std::move(resume));
}

}  // namespace ferry::controller
