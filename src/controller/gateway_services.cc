// The seed's step 0 on Ferry: the gateway Services and Knative's
// default-domain Job.
//
// istio-system/istio-ingressgateway and cluster-local-gateway: their
// spec.type decides where the matching listener binds (ClusterIP: loopback
// only, like a cluster-internal Service; LoadBalancer/NodePort: all
// interfaces) and, when exposed, status.loadBalancer.ingress[0].ip carries the
// external address, so `kubectl get svc -n istio-system` shows EXTERNAL-IP.
//
// batch/v1 Jobs: Ferry runs no containers. The one Job it recognises is
// Knative's `default-domain` (image path ending in
// knative.dev/serving/cmd/default-domain): it runs that logic natively — wait
// for the ingress Service's load-balancer IP, set config-domain to
// `<ip>.<magic-dns>` — and marks the Job Complete, or Failed at its deadline.
// Any other Job is stored and reported as not runnable.
#include <cstdio>

#include "controller/controller_impl.h"
#include "controller/isvc_status.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

constexpr std::string_view kDefaultDomainImage = "knative.dev/serving/cmd/default-domain";

std::string LoadBalancerIp(const json& svc) {
  if (!svc.contains("status") || !svc["status"].contains("loadBalancer")) return "";
  const json& lb = svc["status"]["loadBalancer"];
  if (!lb.contains("ingress") || !lb["ingress"].is_array() || lb["ingress"].empty()) return "";
  return lb["ingress"][0].value("ip", "");
}

// The -magic-dns=X argument of the default-domain container ("" if not that Job).
bool IsDefaultDomainJob(const json& job, std::string* magic_dns) {
  const json* containers = nullptr;
  if (job.contains("spec") && job["spec"].contains("template") &&
      job["spec"]["template"].contains("spec") &&
      job["spec"]["template"]["spec"].contains("containers")) {
    containers = &job["spec"]["template"]["spec"]["containers"];
  }
  if (containers == nullptr || !containers->is_array()) return false;
  for (const auto& c : *containers) {
    std::string image = c.value("image", "");
    std::string base = image.substr(0, image.find_first_of("@:", image.rfind('/')));
    if (base.size() < kDefaultDomainImage.size() ||
        base.compare(base.size() - kDefaultDomainImage.size(), kDefaultDomainImage.size(),
                     kDefaultDomainImage) != 0) {
      continue;
    }
    *magic_dns = "sslip.io";
    if (c.contains("args") && c["args"].is_array()) {
      for (const auto& a : c["args"]) {
        std::string s = a.is_string() ? a.get<std::string>() : "";
        for (const char* flag : {"-magic-dns=", "--magic-dns="}) {
          if (s.rfind(flag, 0) == 0) *magic_dns = s.substr(std::string(flag).size());
        }
      }
    }
    return true;
  }
  return false;
}

json JobStatus(const std::string& type, const std::string& reason, const std::string& message) {
  std::string now = NowRfc3339();
  json st = {{"conditions", json::array({{{"type", type},
                                          {"status", "True"},
                                          {"reason", reason},
                                          {"message", message},
                                          {"lastProbeTime", now},
                                          {"lastTransitionTime", now}}})}};
  if (type == "Complete") {
    st["succeeded"] = 1;
    st["completionTime"] = now;
  } else {
    st["failed"] = 1;
  }
  return st;
}

}  // namespace

void Controller::Impl::ReconcileGatewayService(const std::string& name) {
  auto svc = client_->Get("v1", "Service", "istio-system", name);
  if (!svc.ok()) return;
  std::string type = (*svc)["spec"].value("type", "ClusterIP");
  bool exposed = type == "LoadBalancer" || type == "NodePort";
  if (gateway_listener_) gateway_listener_(name, exposed);
  std::string want_ip = exposed && type == "LoadBalancer" ? options_.external_address : "";
  if (LoadBalancerIp(*svc) == want_ip) return;
  json updated = *svc;
  updated["status"]["loadBalancer"] =
      want_ip.empty() ? json::object() : json{{"ingress", json::array({{{"ip", want_ip}}})}};
  auto res = client_->UpdateStatus(updated);
  if (!res.ok()) {
    std::fprintf(stderr, "ferry: service %s status: %s\n", name.c_str(),
                 res.status().message().c_str());
  }
  // A waiting default-domain Job may now have its IP.
  auto jobs = client_->List("batch/v1", "Job", "");
  if (jobs.ok()) {
    for (const auto& j : (*jobs)["items"]) {
      Enqueue("job/" + j["metadata"].value("namespace", "") + "/" + j["metadata"].value("name", ""));
    }
  }
}

void Controller::Impl::ReconcileJob(const std::string& ns, const std::string& name) {
  auto job = client_->Get("batch/v1", "Job", ns, name);
  if (!job.ok()) return;
  if (job->contains("status") && (*job)["status"].contains("conditions") &&
      !(*job)["status"]["conditions"].empty()) {
    return;  // finished
  }
  json updated = *job;
  std::string magic;
  if (!IsDefaultDomainJob(*job, &magic)) {
    updated["status"] = JobStatus("Failed", "NotRunnable",
                                  "Ferry runs no containers; it runs only Knative's default-domain "
                                  "Job natively. The Job is stored as given.");
    (void)client_->UpdateStatus(updated);
    return;
  }
  auto svc = client_->Get("v1", "Service", "istio-system", "istio-ingressgateway");
  std::string ip = svc.ok() ? LoadBalancerIp(*svc) : "";
  if (ip.empty()) {
    int64_t deadline = (*job)["spec"].value("activeDeadlineSeconds", int64_t{600});
    auto& started = job_started_[ns + "/" + name];
    if (started == std::chrono::steady_clock::time_point()) started = std::chrono::steady_clock::now();
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(deadline)) {
      updated["status"] = JobStatus(
          "Failed", "DeadlineExceeded",
          "istio-ingressgateway has no load-balancer IP; run `kubectl patch svc "
          "istio-ingressgateway -n istio-system -p '{\"spec\": {\"type\": \"LoadBalancer\"}}'` "
          "and apply the Job again");
      (void)client_->UpdateStatus(updated);
      return;
    }
    EnqueueAfter("job/" + ns + "/" + name, std::chrono::milliseconds(500));
    return;
  }
  std::string domain = ip + "." + magic;
  auto cm = client_->Get("v1", "ConfigMap", "knative-serving", "config-domain");
  json cfg = cm.ok() ? *cm
                     : json{{"apiVersion", "v1"},
                            {"kind", "ConfigMap"},
                            {"metadata", {{"name", "config-domain"}, {"namespace", "knative-serving"}}}};
  cfg["data"] = {{domain, ""}};
  auto res = cm.ok() ? client_->Update(cfg) : client_->Create(cfg);
  if (!res.ok()) {
    EnqueueAfter("job/" + ns + "/" + name, std::chrono::milliseconds(500));
    return;
  }
  updated["status"] = JobStatus("Complete", "DomainConfigured",
                                "config-domain set to " + domain + " (magic DNS)");
  (void)client_->UpdateStatus(updated);
  std::fprintf(stderr, "ferry: default-domain Job %s/%s: config-domain = %s\n", ns.c_str(),
               name.c_str(), domain.c_str());
}

}  // namespace ferry::controller
