#include "controller/isvc_reconciler.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/isvc_fields.h"
#include "controller/credentials.h"
#include "controller/isvc_status.h"

namespace ferry::controller {
namespace {

constexpr char kIsvcApi[] = "serving.kserve.io/v1beta1";
// How often the status shows a running download's progress.
constexpr std::chrono::milliseconds kProgressInterval{500};
// The longest wait between looks at a load whose progress does not move.
constexpr std::chrono::milliseconds kProgressIdleMax{4000};
// When the object could not be read (other than "not found").
constexpr std::chrono::milliseconds kRereadAfter{1000};

// Formats Ferry runs natively; the MLflow loader picks the flavor.
bool FormatSupported(const runtime::RuntimeRegistry& registry, const std::string& format) {
  return format == "mlflow" || registry.FindByName(format) != nullptr;
}

std::string SupportedFormats(const runtime::RuntimeRegistry& registry) {
  std::string out = "mlflow";
  for (const auto& r : registry.runtimes()) out += ", " + std::string(r->name());
  return out;
}

std::map<std::string, std::string> Labels(const nlohmann::json& isvc) {
  std::map<std::string, std::string> labels;
  const auto& meta = isvc["metadata"];
  if (meta.contains("labels") && meta["labels"].is_object()) {
    for (auto& [k, v] : meta["labels"].items()) {
      if (v.is_string()) labels[k] = v.get<std::string>();
    }
  }
  return labels;
}

}  // namespace

ReconcileResult IsvcReconciler::Reconcile(const WorkKey& key) {
  if (key.kind == WorkKind::kNamespaceCredentials) {
    RequeueNamespace(key.ns);
    return {};
  }
  return ReconcileIsvc(key.ns, key.name);
}

void IsvcReconciler::RequeueNamespace(const std::string& ns) {
  auto list = ctx_.client->List(kIsvcApi, "InferenceService", ns);
  if (!list.ok()) return;
  for (const auto& item : (*list)["items"]) {
    ctx_.queue->Add(WorkKey::Isvc(ns, item["metadata"].value("name", "")));
  }
}

ReconcileResult IsvcReconciler::ReconcileIsvc(const std::string& ns, const std::string& name) {
  auto obj = ctx_.client->Get(kIsvcApi, "InferenceService", ns, name);
  if (!obj.ok()) {
    if (obj.status().code() != StatusCode::kNotFound) return {.requeue_after = kRereadAfter};
    Remove(ns, name);
    return {};
  }
  const nlohmann::json& isvc = *obj;
  int64_t generation = isvc["metadata"].value("generation", 1);
  bool routes_changed = false;
  IsvcState& st = Observe(isvc, &routes_changed);
  // A route of a service that is not ready says why: a new failure changes it.
  std::string failure_before = st.failure ? st.failure->message : "";
  routes_changed |= TakeLoadResult(st);
  routes_changed |= TakePreviousRestart(st);
  st.no_effect = api::NoEffectMessages(api::ClassifyInferenceServiceFields(isvc));
  p_.pods->NoticeDeleted(st);  // a deleted pod restarts its revision
  StartPreviousRestart(st);
  auto spec = ParsePredictorSpec(isvc);
  if (!spec.ok()) {
    Fail(st, "spec/" + std::to_string(generation), "InvalidPredictorSpec", spec.status(),
         RevisionName(name, generation), /*from_load=*/false);
  } else {
    routes_changed |= ApplyServingFields(st, *spec);
    EnsureRevision(st, *spec, generation);
  }
  routes_changed |= (st.failure ? st.failure->message : "") != failure_before;
  if (routes_changed) p_.serving->PublishRoutes(st);
  p_.pods->Write(st);
  p_.knative->Write(st, p_.serving->DomainFor(st));
  return WriteStatus(st, isvc).Merge(NextCheck(st));
}

void IsvcReconciler::Remove(const std::string& ns, const std::string& name) {
  std::string key = ns + "/" + name;
  IsvcState* st = p_.serving->Find(key);
  if (st == nullptr) return;
  std::fprintf(stderr, "ferry: InferenceService %s deleted: routes removed, model unloaded\n",
               key.c_str());
  p_.scaler->Forget(*st, "the InferenceService was deleted");
  p_.serving->Retire(st->latest_ready);
  p_.serving->Retire(st->previous);
  p_.serving->isvcs().erase(key);
  p_.pods->RemoveAll(ns, name);
  p_.knative->RemoveAll(ns, name);
  if (ctx_.options->logs != nullptr) ctx_.options->logs->Forget(ns, name);
  ctx_.own_writes->Forget("InferenceService", ns, name);
  progress_polls_.erase(key);
  p_.serving->PublishRoutes();
}

// The state for `isvc`, new for a new (or re-created) object; labels copied.
IsvcState& IsvcReconciler::Observe(const nlohmann::json& isvc, bool* routes_changed) {
  std::string ns = isvc["metadata"].value("namespace", "");
  std::string name = isvc["metadata"].value("name", "");
  std::string uid = isvc["metadata"].value("uid", "");
  IsvcState& st = p_.serving->isvcs()[ns + "/" + name];
  if (st.uid != uid) {
    if (!st.uid.empty()) {
      p_.scaler->Forget(st, "the InferenceService was re-created");
      p_.serving->Retire(st.latest_ready);
      p_.serving->Retire(st.previous);
      p_.pods->RemoveAll(ns, name);
      p_.knative->RemoveAll(ns, name);
    }
    st = IsvcState();
    st.ns = ns;
    st.name = name;
    st.uid = uid;
    *routes_changed = true;  // its hosts answer from now on (503 with the reason until ready)
  }
  auto labels = Labels(isvc);
  if (labels != st.labels) {
    st.labels = std::move(labels);
    *routes_changed = true;  // a label may select another domain
  }
  return st;
}

// Canary split, scale and timeout: they change no revision. True when routes changed.
bool IsvcReconciler::ApplyServingFields(IsvcState& st, const PredictorSpec& spec) {
  bool routes_changed = st.canary_percent != spec.canary_traffic_percent;
  st.canary_percent = spec.canary_traffic_percent;
  if (!st.canary() && st.previous) {
    p_.events->Log(st, "canary promoted: " + (st.latest_ready ? st.latest_ready->name : "") +
                           " takes 100% of the traffic; " + st.previous->name + " unloaded");
    p_.serving->Retire(st.previous);
    routes_changed = true;
  }
  st.scale.min_replicas = spec.min_replicas;
  st.scale.grace_ms = spec.scale_to_zero_ms;
  st.timeout_seconds = spec.timeout_seconds;
  st.container_concurrency = spec.container_concurrency;
  st.logger = spec.logger;
  if (st.scale.min_replicas == 0) p_.serving->ScheduleTick();
  if (st.scale.min_replicas != 0 && st.scale.scaled_to_zero && !st.scale.unloaded) {
    ctx_.queue->Add(WorkKey::Wake(st.ns, st.name));
  }
  return routes_changed;
}

// Starts a load unless this spec already serves, is loading, or failed with
// these very inputs (and no retry is due).
void IsvcReconciler::EnsureRevision(IsvcState& st, const PredictorSpec& spec, int64_t generation) {
  if (st.latest_ready && st.latest_ready->spec_hash == spec.revision_hash) {
    st.failure.reset();
    bool restart = st.restart_revision == st.latest_ready->name && !st.loading;
    st.restart_revision.clear();
    if (!restart) return;
    // Its pod was deleted: load the serving revision again, as a new pod would.
    generation = st.latest_ready->generation;
  }
  std::string revision = RevisionName(st.name, generation);
  std::string runtime_name;
  Status rt = CheckRuntime(st.ns, spec, &runtime_name);
  auto creds = ResolveCredentials(*ctx_.client, st.ns, spec);
  std::string attempt =
      spec.revision_hash + "|" + (creds.ok() ? creds->fingerprint : creds.status().message());
  if (!rt.ok()) {
    Fail(st, "runtime/" + attempt,
         rt.code() == StatusCode::kNotFound ? "RuntimeNotRecognized" : "NoSupportingRuntime", rt,
         revision, /*from_load=*/false);
    return;
  }
  if (!creds.ok()) {
    Fail(st, attempt, "ModelLoadFailed", creds.status(), revision, /*from_load=*/false);
    return;
  }
  if (st.loading && st.loading->attempt == attempt) return;
  if (st.failure && st.failure->attempt == attempt && !RetryDue(st, attempt)) return;
  st.runtime_name = runtime_name;
  StartLoad(st, spec, attempt, generation, creds->s3, creds->note);
}

Status IsvcReconciler::CheckRuntime(const std::string& ns, const PredictorSpec& spec,
                                    std::string* runtime_name) const {
  if (!FormatSupported(*p_.registry, spec.model_format)) {
    return FailedPreconditionError("no runtime supports model format `" + spec.model_format +
                                   "` (spec.predictor.model.modelFormat.name); Ferry serves: " +
                                   SupportedFormats(*p_.registry));
  }
  *runtime_name = "ferry";
  if (spec.runtime.empty() || spec.runtime == "ferry") return OkStatus();
  // An explicit runtime must exist; Ferry serves it natively (same contract).
  const auto& c = *ctx_.client;
  if (c.Get("serving.kserve.io/v1alpha1", "ServingRuntime", ns, spec.runtime).ok() ||
      c.Get("serving.kserve.io/v1alpha1", "ClusterServingRuntime", "", spec.runtime).ok()) {
    *runtime_name = spec.runtime;
    return OkStatus();
  }
  return NotFoundError("runtime `" + spec.runtime +
                       "` (spec.predictor.model.runtime) is neither a ServingRuntime in `" + ns +
                       "` nor a ClusterServingRuntime; remove the field to let Ferry pick one, or "
                       "use `ferry` (kubectl get clusterservingruntimes)");
}

ReconcileResult IsvcReconciler::WriteStatus(IsvcState& st, const nlohmann::json& isvc) {
  nlohmann::json old = isvc.contains("status") ? isvc["status"] : nlohmann::json::object();
  int64_t generation = isvc["metadata"].value("generation", 1);
  nlohmann::json status = BuildIsvcStatus(st, p_.serving->DomainFor(st), generation, old);
  if (status == old) return {};
  nlohmann::json update = isvc;
  update["status"] = std::move(status);
  auto res = ctx_.WriteStatus(update);
  if (!res.ok() && res.status().code() == StatusCode::kAborted) {
    return {.requeue = true};  // raced a spec write: reconcile again
  }
  return {};
}

std::chrono::milliseconds IsvcReconciler::ProgressPollAfter(const IsvcState& st) {
  ProgressPoll& poll = progress_polls_[st.key()];
  const LoadProgress* progress = st.loading->progress.get();
  uint64_t bytes = progress != nullptr ? progress->bytes_done.load() : 0;
  int phase = progress != nullptr ? progress->phase.load() : 0;
  if (poll.every.count() == 0 || bytes != poll.bytes || phase != poll.phase) {
    poll.every = kProgressInterval;
  } else {
    poll.every = std::min(poll.every * 2, kProgressIdleMax);
  }
  poll.bytes = bytes;
  poll.phase = phase;
  return poll.every;
}

// Level-based follow-ups: progress while loading, the retry when it is due.
ReconcileResult IsvcReconciler::NextCheck(const IsvcState& st) {
  if (st.loading) return {.requeue_after = ProgressPollAfter(st)};
  progress_polls_.erase(st.key());
  if (!st.failure || st.retry.attempt != st.failure->attempt ||
      st.retry.at == std::chrono::steady_clock::time_point{}) {
    return {};
  }
  auto wait =
      std::chrono::ceil<std::chrono::milliseconds>(st.retry.at - std::chrono::steady_clock::now());
  return {.requeue_after = std::max(wait, std::chrono::milliseconds(1))};
}

}  // namespace ferry::controller
