#include "controller/pod_view.h"

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

namespace ferry::controller {
namespace {

using nlohmann::json;

constexpr char kIsvcLabel[] = "serving.kserve.io/inferenceservice";
constexpr char kInit[] = "storage-initializer";
constexpr char kMain[] = "kserve-container";
// The characters Kubernetes uses in generated name suffixes (no vowels, no 0/1/3).
constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";

std::string SafeChars(uint64_t seed, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += kAlphabet[seed % (sizeof(kAlphabet) - 1)];
    seed /= sizeof(kAlphabet) - 1;
  }
  return out;
}

// The ReplicaSet's pod-template-hash: stable for a revision.
std::string TemplateHash(const std::string& ns, const std::string& revision) {
  return SafeChars(std::hash<std::string>()(ns + "/" + revision), 10);
}

std::string NewPodName(const std::string& ns, const std::string& revision) {
  static std::mt19937_64 rng{std::random_device{}()};
  return revision + "-deployment-" + TemplateHash(ns, revision) + "-" + SafeChars(rng(), 5);
}

bool Failed(const std::string& shown) {
  return shown == "init-failed" || shown == "init-backoff" || shown == "failed";
}

json Terminated(int code, const std::string& started, const std::string& finished,
                const std::string& message) {
  json t = {{"exitCode", code},
            {"reason", code == 0 ? "Completed" : "Error"},
            {"startedAt", started},
            {"finishedAt", finished}};
  if (!message.empty()) t["message"] = message;
  return {{"terminated", t}};
}

json Condition(const std::string& type, bool ok, const std::string& when,
               const std::string& reason = "", const std::string& message = "") {
  json c = {{"type", type},
            {"status", ok ? "True" : "False"},
            {"lastProbeTime", nullptr},
            {"lastTransitionTime", when}};
  if (!ok && !reason.empty()) c["reason"] = reason;
  if (!ok && !message.empty()) c["message"] = message;
  return c;
}

json ContainerStatus(const std::string& name, bool ready, int restarts, json state,
                     json last_state) {
  bool running = state.contains("running");
  return {{"name", name},
          {"image", "ferry"},
          {"imageID", ""},
          {"containerID", ""},
          {"ready", ready},
          {"started", running},
          {"restartCount", restarts},
          {"state", std::move(state)},
          {"lastState", last_state.is_null() ? json::object() : std::move(last_state)}};
}

}  // namespace

api::LogSource PodView::InitLog(const PodRecord& pod) {
  return {pod.name, kInit, pod.init_restarts};
}

api::LogSource PodView::MainLog(const PodRecord& pod) {
  return {pod.name, kMain, pod.main_restarts};
}

std::string PodView::StateOf(const IsvcState& st, const std::string& revision) const {
  if (st.loading && st.loading->revision == revision) {
    return st.loading->progress && st.loading->progress->phase.load() == 1 ? "loading"
                                                                            : "downloading";
  }
  if (st.latest_ready && st.latest_ready->name == revision) {
    return st.scale.scaled_to_zero ? "" : "running";  // Knative scaled the deployment to 0
  }
  if (st.previous && st.canary() && st.previous->name == revision) {
    return st.previous_restarting ? "loading" : "running";
  }
  if (st.failure && st.failure->revision == revision && !st.failure->stage.empty()) {
    if (st.failure->stage == "load") return "failed";
    bool retry_waits = st.retry.attempt == st.failure->attempt &&
                       st.retry.at != std::chrono::steady_clock::time_point{};
    return retry_waits ? "init-backoff" : "init-failed";
  }
  return "";
}

const PodRecord& PodView::BeginAttempt(IsvcState& st, const std::string& revision,
                                       int64_t generation, const std::string& storage_uri) {
  PodRecord& pod = st.pods[revision];
  pod.generation = generation;
  pod.storage_uri = storage_uri;
  if (!pod.name.empty() && !pod.shown.empty() && pod.shown != "running") {
    // The same pod: its storage-initializer runs again (a retry, or new credentials).
    pod.last_init_finished = pod.init_finished.empty() ? NowRfc3339() : pod.init_finished;
    pod.last_init_message =
        st.failure && st.failure->revision == revision ? st.failure->message : "";
    ++pod.init_restarts;
    pod.init_started = NowRfc3339();
    pod.init_finished.clear();
    pod.main_started.clear();
    pod.main_finished.clear();
    return pod;
  }
  PodRecord fresh;
  fresh.name = NewPodName(st.ns, revision);
  fresh.generation = generation;
  fresh.storage_uri = storage_uri;
  pod = std::move(fresh);
  return pod;
}

