// Core v1 Pod: the read-only view of an InferenceService revision's model
// server that the controller writes (controller/pod_view.h); users may get,
// list, watch, describe, read logs and delete (a restart), not create or
// change one. The columns are kube-apiserver's pod printer's.
#include <chrono>

#include "api/encoding.h"
#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

std::string Since(const std::string& rfc3339) {
  std::chrono::system_clock::time_point t;
  if (!ParseRfc3339(rfc3339, &t)) return "";
  return HumanDuration(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - t));
}

struct PodSummary {
  std::string status;
  int ready = 0;
  int total = 0;
  int64_t restarts = 0;
  std::string last_restart;  // finishedAt of the newest lastState
};

void NoteLastRestart(const json& cs, PodSummary* out) {
  std::string finished = StringAt(cs, "lastState.terminated.finishedAt");
  if (!finished.empty() && finished > out->last_restart) out->last_restart = finished;
}

// kube-apiserver's printPod: the STATUS word, READY and RESTARTS.
PodSummary Summarize(const json& pod) {
  PodSummary out;
  out.total = static_cast<int>(At(pod, "spec.containers").size());
  out.status = StringAt(pod, "status.phase");
  if (!StringAt(pod, "status.reason").empty()) out.status = StringAt(pod, "status.reason");
  const json& inits = At(pod, "status.initContainerStatuses");
  size_t n_inits = At(pod, "spec.initContainers").size();
  bool initializing = false;
  for (size_t i = 0; inits.is_array() && i < inits.size(); ++i) {
    const json& c = inits[i];
    out.restarts += At(c, "restartCount").is_number() ? At(c, "restartCount").get<int64_t>() : 0;
    NoteLastRestart(c, &out);
    const json& term = At(c, "state.terminated");
    std::string waiting = StringAt(c, "state.waiting.reason");
    if (term.is_object() && term.value("exitCode", 0) == 0) continue;
    if (term.is_object()) {
      std::string reason = term.value("reason", "");
      out.status = reason.empty() ? "Init:ExitCode:" + std::to_string(term.value("exitCode", 0))
                                  : "Init:" + reason;
    } else if (!waiting.empty() && waiting != "PodInitializing") {
      out.status = "Init:" + waiting;
    } else {
      out.status = "Init:" + std::to_string(i) + "/" + std::to_string(n_inits);
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    out.restarts = 0;
    out.last_restart.clear();
    bool has_running = false;
    const json& cs = At(pod, "status.containerStatuses");
    for (size_t k = cs.is_array() ? cs.size() : 0; k-- > 0;) {
      const json& c = cs[k];
      out.restarts += At(c, "restartCount").is_number() ? At(c, "restartCount").get<int64_t>() : 0;
      NoteLastRestart(c, &out);
      const json& term = At(c, "state.terminated");
      std::string waiting = StringAt(c, "state.waiting.reason");
      if (!waiting.empty()) {
        out.status = waiting;
      } else if (term.is_object() && !term.value("reason", "").empty()) {
        out.status = term.value("reason", "");
      } else if (term.is_object()) {
        out.status = "ExitCode:" + std::to_string(term.value("exitCode", 0));
      } else if (At(c, "ready") == json(true) && At(c, "state.running").is_object()) {
        has_running = true;
        ++out.ready;
      }
    }
    if (out.status == "Completed" && has_running) out.status = "Running";
  }
  if (!At(pod, "metadata.deletionTimestamp").is_null()) out.status = "Terminating";
  return out;
}

json PodCells(const json& pod) {
  PodSummary s = Summarize(pod);
  json restarts = s.restarts;
  if (!s.last_restart.empty()) {
    restarts = std::to_string(s.restarts) + " (" + Since(s.last_restart) + " ago)";
  }
  std::string ip = StringAt(pod, "status.podIP");
  std::string node = StringAt(pod, "spec.nodeName");
  return json::array({std::to_string(s.ready) + "/" + std::to_string(s.total), s.status, restarts,
                      ip.empty() ? "<none>" : ip, node.empty() ? "<none>" : node, "<none>",
                      "<none>"});
}

}  // namespace

KindInfo PodKind() {
  KindInfo pod;
  pod.versions = {"v1"};
  pod.plural = "pods";
  pod.singular = "pod";
  pod.kind = "Pod";
  pod.short_names = {"po"};
  pod.categories = {"all"};
  pod.strategic_merge = true;
  pod.verbs = {"delete", "get", "list", "watch"};
  pod.read_only_reason =
      "Ferry's pods are views of InferenceService revisions (one per loaded revision, written by "
      "its controller) and cannot be created or changed; to run a model, apply an "
      "InferenceService (apiVersion: serving.kserve.io/v1beta1) and its pod appears here; "
      "`kubectl delete pod` restarts one";
  pod.columns = {{"Ready"}, {"Status"}, {"Restarts"}};
  pod.wide_columns = {{"IP", "string", 1},
                      {"Node", "string", 1},
                      {"Nominated Node", "string", 1},
                      {"Readiness Gates", "string", 1}};
  pod.cells = PodCells;
  pod.schema = R"({"spec":"*","status":"*"})";
  return pod;
}

}  // namespace ferry::api
