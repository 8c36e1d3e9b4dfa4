// serving.kserve.io: InferenceService (v1beta1), ServingRuntime,
// ClusterServingRuntime and ClusterStorageContainer (v1alpha1).
#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr const char* kContainerFields =
    R"("name":"*","image":"*","args":"*","command":"*","env":"*","envFrom":"*","resources":"*",
    "ports":"*","livenessProbe":"*","readinessProbe":"*","startupProbe":"*","volumeMounts":"*",
    "securityContext":"*","imagePullPolicy":"*","workingDir":"*","lifecycle":"*","stdin":"*",
    "tty":"*","terminationMessagePath":"*","terminationMessagePolicy":"*","volumeDevices":"*",
    "resizePolicy":"*","restartPolicy":"*","stdinOnce":"*")";

constexpr const char* kPodFields =
    R"("containers":"*","initContainers":"*","serviceAccountName":"*","serviceAccount":"*",
    "volumes":"*","nodeSelector":"*","tolerations":"*","imagePullSecrets":"*","affinity":"*",
    "securityContext":"*","schedulerName":"*","priorityClassName":"*","hostNetwork":"*",
    "dnsPolicy":"*","dnsConfig":"*","runtimeClassName":"*","terminationGracePeriodSeconds":"*",
    "automountServiceAccountToken":"*","nodeName":"*","hostIPC":"*","hostPID":"*",
    "topologySpreadConstraints":"*","enableServiceLinks":"*","hostname":"*","subdomain":"*",
    "priority":"*","restartPolicy":"*","shareProcessNamespace":"*","overhead":"*",
    "preemptionPolicy":"*","readinessGates":"*","hostAliases":"*","ephemeralContainers":"*",
    "activeDeadlineSeconds":"*","setHostnameAsFQDN":"*","os":"*","hostUsers":"*",
    "schedulingGates":"*","resourceClaims":"*")";

constexpr const char* kComponentFields =
    R"("minReplicas":"*","maxReplicas":"*","scaleTarget":"*","scaleMetric":"*",
    "scaleMetricType":"*","autoScaling":"*","containerConcurrency":"*","timeout":"*",
    "canaryTrafficPercent":"*","logger":"*","batcher":"*","labels":"*","annotations":"*",
    "deploymentStrategy":"*","workerSpec":"*")";

constexpr const char* kFrameworks =
    R"("sklearn":"*","xgboost":"*","tensorflow":"*","pytorch":"*","triton":"*","onnx":"*",
    "huggingface":"*","pmml":"*","lightgbm":"*","paddle":"*")";

std::string IsvcSchema() {
  std::string model = std::string(R"({"modelFormat":{"name":"*","version":"*"},"runtime":"*",
    "storageUri":"*","storageUris":"*","runtimeVersion":"*","protocolVersion":"*",
    "storage":"*",)") +
                      kContainerFields + "}";
  std::string predictor = std::string(R"({"model":)") + model + "," + kFrameworks + "," +
                          kPodFields + "," + kComponentFields + "}";
  return std::string(R"({"spec":{"predictor":)") + predictor +
         R"(,"transformer":"*","explainer":"*","canary":"*"},"status":"*"})";
}

// First traffic entry matching `pred`, or null.
const json& Traffic(const json& obj, bool prev) {
  static const json kNull;
  for (const json& t : At(obj, "status.components.predictor.traffic")) {
    if (prev ? StringAt(t, "tag") == "prev" : At(t, "latestRevision") == true) return t;
  }
  return kNull;
}

json IsvcCells(const json& o) {
  json ready = nullptr;
  for (const json& c : At(o, "status.conditions")) {
    if (StringAt(c, "type") == "Ready") ready = StringAt(c, "status");
  }
  const json& prev = Traffic(o, true);
  const json& latest = Traffic(o, false);
  auto field = [](const json& t, const char* f) {
    return t.is_object() ? t.value(f, json()) : json();
  };
  std::string url = StringAt(o, "status.url");
  return json::array({url.empty() ? json() : json(url), ready, field(prev, "percent"),
                      field(latest, "percent"), field(prev, "revisionName"),
                      field(latest, "revisionName")});
}

KindInfo KServe(std::string version, std::string plural, std::string kind) {
  KindInfo k;
  k.group = "serving.kserve.io";
  k.versions = {std::move(version)};
  k.plural = std::move(plural);
  k.kind = std::move(kind);
  k.singular = k.kind;
  for (char& c : k.singular) c = static_cast<char>(std::tolower(c));
  k.status_subresource = true;
  k.schema = R"({"spec":"*","status":"*"})";
  return k;
}

}  // namespace

void AddKServeKinds(std::vector<KindInfo>* kinds) {
  KindInfo isvc = KServe("v1beta1", "inferenceservices", "InferenceService");
  isvc.short_names = {"isvc"};
  isvc.categories = {"all"};
  isvc.columns = {{"URL"},
                  {"Ready"},
                  {"Prev", "integer"},
                  {"Latest", "integer"},
                  {"PrevRolledoutRevision", "string", 1},
                  {"LatestReadyRevision", "string", 1}};
  isvc.cells = IsvcCells;
  isvc.defaults = DefaultInferenceService;
  isvc.validate = ValidateInferenceService;
  isvc.warnings = InferenceServiceWarnings;
  isvc.schema = IsvcSchema();
  kinds->push_back(isvc);

  KindInfo sr = KServe("v1alpha1", "servingruntimes", "ServingRuntime");
  sr.columns = {{"Disabled"}, {"ModelType"}, {"Containers"}};
  sr.cells = [](const json& o) {
    const json& fmts = At(o, "spec.supportedModelFormats");
    const json& ctrs = At(o, "spec.containers");
    auto first = [](const json& a) {
      return a.is_array() && !a.empty() && a[0].is_object() ? a[0].value("name", json()) : json();
    };
    json disabled = At(o, "spec.disabled");
    return json::array(
        {disabled.is_null() ? json() : json(disabled.dump()), first(fmts), first(ctrs)});
  };
  kinds->push_back(sr);

  KindInfo csr = sr;
  csr.plural = "clusterservingruntimes";
  csr.kind = "ClusterServingRuntime";
  csr.singular = "clusterservingruntime";
  csr.namespaced = false;
  kinds->push_back(csr);

  // Stored so KServe manifests apply unchanged (deploy/kserve/); Ferry's own
  // storage initializer is built in, so nothing reads these objects.
  KindInfo csc = KServe("v1alpha1", "clusterstoragecontainers", "ClusterStorageContainer");
  csc.namespaced = false;
  csc.status_subresource = false;
  csc.schema = R"({"spec":"*","disabled":"*"})";  // KServe's type has a top-level `disabled`
  csc.columns = {{"WorkloadType"}};
  csc.cells = [](const json& o) {
    json w = At(o, "spec.workloadType");
    return json::array({w.is_null() ? json() : w});
  };
  kinds->push_back(csc);
}

}  // namespace ferry::api
