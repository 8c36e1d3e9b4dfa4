#include "controller/isvc_status.h"

#include <cstdio>

#include "controller/events.h"
#include "controller/route_table.h"

namespace ferry::controller {

std::string RevisionName(const std::string& isvc, int64_t generation) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%05lld", static_cast<long long>(generation));
  return isvc + "-predictor-" + buf;
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
  if (!s.loading || !s.loading->progress) return "";
  const LoadProgress& p = *s.loading->progress;
  if (p.phase.load() == 1) return "loading the model into memory";
  uint64_t done = p.bytes_done.load(), total = p.bytes_total.load();
  char buf[96];
  if (total > 0) {
    std::snprintf(buf, sizeof(buf), "downloading: %.1f of %.1f MB (%d%%)", done / 1e6, total / 1e6,
                  static_cast<int>(100.0 * done / total));
  } else {
    std::snprintf(buf, sizeof(buf), "downloading: %.1f MB", done / 1e6);
  }
  return buf;
}

// The failure the status reports: none while a new load runs.
const Failure* ShownFailure(const IsvcState& s) {
  return s.loading || !s.failure ? nullptr : &*s.failure;
}

nlohmann::json Conditions(const IsvcState& s, const nlohmann::json& old_status) {
  bool ready = s.latest_ready.has_value();
  const Failure* failed = ShownFailure(s);
  std::string reason, message;
  if (!ready) {
    if (s.loading) {
      reason = "Loading";
      message = "revision " + s.loading->revision + ": " + ProgressText(s);
    } else if (failed) {
      reason = failed->reason;
      message = failed->message;
    } else {
      reason = "Pending";
      message = "waiting for the controller";
    }
  } else if (failed) {
    // A newer revision failed; the last ready one still serves.
    message = "revision " + failed->revision + " failed (" + failed->message + "); " +
              s.latest_ready->name + " keeps serving";
  } else if (s.loading) {
    message = "revision " + s.loading->revision + " is loading (" + ProgressText(s) + "); " +
              s.latest_ready->name + " keeps serving";
  }
  nlohmann::json conds = nlohmann::json::array();
  conds.push_back(Condition(old_status, "IngressReady", ready, ready ? "" : reason,
                            ready ? "" : "no ready revision to route to yet"));
  conds.push_back(Condition(old_status, "PredictorReady", ready, ready ? "" : reason, message));
  conds.push_back(Condition(old_status, "Ready", ready, ready ? "" : reason, message));
  if (ready && s.scale.min_replicas == 0) {
    // Knative's revision condition: a scaled-to-zero service stays Ready.
    bool idle = s.scale.scaled_to_zero;
    conds.push_back(Condition(old_status, "Active", !idle, idle ? "NoTraffic" : "",
                              idle ? "scaled to zero (minReplicas: 0) after idling; the next "
                                     "request loads the model again"
                                   : ""));
  }
  if (!s.no_effect.empty()) {
    // Not part of readiness: the service serves, these fields just do nothing here.
    std::string list;
    for (const std::string& m : s.no_effect) list += (list.empty() ? "" : "; ") + m;
    conds.push_back(
        Condition(old_status, "FieldsWithoutEffect", true, "NoEffectOnOneMachine", list));
  }
  return conds;
}

nlohmann::json Predictor(const IsvcState& s, const std::string& domain) {
  nlohmann::json pred = {{"latestCreatedRevision", s.latest_created_revision}};
  if (!s.latest_ready) return pred;
  pred["url"] = "http://" + ExternalHost(s.name + "-predictor", s.ns, domain);
  pred["latestReadyRevision"] = s.latest_ready->name;
  nlohmann::json traffic = nlohmann::json::array();
  if (s.previous && s.canary()) {
    traffic.push_back({{"revisionName", s.previous->name},
                       {"percent", 100 - s.canary_percent},
                       {"latestRevision", false},
                       {"tag", "prev"}});
    traffic.push_back({{"revisionName", s.latest_ready->name},
                       {"percent", s.canary_percent},
                       {"latestRevision", true},
                       {"tag", "latest"}});
    pred["previousRolledoutRevision"] = s.previous->name;
  } else {
    traffic.push_back(
        {{"revisionName", s.latest_ready->name}, {"percent", 100}, {"latestRevision", true}});
  }
  pred["traffic"] = traffic;
  pred["latestRolledoutRevision"] = s.latest_ready->name;
  return pred;
}

nlohmann::json ModelStatus(const IsvcState& s) {
  bool ready = s.latest_ready.has_value();
  const Failure* failed = ShownFailure(s);
  std::string active = ready       ? (s.scale.scaled_to_zero ? "Standby" : "Loaded")
                       : s.loading ? "Loading"
                       : failed    ? "FailedToLoad"
                                   : "Pending";
  std::string target = s.loading ? "Loading" : (failed ? "FailedToLoad" : active);
  std::string transition =
      s.loading ? "InProgress"
      : failed  ? (failed->reason == "InvalidPredictorSpec" ? "InvalidSpec" : "BlockedByFailedLoad")
      : ready   ? "UpToDate"
                : "InProgress";
  nlohmann::json ms = {{"transitionStatus", transition},
                       {"states", {{"activeModelState", active}, {"targetModelState", target}}},
                       {"copies", {{"failedCopies", failed ? 1 : 0}, {"totalCopies", 1}}}};
  if (failed) {
    ms["lastFailureInfo"] = {{"location", failed->revision},
                             {"reason", failed->reason},
                             {"message", failed->message},
                             {"modelRevisionName", failed->revision},
                             {"time", failed->time}};
  }
  return ms;
}

}  // namespace

nlohmann::json BuildIsvcStatus(const IsvcState& s, const std::string& domain, int64_t generation,
                               const nlohmann::json& old_status) {
  nlohmann::json st;
  st["observedGeneration"] = generation;
  st["url"] = "http://" + ExternalHost(s.name, s.ns, domain);
  st["address"] = {{"url", "http://" + s.name + "." + s.ns + ".svc.cluster.local"}};
  st["conditions"] = Conditions(s, old_status);
  st["components"] = {{"predictor", Predictor(s, domain)}};
  st["modelStatus"] = ModelStatus(s);
  st["deploymentMode"] = "Serverless";
  st["clusterServingRuntimeName"] = s.runtime_name;
  return st;
}

}  // namespace ferry::controller
