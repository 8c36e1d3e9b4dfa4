#include "main/bootstrap.h"

#include <nlohmann/json.hpp>

#include "api/discovery.h"
#include "api/encoding.h"
#include "api/manifest.h"
#include "controller/pod_view.h"
#include "gateway/kubeflow_defaults.h"
#include "kubeflow/profile_objects.h"
#include "main/node_object.h"

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
// (where Kubernetes has pods/log) and the last hour of its traffic as `series`
// (the dashboard's charts): readable by whoever may view the model, the way a
// CRD installer aggregates its roles into view/edit/admin and Kubeflow's
// kubeflow-view. One role per subresource, so a data directory made before
// `series` existed gets it too (each is created only when missing).
json IsvcSubresourceReader(const std::string& role, const std::string& resource) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata",
           {{"name", role},
            {"labels",
             {{"rbac.authorization.k8s.io/aggregate-to-admin", "true"},
              {"rbac.authorization.k8s.io/aggregate-to-edit", "true"},
              {"rbac.authorization.k8s.io/aggregate-to-view", "true"},
              {"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-view", "true"}}}}},
          {"rules", json::array({{{"apiGroups", {"serving.kserve.io"}},
                                  {"resources", {resource}},
                                  {"verbs", {"get"}}}})}};
}

// metrics-server's reader role (its manifest's system:aggregated-metrics-reader): `kubectl top`
// for whoever is admin, editor or viewer, as on a cluster with metrics-server installed.
json MetricsReader() {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata",
           {{"name", "system:aggregated-metrics-reader"},
            {"labels",
             {{"rbac.authorization.k8s.io/aggregate-to-admin", "true"},
              {"rbac.authorization.k8s.io/aggregate-to-edit", "true"},
              {"rbac.authorization.k8s.io/aggregate-to-view", "true"}}}}},
          {"rules", json::array({{{"apiGroups", {"metrics.k8s.io"}},
                                  {"resources", {"pods", "nodes"}},
                                  {"verbs", {"get", "list", "watch"}}}})}};
}

// The machine's Node, as of this start (its labels and status are Ferry's).
Status WriteNode(api::ResourceClient& client, const std::string& address) {
  json node = NodeObject(address, api::VersionInfo()["gitVersion"].get<std::string>());
  auto current = client.Get("v1", "Node", "", controller::kNodeName);
  if (!current.ok()) current = client.Create(node);  // status is a subresource: set below
  if (!current.ok()) return current.status();
  json next = *current;
  next["metadata"]["labels"] = node["metadata"]["labels"];
  if (next != *current) {
    ASSIGN_OR_RETURN(next, client.Update(next));
  }
  next["status"] = node["status"];
  RETURN_IF_ERROR(client.UpdateStatus(next).status());
  // The kubelet's heartbeat Lease, renewed here at each start.
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", controller::kNodeName}, {"namespace", "kube-node-lease"}}},
                {"spec",
                 {{"holderIdentity", controller::kNodeName},
                  {"leaseDurationSeconds", 40},
                  {"renewTime", api::Rfc3339Micro(std::chrono::system_clock::now())}}}};
  auto held =
      client.Get("coordination.k8s.io/v1", "Lease", "kube-node-lease", controller::kNodeName);
  if (!held.ok()) return client.Create(lease).status();
  json renewed = *held;
  renewed["spec"] = lease["spec"];
  return client.Update(renewed).status();
}

}  // namespace

Status Bootstrap(api::ResourceClient& client, const BootstrapOptions& o) {
  for (const char* ns : {"default", "kube-system", "kube-node-lease"}) {  // Kubernetes' own
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
  RETURN_IF_ERROR(WriteNode(client, o.node_address));
  RETURN_IF_ERROR(CreateIfMissing(client, MetricsReader()));
  RETURN_IF_ERROR(CreateIfMissing(
      client, IsvcSubresourceReader("ferry-inferenceservice-logs", "inferenceservices/log")));
  RETURN_IF_ERROR(CreateIfMissing(
      client, IsvcSubresourceReader("ferry-inferenceservice-series", "inferenceservices/series")));
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