bool PodView::NoticeDeleted(IsvcState& st) {
  bool any_written = false;
  for (const auto& [rev, pod] : st.pods) any_written |= !pod.uid.empty();
  if (!any_written) return false;
  auto list = ctx_.client->List("v1", "Pod", st.ns, std::string(kIsvcLabel) + "=" + st.name);
  if (!list.ok()) return false;
  std::set<std::string> live;
  for (const json& p : (*list)["items"]) live.insert(p["metadata"].value("uid", ""));
  bool act = false;
  for (auto it = st.pods.begin(); it != st.pods.end();) {
    const std::string& rev = it->first;
    PodRecord& pod = it->second;
    if (pod.uid.empty() || live.count(pod.uid) > 0) {
      ++it;
      continue;
    }
    std::string was = pod.shown;
    events_->Log(st, "pod " + pod.name + " was deleted", MainLog(pod));
    bool serving = st.latest_ready && st.latest_ready->name == rev && was == "running";
    bool previous = st.previous && st.canary() && st.previous->name == rev && was == "running";
    if (serving) {
      st.restart_revision = rev;  // load it again, as a new pod would
      act = true;
    } else if (previous) {
      // The canary's other half restarts too: a new pod, loading until the reload is in.
      st.restart_previous = true;
      act = true;
      pod = PodRecord{NewPodName(st.ns, rev), "", pod.storage_uri, pod.generation};
      ++it;
      continue;
    } else if (Failed(was) && st.failure && st.failure->revision == rev) {
      st.failure->attempt.clear();  // retry now, like a deleted crash-looping pod
      act = true;
    }
    if (serving || Failed(was)) {
      it = st.pods.erase(it);
      continue;
    }
    pod.name = NewPodName(st.ns, rev);  // a new pod takes its place
    pod.uid.clear();
    pod.shown.clear();
    pod.created.clear();
    ++it;
  }
  return act;
}

void PodView::Event(const IsvcState& st, const PodRecord& pod, const std::string& type,
                    const std::string& reason, const std::string& field_path,
                    const std::string& message, const std::string& component) {
  json involved = {{"apiVersion", "v1"},  {"kind", "Pod"},   {"name", pod.name},
                   {"namespace", st.ns}, {"uid", pod.uid}};
  if (!field_path.empty()) involved["fieldPath"] = field_path;
  events_->RecordFor(involved, type, reason, message, component);
}

void PodView::Advance(PodRecord& pod, const std::string& state) {
  std::string now = NowRfc3339();
  if (pod.created.empty()) pod.created = now;
  if (pod.init_started.empty()) pod.init_started = pod.created;
  bool init_done = state == "loading" || state == "running" || state == "failed";
  if ((init_done || Failed(state)) && pod.init_finished.empty()) pod.init_finished = now;
  if (init_done && pod.main_started.empty()) pod.main_started = now;
  if (state == "failed" && pod.main_finished.empty()) pod.main_finished = now;
}

