#include "api/isvc_fields.h"

#include <map>

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr FieldUse kStructure = FieldUse::kStructure;
constexpr FieldUse kHonoured = FieldUse::kHonoured;
constexpr FieldUse kRefused = FieldUse::kRefused;
constexpr FieldUse kNoEffect = FieldUse::kNoEffect;

constexpr const char* kFrameworks[] = {"sklearn",  "xgboost", "tensorflow",  "pytorch",
                                       "triton",   "onnx",    "huggingface", "pmml",
                                       "lightgbm", "paddle"};

constexpr char kNoContainer[] = "Ferry serves the model in its own process and starts no container";
constexpr char kNoPod[] = "Ferry runs on one machine and creates no pod";
constexpr char kOneCopy[] =
    "Ferry serves one copy of each revision on one machine (minReplicas: 0 scales to zero)";

bool MoreThanOne(const json& v) { return !v.is_number() || v.get<double>() > 1; }

void Add(std::vector<FieldRule>* t, std::string path, FieldUse use, std::string why = "",
         bool (*applies)(const json&) = nullptr) {
  t->push_back({std::move(path), use, std::move(why), applies});
}

// The container a predictor's model (or legacy framework field) describes.
void AddModelContainer(std::vector<FieldRule>* t, const std::string& p) {
  Add(t, p, kStructure);
  Add(t, p + ".storageUri", kHonoured);
  Add(t, p + ".protocolVersion", kHonoured);
  Add(t, p + ".runtimeVersion", kNoEffect,
      "the version of a KServe runtime image; Ferry's built-in runtime reads the model's own "
      "files");
  Add(t, p + ".storage", kRefused,
      "a storage-config secret key and path is not supported: give the full location in "
      "storageUri (credentials come from the service account's secret)");
  for (const char* f : {"image", "command"}) {
    Add(t, p + "." + f, kRefused,
        std::string(kNoContainer) +
            ": a custom image or command would run a server Ferry cannot run; remove it to serve "
            "the model with Ferry's runtime");
  }
  Add(t, p + ".args", kNoEffect,
      std::string(kNoContainer) + ": the runtime server's flags are not used");
  for (const char* f : {"env", "envFrom"}) {
    Add(t, p + "." + f, kNoEffect,
        std::string(kNoContainer) +
            ", so no environment is set (storage credentials come from the service account's "
            "secret)");
  }
  Add(t, p + ".resources", kNoEffect,
      std::string(kNoContainer) +
          ": no CPU or memory requests or limits apply; predicts use "
          "the machine's cores");
  for (const char* f : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    Add(t, p + "." + f, kNoEffect,
        std::string(kNoContainer) + ": readiness is the model being loaded");
  }
  for (const char* f :
       {"name", "ports", "lifecycle", "securityContext", "volumeMounts", "volumeDevices",
        "workingDir", "imagePullPolicy", "stdin", "stdinOnce", "tty", "terminationMessagePath",
        "terminationMessagePolicy", "resizePolicy", "restartPolicy"}) {
    Add(t, p + "." + f, kNoEffect, kNoContainer);
  }
}

void AddPodFields(std::vector<FieldRule>* t, const std::string& p) {
  for (const char* f : {"nodeSelector",
                        "tolerations",
                        "affinity",
                        "topologySpreadConstraints",
                        "nodeName",
                        "schedulerName",
                        "schedulingGates",
                        "priority",
                        "priorityClassName",
                        "preemptionPolicy",
                        "runtimeClassName",
                        "overhead",
                        "os",
                        "hostname",
                        "subdomain",
                        "setHostnameAsFQDN",
                        "dnsPolicy",
                        "dnsConfig",
                        "hostAliases",
                        "enableServiceLinks",
                        "imagePullSecrets",
                        "securityContext",
                        "terminationGracePeriodSeconds",
                        "activeDeadlineSeconds",
                        "restartPolicy",
                        "readinessGates",
                        "resourceClaims",
                        "hostNetwork",
                        "hostIPC",
                        "hostPID",
                        "hostUsers",
                        "shareProcessNamespace",
                        "automountServiceAccountToken",
                        "volumes"}) {
    Add(t, p + "." + f, kNoEffect, kNoPod);
  }
  for (const char* f : {"containers", "initContainers"}) {
    Add(t, p + "." + f, kRefused,
        std::string(kNoPod) +
            " and runs no container: a custom container would run code Ferry cannot run. Use "
            "spec.predictor.model (modelFormat and storageUri) instead");
  }
}

