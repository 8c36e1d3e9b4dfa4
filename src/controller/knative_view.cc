#include "controller/knative_view.h"

#include <cstdio>
#include <set>

#include "controller/events.h"
#include "controller/route_table.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

constexpr char kApi[] = "serving.knative.dev/v1";
constexpr char kIsvcLabel[] = "serving.kserve.io/inferenceservice";
constexpr const char* kKinds[] = {"Service", "Configuration", "Route", "Revision"};

json Cond(const std::string& type, const std::string& status, const std::string& reason = "",
          const std::string& message = "") {
  json c = {{"type", type}, {"status", status}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

int64_t GenerationOf(const IsvcState& st, const std::string& revision) {
  auto pod = st.pods.find(revision);
  if (pod != st.pods.end() && pod->second.generation > 0) return pod->second.generation;
  size_t dash = revision.rfind('-');
  try {
    return dash == std::string::npos ? 0 : std::stoll(revision.substr(dash + 1));
  } catch (...) {
    return 0;
  }
}

std::string Key(const json& obj) {
  return obj.value("kind", "") + " " + obj["metadata"].value("namespace", "") + "/" +
         obj["metadata"].value("name", "");
}

}  // namespace

void KnativeView::Write(const IsvcState& st, const std::string& domain) {
  const std::string svc = st.name + "-predictor";
  json labels = {{kIsvcLabel, st.name}, {"component", "predictor"}};
  json owner = json::array({{{"apiVersion", "serving.kserve.io/v1beta1"},
                             {"kind", "InferenceService"},
                             {"name", st.name},
                             {"uid", st.uid},
                             {"controller", true},
                             {"blockOwnerDeletion", true}}});
  auto meta = [&](const std::string& name, json extra_labels) {
    json l = labels;
    for (auto& [k, v] : extra_labels.items()) l[k] = v;
    return json{{"name", name}, {"namespace", st.ns}, {"labels", l}, {"ownerReferences", owner}};
  };
  std::string url = "http://" + ExternalHost(svc, st.ns, domain);
  std::string address = "http://" + svc + "." + st.ns + ".svc.cluster.local";
  std::string created = st.latest_created_revision;
  std::string ready = st.latest_ready ? st.latest_ready->name : "";
  bool created_failed = st.failure && !st.loading && st.failure->revision == created;

  json traffic = json::array();
  if (st.latest_ready && st.previous && st.canary()) {
    traffic.push_back({{"revisionName", st.previous->name},
                       {"percent", 100 - st.canary_percent},
                       {"latestRevision", false},
                       {"tag", "prev"}});
    traffic.push_back({{"revisionName", ready},
                       {"percent", st.canary_percent},
                       {"latestRevision", true},
                       {"tag", "latest"}});
  } else if (st.latest_ready) {
    traffic.push_back({{"revisionName", ready}, {"percent", 100}, {"latestRevision", true}});
  }

  json config_ready = Cond("Ready", "Unknown");
  if (created_failed) {
    config_ready = Cond("Ready", "False", "RevisionFailed",
                        "Revision \"" + created + "\" failed with message: " +
                            st.failure->message + ".");
  } else if (!created.empty() && created == ready) {
    config_ready = Cond("Ready", "True");
  }
  json route_ready = Cond("Ready", "True");
  if (!st.latest_ready) {
    route_ready = Cond("Ready", st.failure ? "False" : "Unknown", "RevisionMissing",
                       "Configuration \"" + svc + "\" does not have any ready Revision.");
  }
  json ksvc_ready = config_ready["status"] != "True" ? config_ready : route_ready;
  ksvc_ready["type"] = "Ready";
  json config_status = {{"latestCreatedRevisionName", created},
                        {"latestReadyRevisionName", ready},
                        {"conditions", json::array({config_ready})}};
  if (created.empty()) config_status.erase("latestCreatedRevisionName");
  if (ready.empty()) config_status.erase("latestReadyRevisionName");
  json route_status = {{"url", url},
                       {"address", {{"url", address}}},
                       {"traffic", traffic},
                       {"conditions", json::array({Cond("AllTrafficAssigned",
                                                        route_ready["status"]),
                                                   route_ready})}};
  json template_spec = {{"containers", json::array({{{"name", "kserve-container"},
                                                     {"image", "ferry"}}})}};
  json config_spec = {{"template", {{"spec", template_spec}}}};

  json ksvc_status = config_status;
  ksvc_status["url"] = url;
  ksvc_status["address"] = {{"url", address}};
  ksvc_status["traffic"] = traffic;
  json cfg_cond = config_ready, rt_cond = route_ready;
  cfg_cond["type"] = "ConfigurationsReady";
  rt_cond["type"] = "RoutesReady";
  ksvc_status["conditions"] = json::array({cfg_cond, ksvc_ready, rt_cond});

  Put({{"apiVersion", kApi},
       {"kind", "Service"},
       {"metadata", meta(svc, json::object())},
       {"spec", {{"template", {{"spec", template_spec}}}, {"traffic", traffic}}},
       {"status", ksvc_status}});
  Put({{"apiVersion", kApi},
       {"kind", "Configuration"},
       {"metadata", meta(svc, {{"serving.knative.dev/service", svc}})},
       {"spec", config_spec},
       {"status", config_status}});
  Put({{"apiVersion", kApi},
       {"kind", "Route"},
       {"metadata", meta(svc, {{"serving.knative.dev/service", svc}})},
       {"spec", {{"traffic", traffic}}},
       {"status", route_status}});

  // Revisions that run: serving, canary's previous, loading, failed.
  std::map<std::string, json> revisions;
  auto add = [&](const std::string& name, json cond, int actual, int desired) {
    if (name.empty() || revisions.count(name) > 0) return;
    int64_t gen = GenerationOf(st, name);
    json status = {{"conditions", json::array({cond})},
                   {"actualReplicas", actual},
                   {"desiredReplicas", desired}};
    revisions[name] = {{"apiVersion", kApi},
                       {"kind", "Revision"},
                       {"metadata", meta(name, {{"serving.knative.dev/configuration", svc},
                                                {"serving.knative.dev/configurationGeneration",
                                                 std::to_string(gen)},
                                                {"serving.knative.dev/service", svc}})},
                       {"spec", template_spec},
                       {"status", status}};
  };
  if (st.loading) {
    add(st.loading->revision, Cond("Ready", "Unknown", "Deploying"), 0, 1);
  }
  if (st.latest_ready) {
    bool idle = st.scale.scaled_to_zero;
    add(ready, Cond("Ready", "True"), idle ? 0 : 1, idle ? 0 : 1);
  }
  if (st.previous && st.canary()) add(st.previous->name, Cond("Ready", "True"), 1, 1);
  if (st.failure && !st.loading) {
    add(st.failure->revision,
        Cond("Ready", "False", st.failure->reason, st.failure->message), 0, 1);
  }
  for (const auto& [name, rev] : revisions) Put(rev);
  auto list = ctx_.client->List(kApi, "Revision", st.ns, std::string(kIsvcLabel) + "=" + st.name);
  if (!list.ok()) return;
  for (const json& item : (*list)["items"]) {
    std::string name = item["metadata"].value("name", "");
    if (revisions.count(name) > 0) continue;
    (void)ctx_.client->Delete(kApi, "Revision", st.ns, name);
    written_.erase(Key(item));
  }
}

void KnativeView::Put(const json& desired) {
  std::string key = Key(desired);
  json content = {{"labels", desired["metadata"]["labels"]},
                  {"spec", desired["spec"]},
                  {"status", desired["status"]}};
  auto it = written_.find(key);
  if (it != written_.end() && it->second == content) return;
  const json& m = desired["metadata"];
  auto existing = ctx_.client->Get(kApi, desired.value("kind", ""), m.value("namespace", ""),
                                   m.value("name", ""));
  StatusOr<json> res = existing.status();
  if (existing.ok()) {
    json next = *existing;
    next["metadata"]["labels"] = m["labels"];
    next["metadata"]["ownerReferences"] = m["ownerReferences"];
    next["spec"] = desired["spec"];
    next["status"] = desired["status"];
    res = next == *existing ? StatusOr<json>(next) : ctx_.client->Update(next);
  } else if (existing.status().code() == StatusCode::kNotFound) {
    res = ctx_.client->Create(desired);
  }
  if (!res.ok()) {
    std::fprintf(stderr, "ferry: %s not written: %s\n", key.c_str(),
                 res.status().message().c_str());
    written_.erase(key);
    return;
  }
  written_[key] = std::move(content);
}

void KnativeView::RemoveAll(const std::string& ns, const std::string& name) {
  for (const char* kind : kKinds) {
    auto list = ctx_.client->List(kApi, kind, ns, std::string(kIsvcLabel) + "=" + name);
    if (!list.ok()) continue;
    for (const json& item : (*list)["items"]) {
      (void)ctx_.client->Delete(kApi, kind, ns, item["metadata"].value("name", ""));
    }
  }
  for (auto it = written_.begin(); it != written_.end();) {
    const std::string& k = it->first;
    bool mine = k.find(" " + ns + "/" + name + "-predictor") != std::string::npos;
    it = mine ? written_.erase(it) : std::next(it);
  }
}

void KnativeView::DeleteStale() {
  for (const char* kind : kKinds) {
    auto list = ctx_.client->List(kApi, kind, "", kIsvcLabel);
    if (!list.ok()) continue;
    for (const json& item : (*list)["items"]) {
      (void)ctx_.client->Delete(kApi, kind, item["metadata"].value("namespace", ""),
                                item["metadata"].value("name", ""));
    }
  }
}

}  // namespace ferry::controller
