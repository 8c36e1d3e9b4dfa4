#include "controller/job_reconciler.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "controller/events.h"
#include "controller/gateway_service_reconciler.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

constexpr std::string_view kDefaultDomainImage = "knative.dev/serving/cmd/default-domain";
constexpr std::chrono::milliseconds kWaitForIp{500};

const json* Containers(const json& job) {
  if (job.contains("spec") && job["spec"].contains("template") &&
      job["spec"]["template"].contains("spec") &&
      job["spec"]["template"]["spec"].contains("containers")) {
    const json* c = &job["spec"]["template"]["spec"]["containers"];
    return c->is_array() ? c : nullptr;
  }
  return nullptr;
}

// True for Knative's default-domain Job; `magic_dns` gets its -magic-dns=X argument.
bool IsDefaultDomainJob(const json& job, std::string* magic_dns) {
  const json* containers = Containers(job);
  if (containers == nullptr) return false;
  for (const auto& c : *containers) {
    std::string image = c.value("image", "");
    std::string base = image.substr(0, image.find_first_of("@:", image.rfind('/')));
    if (!std::string_view(base).ends_with(kDefaultDomainImage)) continue;
    *magic_dns = "sslip.io";
    if (c.contains("args") && c["args"].is_array()) {
      for (const auto& a : c["args"]) {
        std::string s = a.is_string() ? a.get<std::string>() : "";
        for (std::string_view flag : {"-magic-dns=", "--magic-dns="}) {
          if (s.starts_with(flag)) *magic_dns = s.substr(flag.size());
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

bool Finished(const json& job) {
  return job.contains("status") && job["status"].contains("conditions") &&
         !job["status"]["conditions"].empty();
}

}  // namespace

ReconcileResult JobReconciler::Reconcile(const WorkKey& key) {
  auto job = ctx_.client->Get("batch/v1", "Job", key.ns, key.name);
  if (!job.ok() || Finished(*job)) return {};
  json updated = *job;
  std::string magic;
  if (!IsDefaultDomainJob(*job, &magic)) {
    updated["status"] = JobStatus("Failed", "NotRunnable",
                                  "Ferry runs no containers; it runs only Knative's default-domain "
                                  "Job natively. The Job is stored as given.");
    (void)ctx_.WriteStatus(updated);
    return {};
  }
  auto svc = ctx_.client->Get("v1", "Service", "istio-system", "istio-ingressgateway");
  std::string ip = svc.ok() ? LoadBalancerIp(*svc) : "";
  if (ip.empty()) {
    int64_t deadline = (*job)["spec"].value("activeDeadlineSeconds", int64_t{600});
    auto now = std::chrono::steady_clock::now();
    auto& started = started_[key.ObjectKey()];
    if (started == std::chrono::steady_clock::time_point()) started = now;
    if (now - started <= std::chrono::seconds(deadline)) return {.requeue_after = kWaitForIp};
    updated["status"] = JobStatus(
        "Failed", "DeadlineExceeded",
        "istio-ingressgateway has no load-balancer IP; run `kubectl patch svc "
        "istio-ingressgateway -n istio-system -p '{\"spec\": {\"type\": \"LoadBalancer\"}}'` "
        "and apply the Job again");
    (void)ctx_.WriteStatus(updated);
    return {};
  }
  std::string domain = ip + "." + magic;
  auto cm = ctx_.client->Get("v1", "ConfigMap", "knative-serving", "config-domain");
  json cfg =
      cm.ok() ? *cm
              : json{{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", "config-domain"}, {"namespace", "knative-serving"}}}};
  cfg["data"] = {{domain, ""}};
  auto res = cm.ok() ? ctx_.client->Update(cfg) : ctx_.client->Create(cfg);
  if (!res.ok()) return {.requeue_after = kWaitForIp};
  updated["status"] =
      JobStatus("Complete", "DomainConfigured", "config-domain set to " + domain + " (magic DNS)");
  (void)ctx_.WriteStatus(updated);
  std::fprintf(stderr, "ferry: default-domain Job %s: config-domain = %s\n",
               key.ObjectKey().c_str(), domain.c_str());
  return {};
}

}  // namespace ferry::controller
