#include "controller/gateway_service_reconciler.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace ferry::controller {

using nlohmann::json;

std::string LoadBalancerIp(const json& svc) {
  if (!svc.contains("status") || !svc["status"].contains("loadBalancer")) return "";
  const json& lb = svc["status"]["loadBalancer"];
  if (!lb.contains("ingress") || !lb["ingress"].is_array() || lb["ingress"].empty()) return "";
  return lb["ingress"][0].value("ip", "");
}

ReconcileResult GatewayServiceReconciler::Reconcile(const WorkKey& key) {
  auto svc = ctx_.client->Get("v1", "Service", "istio-system", key.name);
  if (!svc.ok()) return {};
  std::string type = (*svc)["spec"].value("type", "ClusterIP");
  bool exposed = type == "LoadBalancer" || type == "NodePort";
  if (listener_) listener_(key.name, exposed);
  std::string want_ip = exposed && type == "LoadBalancer" ? ctx_.options->external_address : "";
  if (LoadBalancerIp(*svc) == want_ip) return {};
  json updated = *svc;
  updated["status"]["loadBalancer"] =
      want_ip.empty() ? json::object() : json{{"ingress", json::array({{{"ip", want_ip}}})}};
  auto res = ctx_.WriteStatus(updated);
  if (!res.ok()) {
    std::fprintf(stderr, "ferry: service %s status: %s\n", key.name.c_str(),
                 res.status().message().c_str());
  }
  // A waiting default-domain Job may now have its IP.
  auto jobs = ctx_.client->List("batch/v1", "Job", "");
  if (jobs.ok()) {
    for (const auto& j : (*jobs)["items"]) {
      ctx_.queue->Add(
          WorkKey::Job(j["metadata"].value("namespace", ""), j["metadata"].value("name", "")));
    }
  }
  return {};
}

}  // namespace ferry::controller