std::vector<FieldRule> BuildRules() {
  std::vector<FieldRule> t;
  Add(&t, "spec", kStructure);
  Add(&t, "spec.transformer", kRefused,
      "transformers (pre/post-processing containers) are not supported: Ferry runs no "
      "containers, and serving without the transformer would change every answer. Do the "
      "processing in the client or in the model (e.g. a scikit-learn Pipeline), and remove "
      "spec.transformer");
  Add(&t, "spec.explainer", kRefused,
      "explainer containers are not supported; Ferry explains tree and linear models natively "
      "through the predictor's :explain verb and the V2 output `contributions` "
      "(docs/explanations.md). Remove spec.explainer");

  const std::string pred = "spec.predictor";
  Add(&t, pred, kStructure);
  AddModelContainer(&t, pred + ".model");
  Add(&t, pred + ".model.modelFormat", kStructure);
  Add(&t, pred + ".model.modelFormat.name", kHonoured);
  Add(&t, pred + ".model.modelFormat.version", kNoEffect,
      "selects among KServe runtimes; Ferry's runtime reads the format version from the "
      "model's own files");
  Add(&t, pred + ".model.runtime", kHonoured);
  // Newer than the pinned CRDs (KServe after v0.15); refused rather than
  // dropped, since the model would be missing.
  Add(&t, pred + ".model.storageUris", kRefused,
      "several model locations are not supported: give one storageUri");
  for (const char* fw : kFrameworks) AddModelContainer(&t, pred + "." + fw);

  Add(&t, pred + ".serviceAccountName", kHonoured);
  Add(&t, pred + ".serviceAccount", kHonoured);
  Add(&t, pred + ".canaryTrafficPercent", kHonoured);
  Add(&t, pred + ".timeout", kHonoured);
  Add(&t, pred + ".batcher", kHonoured);
  Add(&t, pred + ".containerConcurrency", kHonoured);
  Add(&t, pred + ".minReplicas", kNoEffect, kOneCopy, MoreThanOne);
  Add(&t, pred + ".maxReplicas", kNoEffect, kOneCopy, MoreThanOne);
  for (const char* f : {"scaleTarget", "scaleMetric", "scaleMetricType", "autoScaling"}) {
    Add(&t, pred + "." + f, kNoEffect,
        std::string(kOneCopy) + ", so there is nothing to autoscale");
  }
  Add(&t, pred + ".deploymentStrategy", kNoEffect,
      "Ferry creates no Deployment: a new revision loads beside the old one, which serves "
      "until the new one is ready");
  Add(&t, pred + ".resources", kNoEffect,
      std::string(kNoContainer) + ": no CPU or memory requests or limits apply");
  for (const char* f : {"labels", "annotations"}) {
    Add(&t, pred + "." + f, kNoEffect,
        std::string(kNoPod) +
            " or Knative service to put them on (Ferry reads the "
            "InferenceService's own metadata.labels and annotations)");
  }
  Add(&t, pred + ".logger", kRefused,
      "payload logging is not implemented in Ferry yet, and requests would go unlogged; remove "
      "spec.predictor.logger");
  Add(&t, pred + ".workerSpec", kRefused,
      "multi-node serving (worker pods, tensor or pipeline parallelism) cannot run on one "
      "machine; remove spec.predictor.workerSpec");
  AddPodFields(&t, pred);
  return t;
}

const std::map<std::string, const FieldRule*, std::less<>>& RuleIndex() {
  static const auto* index = [] {
    auto* m = new std::map<std::string, const FieldRule*, std::less<>>();
    for (const FieldRule& r : InferenceServiceFieldRules()) (*m)[r.path] = &r;
    return m;
  }();
  return *index;
}

// The rule that decides `path` itself: its own, or an ancestor's covering
// rule (a structure rule covers nothing below it).
const FieldRule* Deciding(std::string_view path) {
  const FieldRule* r = NearestFieldRule(path);
  if (r == nullptr || (r->use == kStructure && r->path != path)) return nullptr;
  return r;
}

void Walk(const json& node, const std::string& path, IsvcFieldReport* out) {
  if (node.is_array()) {
    for (const json& item : node) Walk(item, path, out);
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [key, value] : node.items()) {
    std::string child = path + "." + key;
    const FieldRule* r = Deciding(child);
    if (r == nullptr) continue;  // not KServe's: strict field validation says so
    if (r->use == kRefused) {
      out->refused.push_back({child, r});
    } else if (r->use == kNoEffect) {
      if (r->applies == nullptr || r->applies(value)) out->no_effect.push_back({child, r});
    } else if (r->use == kStructure) {
      Walk(value, child, out);
    }
  }
}

}  // namespace

const std::vector<FieldRule>& InferenceServiceFieldRules() {
  static const auto* rules = new std::vector<FieldRule>(BuildRules());
  return *rules;
}

const FieldRule* NearestFieldRule(std::string_view path) {
  const auto& index = RuleIndex();
  while (true) {
    auto it = index.find(path);
    if (it != index.end()) return it->second;
    size_t dot = path.rfind('.');
    if (dot == std::string_view::npos) return nullptr;
    path = path.substr(0, dot);
  }
}

IsvcFieldReport ClassifyInferenceServiceFields(const json& isvc) {
  IsvcFieldReport report;
  auto spec = isvc.find("spec");
  if (isvc.is_object() && spec != isvc.end()) Walk(*spec, "spec", &report);
  return report;
}

std::vector<std::string> NoEffectMessages(const IsvcFieldReport& report) {
  std::vector<std::string> out;
  for (const FieldFinding& f : report.no_effect) {
    out.push_back(f.path + ": has no effect in Ferry: " + f.rule->why);
  }
  return out;
}

std::string FirstRefusal(const IsvcFieldReport& report) {
  if (report.refused.empty()) return "";
  return report.refused[0].path + ": " + report.refused[0].rule->why;
}

}  // namespace ferry::api