json PodView::Build(const IsvcState& st, const std::string& revision, const PodRecord& pod) const {
  const std::string& s = pod.shown;
  bool init_done = s == "loading" || s == "running" || s == "failed";
  bool ready = s == "running";
  std::string failure_message =
      st.failure && st.failure->revision == revision ? st.failure->message : "";
  std::string template_hash = TemplateHash(st.ns, revision);
  json labels = {{"app", revision},
                 {"component", "predictor"},
                 {kIsvcLabel, st.name},
                 {"pod-template-hash", template_hash},
                 {"serving.knative.dev/configuration", st.name + "-predictor"},
                 {"serving.knative.dev/configurationGeneration", std::to_string(pod.generation)},
                 {"serving.knative.dev/revision", revision},
                 {"serving.knative.dev/service", st.name + "-predictor"}};
  json mount = {{"name", "kserve-provision-location"}, {"mountPath", "/mnt/models"}};
  json spec = {
      {"initContainers",
       {{{"name", kInit},
         {"image", "ferry"},
         {"args", {"storage-initializer", pod.storage_uri, "/mnt/models"}},
         {"terminationMessagePolicy", "FallbackToLogsOnError"},
         {"volumeMounts", {mount}}}}},
      {"containers",
       {{{"name", kMain},
         {"image", "ferry"},
         {"args",
          {"serve", "--model_name=" + st.name, "--model_dir=/mnt/models", "--http_port=8080"}},
         {"ports", {{{"name", "user-port"}, {"containerPort", 8080}, {"protocol", "TCP"}}}},
         {"volumeMounts", {mount}}}}},
      {"volumes", {{{"name", "kserve-provision-location"}, {"emptyDir", json::object()}}}},
      {"nodeName", kNodeName},
      {"restartPolicy", "Always"},
      {"schedulerName", "default-scheduler"},
      {"serviceAccountName", "default"}};

  // storage-initializer
  json init_state, init_last;
  if (s == "downloading") {
    init_state = {{"running", {{"startedAt", pod.init_started}}}};
  } else if (s == "init-backoff") {
    init_state = {{"waiting",
                   {{"reason", "CrashLoopBackOff"},
                    {"message", "back-off restarting failed container=" + std::string(kInit) +
                                    " pod=" + pod.name + "_" + st.ns + "(" + pod.uid + ")"}}}};
    init_last = Terminated(1, pod.init_started, pod.init_finished, failure_message);
  } else if (s == "init-failed") {
    init_state = Terminated(1, pod.init_started, pod.init_finished, failure_message);
  } else {
    init_state = Terminated(0, pod.init_started, pod.init_finished, "");
  }
  if (init_last.is_null() && pod.init_restarts > 0) {
    init_last = Terminated(1, pod.init_started, pod.last_init_finished, pod.last_init_message);
  }
  // kserve-container
  json main_state;
  if (!init_done) {
    main_state = {{"waiting", {{"reason", "PodInitializing"}}}};
  } else if (s == "failed") {
    main_state = Terminated(1, pod.main_started, pod.main_finished, failure_message);
  } else {
    main_state = {{"running", {{"startedAt", pod.main_started}}}};
  }
  json conditions = json::array();
  conditions.push_back(Condition("PodReadyToStartContainers", true, pod.created));
  conditions.push_back(Condition(
      "Initialized", init_done, init_done ? pod.init_finished : pod.created,
      "ContainersNotInitialized", "containers with incomplete status: [" + std::string(kInit) + "]"));
  std::string unready = "containers with unready status: [" + std::string(kMain) + "]";
  std::string ready_since = ready ? pod.main_started : pod.created;
  conditions.push_back(Condition("Ready", ready, ready_since, "ContainersNotReady", unready));
  conditions.push_back(
      Condition("ContainersReady", ready, ready_since, "ContainersNotReady", unready));
  conditions.push_back(Condition("PodScheduled", true, pod.created));
  json status = {
      {"phase", init_done ? "Running" : "Pending"},
      {"conditions", conditions},
      {"hostIP", "127.0.0.1"},
      {"hostIPs", {{{"ip", "127.0.0.1"}}}},
      {"podIP", "127.0.0.1"},
      {"podIPs", {{{"ip", "127.0.0.1"}}}},
      {"startTime", pod.created},
      {"qosClass", "BestEffort"},
      {"initContainerStatuses",
       {ContainerStatus(kInit, init_done, pod.init_restarts, init_state, init_last)}},
      {"containerStatuses",
       {ContainerStatus(kMain, ready, pod.main_restarts, main_state, json())}}};
  json meta = {
      {"name", pod.name},
      {"namespace", st.ns},
      {"labels", labels},
      {"annotations", {{"kubectl.kubernetes.io/default-container", kMain}}},
      {"ownerReferences",
       {{{"apiVersion", "apps/v1"},
         {"kind", "ReplicaSet"},
         {"name", revision + "-deployment-" + template_hash},
         {"uid", ""},
         {"controller", true},
         {"blockOwnerDeletion", true}}}}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", meta},
          {"spec", spec},
          {"status", status}};
}

