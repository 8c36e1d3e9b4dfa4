#include "controller/isvc_status.h"

#include <cstdio>
#include <ctime>

#include "controller/route_table.h"

namespace ferry::controller {

std::string RevisionName(const std::string& isvc, int64_t generation) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%05lld", static_cast<long long>(generation));
  return isvc + "-predictor-" + buf;
}

std::string NowRfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// Keeps lastTransitionTime when the condition's status did not change.
nlohmann::json Condition(const nlohmann::json& old_status, const std::string& type, bool ok,
                         const std::string& reason, const std::string& message) {
  std::string status = ok ? "True" : "False";
  std::string when = NowRfc3339();
  if (old_status.is_object() && old_status.contains("conditions")) {
    for (const auto& c : old_status["conditions"]) {
      if (c.value("type", "") == type && c.value("status", "") == status) {
        when = c.value("lastTransitionTime", when);
      }
    }
  }
  nlohmann::json c = {{"type", type}, {"status", status}, {"lastTransitionTime", when}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

std::string ProgressText(const IsvcState& s) {
  if (!s.progress) return "";
  if (s.progress->phase.load() == 1) return "loading the model into memory";
  uint64_t done = s.progress->bytes_done.load(), total = s.progress->bytes_total.load();
  char buf[96];
  if (total > 0) {
    std::snprintf(buf, sizeof(buf), "downloading: %.1f of %.1f MB (%d%%)", done / 1e6, total / 1e6,
                  static_cast<int>(100.0 * done / total));
  } else {
    std::snprintf(buf, sizeof(buf), "downloading: %.1f MB", done / 1e6);
  }
  return buf;
}

}  // namespace

nlohmann::json BuildIsvcStatus(const IsvcState& s, const std::string& domain, int64_t generation,
                               const nlohmann::json& old_status) {
  nlohmann::json st;
  bool ready = s.latest_ready.has_value();
  bool failed_now = !s.failed_attempt.empty() && !s.loading;
  std::string url = "http://" + ExternalHost(s.name, s.ns, domain);
  st["observedGeneration"] = generation;
  st["url"] = url;
  st["address"] = {{"url", "http://" + s.name + "." + s.ns + ".svc.cluster.local"}};
  std::string reason, message;
  if (!ready) {
    if (s.loading) {
      reason = "Loading";
      message = "revision " + s.loading_revision + ": " + ProgressText(s);
    } else if (failed_now) {
      reason = s.fail_reason;
      message = s.fail_message;
    } else {
      reason = "Pending";
      message = "waiting for the controller";
    }
  } else if (failed_now) {
    // A newer revision failed; the last ready one still serves.
    message = "revision " + s.fail_revision + " failed (" + s.fail_message + "); " +
              s.latest_ready->name + " keeps serving";
  } else if (s.loading) {
    message = "revision " + s.loading_revision + " is loading (" + ProgressText(s) + "); " +
              s.latest_ready->name + " keeps serving";
  }
  nlohmann::json conds = nlohmann::json::array();
  conds.push_back(Condition(old_status, "IngressReady", ready, ready ? "" : reason,
                            ready ? "" : "no ready revision to route to yet"));
  conds.push_back(Condition(old_status, "PredictorReady", ready, ready ? "" : reason, message));
  conds.push_back(Condition(old_status, "Ready", ready, ready ? "" : reason, message));
  if (ready && s.min_replicas == 0) {
    // Knative's revision condition: a scaled-to-zero service stays Ready.
    conds.push_back(Condition(old_status, "Active", !s.scaled_to_zero,
                              s.scaled_to_zero ? "NoTraffic" : "",
                              s.scaled_to_zero ? "scaled to zero (minReplicas: 0) after idling; "
                                                 "the next request loads the model again"
                                               : ""));
  }
  st["conditions"] = conds;

  nlohmann::json pred = {{"latestCreatedRevision", s.latest_created_revision}};
  if (ready) {
    pred["url"] = "http://" + ExternalHost(s.name + "-predictor", s.ns, domain);
    pred["latestReadyRevision"] = s.latest_ready->name;
    nlohmann::json traffic = nlohmann::json::array();
    if (s.previous && s.canary_percent >= 0 && s.canary_percent < 100) {
      traffic.push_back({{"revisionName", s.previous->name}, {"percent", 100 - s.canary_percent},
                         {"latestRevision", false}, {"tag", "prev"}});
      traffic.push_back({{"revisionName", s.latest_ready->name}, {"percent", s.canary_percent},
                         {"latestRevision", true}, {"tag", "latest"}});
      pred["previousRolledoutRevision"] = s.previous->name;
    } else {
      traffic.push_back(
          {{"revisionName", s.latest_ready->name}, {"percent", 100}, {"latestRevision", true}});
    }
    pred["traffic"] = traffic;
    pred["latestRolledoutRevision"] = s.latest_ready->name;
  }
  st["components"] = {{"predictor", pred}};

  std::string active = ready       ? (s.scaled_to_zero ? "Standby" : "Loaded")
                       : s.loading ? "Loading"
                       : failed_now ? "FailedToLoad"
                                    : "Pending";
  std::string target = s.loading ? "Loading" : (failed_now ? "FailedToLoad" : active);
  std::string transition = s.loading ? "InProgress"
                                     : (failed_now ? (s.fail_reason == "InvalidPredictorSpec"
                                                          ? "InvalidSpec"
                                                          : "BlockedByFailedLoad")
                                                   : (ready ? "UpToDate" : "InProgress"));
  nlohmann::json ms = {{"transitionStatus", transition},
                       {"states", {{"activeModelState", active}, {"targetModelState", target}}},
                       {"copies", {{"failedCopies", failed_now ? 1 : 0}, {"totalCopies", 1}}}};
  if (failed_now) {
    ms["lastFailureInfo"] = {{"location", s.fail_revision},
                             {"reason", s.fail_reason},
                             {"message", s.fail_message},
                             {"modelRevisionName", s.fail_revision},
                             {"time", s.fail_time}};
  }
  st["modelStatus"] = ms;
  st["deploymentMode"] = "Serverless";
  st["clusterServingRuntimeName"] = s.runtime_name;
  return st;
}

}  // namespace ferry::controller
