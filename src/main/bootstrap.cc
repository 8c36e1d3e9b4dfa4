#include "main/bootstrap.h"

#include <nlohmann/json.hpp>

#include "api/manifest.h"
#include "gateway/kubeflow_defaults.h"
#include "kubeflow/profile_objects.h"

namespace ferry::main {
namespace {

using nlohmann::json;

Status CreateIfMissing(api::ResourceClient& client, const json& obj) {
  auto res = client.Create(obj);
  if (res.ok() || res.status().code() == StatusCode::kAlreadyExists) return OkStatus();
  return res.status().WithContext("creating " + obj.value("kind", "") + " " +
                                  obj["metadata"].value("name", ""));
}

// As `kubectl apply` leaves an object: the applied configuration (without
// this annotation, keys sorted, one line) in kubectl.kubernetes.io/last-applied-configuration.
json Applied(json obj) {
  // kubectl keeps an (empty) annotations map in what it records.
  json& annotations = obj["metadata"]["annotations"];
  if (!annotations.is_object()) annotations = json::object();
  annotations.erase("kubectl.kubernetes.io/last-applied-configuration");
  std::string applied = obj.dump() + "\n";
  json& meta = obj["metadata"];
  meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = applied;
  return obj;
}

Status ApplyIfMissing(api::ResourceClient& client, const json& obj) {
  return CreateIfMissing(client, Applied(obj));
}

// Kubeflow's ClusterRoles, from the manifests embedded at build time.
Status InstallPinnedManifests(api::ResourceClient& client) {
  for (const kubeflow::PinnedManifest* m = kubeflow::kPinnedManifests; m->path; ++m) {
    auto objects = api::ParseManifests(m->text);
    if (!objects.ok()) return objects.status().WithContext(std::string("reading ") + m->path);
    for (const json& obj : *objects) RETURN_IF_ERROR(ApplyIfMissing(client, obj));
  }
  return OkStatus();
}

json Namespace(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

json GatewayService(const std::string& name, const std::string& app) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", name}, {"namespace", "istio-system"}, {"labels", {{"app", app}, {"istio", app == "istio-ingressgateway" ? "ingressgateway" : app}}}}},
          {"spec",
           {{"type", "ClusterIP"},
            {"selector", {{"app", app}, {"istio", app == "istio-ingressgateway" ? "ingressgateway" : app}}},
            {"ports", json::array({{{"name", "http2"}, {"port", 80}, {"targetPort", 8080}, {"protocol", "TCP"}}})}}}};
}

json FerryRuntime() {
  json formats = json::array();
  int priority = 1;
  for (const char* f : {"mlflow", "sklearn", "xgboost"}) {
    formats.push_back({{"name", f}, {"version", "1"}, {"autoSelect", true}, {"priority", priority}});
  }
  return {{"apiVersion", "serving.kserve.io/v1alpha1"},
          {"kind", "ClusterServingRuntime"},
          {"metadata",
           {{"name", "ferry"}, {"annotations", {{"serving.kserve.io/server-type", "ferry"}}}}},
          {"spec",
           {{"supportedModelFormats", formats},
            {"protocolVersions", json::array({"v1", "v2"})},
            {"containers",
             json::array({{{"name", "kserve-container"},
                           {"image", "ferry:latest"},
                           {"args", json::array({"serve", "--model_name={{.Name}}",
                                                 "--model_dir=/mnt/models", "--http_port=8080"})}}})}}}};
}

// Ferry serves model-server logs as the InferenceService subresource `log`
// (where Kubernetes has pods/log): readable by whoever may view the model,
// the way a CRD installer aggregates its roles into view/edit/admin and
// Kubeflow's kubeflow-view.
json IsvcLogReader() {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata",
           {{"name", "ferry-inferenceservice-logs"},
            {"labels",
             {{"rbac.authorization.k8s.io/aggregate-to-admin", "true"},
              {"rbac.authorization.k8s.io/aggregate-to-edit", "true"},
              {"rbac.authorization.k8s.io/aggregate-to-view", "true"},
              {"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-view", "true"}}}}},
          {"rules", json::array({{{"apiGroups", {"serving.kserve.io"}},
                                  {"resources", {"inferenceservices/log"}},
                                  {"verbs", {"get"}}}})}};
}

}  // namespace

Status Bootstrap(api::ResourceClient& client, const BootstrapOptions& o) {
  for (const char* ns : {"default", "kube-system"}) {  // Kubernetes' own
    RETURN_IF_ERROR(CreateIfMissing(client, Namespace(ns)));
  }
  for (const char* ns : {"istio-system", "knative-serving", "kubeflow"}) {
    RETURN_IF_ERROR(ApplyIfMissing(client, Namespace(ns)));
  }
  RETURN_IF_ERROR(ApplyIfMissing(client, GatewayService("istio-ingressgateway", "istio-ingressgateway")));
  RETURN_IF_ERROR(ApplyIfMissing(client, GatewayService("cluster-local-gateway", "cluster-local-gateway")));
  RETURN_IF_ERROR(InstallPinnedManifests(client));
  json domain_cm = {{"apiVersion", "v1"},
                    {"kind", "ConfigMap"},
                    {"metadata", {{"name", "config-domain"}, {"namespace", "knative-serving"}}},
                    {"data", {{o.domain.empty() ? "example.com" : o.domain, ""}}}};
  auto current = client.Get("v1", "ConfigMap", "knative-serving", "config-domain");
  if (current.ok() && !o.domain.empty()) {
    json updated = *current;  // --domain wins over an edited config-domain
    updated["data"] = {{o.domain, ""}};
    RETURN_IF_ERROR(client.Update(updated).status());
  } else if (!current.ok()) {
    RETURN_IF_ERROR(ApplyIfMissing(client, domain_cm));
  }
  RETURN_IF_ERROR(ApplyIfMissing(client, FerryRuntime()));
  RETURN_IF_ERROR(CreateIfMissing(client, IsvcLogReader()));
  if (o.profile != "kubeflow") return OkStatus();
  gateway::KubeflowOptions kf;
  kf.m2m_issuers = {o.issuer};
  kf.m2m_jwks = o.jwks_json;
  kf.m2m_jwks_uri.clear();
  for (const json& obj : gateway::KubeflowDefaultObjects(kf)) {
    RETURN_IF_ERROR(ApplyIfMissing(client, obj));
  }
  json mesh = gateway::KubeflowMeshConfig(kf);
  json istio_cm = {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", "istio"}, {"namespace", "istio-system"}}},
                   {"data", {{"mesh", mesh.dump(2)}}}};
  return ApplyIfMissing(client, istio_cm);
}

}  // namespace ferry::main