void PodView::Write(IsvcState& st) {
  for (auto it = st.pods.begin(); it != st.pods.end();) {
    const std::string& rev = it->first;
    PodRecord& pod = it->second;
    std::string state = StateOf(st, rev);
    if (state.empty()) {
      if (!pod.uid.empty()) (void)ctx_.client->Delete("v1", "Pod", st.ns, pod.name);
      bool keep = st.latest_ready && st.latest_ready->name == rev;  // scaled to zero
      if (!keep) {
        it = st.pods.erase(it);
        continue;
      }
      if (!pod.uid.empty()) {
        pod = PodRecord{NewPodName(st.ns, rev), "", pod.storage_uri, pod.generation};
      }
      ++it;
      continue;
    }
    std::string was = pod.shown;
    Advance(pod, state);
    pod.shown = state;
    json desired = Build(st, rev, pod);
    if (pod.uid.empty()) {
      auto created = ctx_.client->Create(desired);
      if (!created.ok()) {
        std::fprintf(stderr, "ferry: pod %s/%s not written: %s\n", st.ns.c_str(),
                     pod.name.c_str(), created.status().message().c_str());
        ++it;
        continue;
      }
      pod.uid = (*created)["metadata"].value("uid", "");
      Event(st, pod, "Normal", "Scheduled", "",
            "Successfully assigned " + st.ns + "/" + pod.name + " to " + kNodeName,
            "default-scheduler");
      desired = Build(st, rev, pod);  // the uid appears in a back-off message
    }
    auto existing = ctx_.client->Get("v1", "Pod", st.ns, pod.name);
    if (existing.ok()) {
      json next = *existing;
      next["spec"] = desired["spec"];
      next["status"] = desired["status"];
      next["metadata"]["labels"] = desired["metadata"]["labels"];
      if (next != *existing) (void)ctx_.client->Update(next);
    }
    if (was != state) {
      std::string init_path = "spec.initContainers{" + std::string(kInit) + "}";
      std::string main_path = "spec.containers{" + std::string(kMain) + "}";
      if (state == "downloading") {
        Event(st, pod, "Normal", "Started", init_path, "Started container " + std::string(kInit));
      } else if ((state == "loading" || state == "running") && was != "loading" &&
                 was != "running") {
        Event(st, pod, "Normal", "Started", main_path, "Started container " + std::string(kMain));
      } else if (state == "init-backoff") {
        Event(st, pod, "Warning", "BackOff", init_path,
              "Back-off restarting failed container " + std::string(kInit) + " in pod " +
                  pod.name + "_" + st.ns + "(" + pod.uid + ")");
      }
    }
    ++it;
  }
  if (events_->logs() != nullptr) {
    const PodRecord* serving = nullptr;
    if (st.latest_ready) {
      auto p = st.pods.find(st.latest_ready->name);
      if (p != st.pods.end() && p->second.shown == "running") serving = &p->second;
    }
    if (serving != nullptr) {
      events_->logs()->SetServingPod(st.ns, st.name, serving->name, serving->main_restarts);
    }
  }
}

void PodView::RemoveAll(const std::string& ns, const std::string& name) {
  auto list = ctx_.client->List("v1", "Pod", ns, std::string(kIsvcLabel) + "=" + name);
  if (!list.ok()) return;
  for (const json& p : (*list)["items"]) {
    (void)ctx_.client->Delete("v1", "Pod", ns, p["metadata"].value("name", ""));
  }
}

void PodView::DeleteStale() {
  auto list = ctx_.client->List("v1", "Pod", "", kIsvcLabel);
  if (!list.ok()) return;
  for (const json& p : (*list)["items"]) {
    (void)ctx_.client->Delete("v1", "Pod", p["metadata"].value("namespace", ""),
                              p["metadata"].value("name", ""));
  }
}

}  // namespace ferry::controller
