#include "controller/graph_reconciler.h"

#include <cstdio>

#include "controller/route_table.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

constexpr char kGraphApi[] = "serving.kserve.io/v1alpha1";
constexpr std::chrono::milliseconds kWhileNotReady{1000};
constexpr std::chrono::milliseconds kWhileReady{5000};

std::string Str(const json& o, std::initializer_list<const char*> path) {
  const json* v = &o;
  for (const char* k : path) {
    if (!v->is_object() || !v->contains(k)) return "";
    v = &(*v)[k];
  }
  return v->is_string() ? v->get<std::string>() : "";
}

// Keeps lastTransitionTime while the condition's status stays.
json Condition(const json& old_status, const std::string& type, bool ok, const std::string& reason,
               const std::string& message) {
  std::string status = ok ? "True" : "False";
  std::string when = NowRfc3339();
  if (old_status.is_object() && old_status.contains("conditions")) {
    for (const auto& c : old_status["conditions"]) {
      if (c.value("type", "") == type && c.value("status", "") == status) {
        when = c.value("lastTransitionTime", when);
      }
    }
  }
  json c = {{"type", type}, {"status", status}, {"lastTransitionTime", when}};
  if (!ok) {
    c["reason"] = reason;
    c["message"] = message;
  }
  return c;
}

bool WasReady(const json& status) {
  if (!status.is_object() || !status.contains("conditions")) return false;
  for (const auto& c : status["conditions"]) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

}  // namespace

std::pair<std::string, std::string> GraphReconciler::Resolve(const std::string& ns,
                                                             graph::Graph* g) {
  for (auto& [node_name, node] : g->nodes) {
    for (size_t i = 0; i < node.steps.size(); ++i) {
      graph::Step& step = node.steps[i];
      if (step.service_name.empty()) continue;
      std::string where = "step " + std::to_string(i) + " of node " + node_name;
      auto isvc =
          ctx_.client->Get("serving.kserve.io/v1beta1", "InferenceService", ns, step.service_name);
      if (!isvc.ok()) {
        return {"ServiceNotFound", "InferenceService " + step.service_name + " (" + where +
                                       ") does not exist in namespace " + ns +
                                       "; create it or fix serviceName"};
      }
      const IsvcState* s = serving_->Find(ns + "/" + step.service_name);
      if (s == nullptr || !s->latest_ready) {
        return {"ServiceNotReady",
                "InferenceService " + step.service_name + " (" + where + ") is not ready yet"};
      }
      std::string protocol = Str(*isvc, {"spec", "predictor", "model", "protocolVersion"});
      step.host = graph::ClusterLocalHost(step.service_name, ns);
      step.path = graph::PredictPath(step.service_name, protocol == "v2");
    }
  }
  return {};
}

ReconcileResult GraphReconciler::Reconcile(const WorkKey& key) {
  const std::string& ns = key.ns;
  const std::string& name = key.name;
  std::string skey = ns + "/" + name;
  auto obj = ctx_.client->Get(kGraphApi, "InferenceGraph", ns, name);
  if (!obj.ok()) {
    if (obj.status().code() != StatusCode::kNotFound) return {.requeue_after = kWhileNotReady};
    if (serving_->graphs().erase(skey) > 0) {
      std::fprintf(stderr, "ferry: InferenceGraph %s deleted: routes removed\n", skey.c_str());
      ctx_.own_writes->Forget("InferenceGraph", ns, name);
      serving_->PublishRoutes();
    }
    return {};
  }
  graph::ParsedGraph parsed = graph::ParseGraph(*obj);
  GraphState& st = serving_->graphs()[skey];
  st.ns = ns;
  st.name = name;
  st.labels.clear();
  if (const json& l = (*obj)["metadata"].value("labels", json::object()); l.is_object()) {
    for (const auto& [k, v] : l.items()) {
      if (v.is_string()) st.labels[k] = v.get<std::string>();
    }
  }
  std::string sa = Str(*obj, {"spec", "serviceAccountName"});
  st.service_account = sa.empty() ? "default" : sa;
  std::pair<std::string, std::string> why;
  if (!parsed.errors.empty()) {
    why = {"InvalidGraph", parsed.errors[0].field + ": " + parsed.errors[0].message};
  } else if (serving_->Find(skey) != nullptr) {
    why = {"HostConflict",
           "InferenceService " + skey +
               " has the same hosts; an "
               "InferenceGraph needs a name no InferenceService of its namespace has"};
  } else {
    why = Resolve(ns, &parsed.graph);
  }
  bool ready = why.first.empty();
  std::string fingerprint = ready ? (*obj)["spec"].dump() + st.service_account : why.second;
  for (const auto& [n, node] : parsed.graph.nodes) {
    for (const auto& s : node.steps) fingerprint += "|" + s.host + s.path;
  }
  fingerprint += "|" + json(st.labels).dump();
  if (fingerprint != st.fingerprint) {
    st.fingerprint = fingerprint;
    st.graph = ready ? std::make_shared<const graph::Graph>(std::move(parsed.graph)) : nullptr;
    st.not_ready_code = why.first;
    st.not_ready_reason = why.second;
    serving_->PublishRoutes();
  }
  ReconcileResult r = WriteStatus(*obj, st);
  return r.Merge({.requeue_after = ready ? kWhileReady : kWhileNotReady});
}

ReconcileResult GraphReconciler::WriteStatus(const json& obj, const GraphState& st) {
  json old = obj.contains("status") ? obj["status"] : json::object();
  bool ready = st.graph != nullptr;
  const std::string& reason = st.not_ready_code;
  const std::string& message = st.not_ready_reason;
  json status;
  status["observedGeneration"] = obj["metadata"].value("generation", 1);
  if (ready)
    status["url"] = "http://" + ExternalHost(st.name, st.ns, serving_->DomainFor(st.labels));
  status["conditions"] = json::array({Condition(old, "ConfigurationsReady", ready, reason, message),
                                      Condition(old, "Ready", ready, reason, message),
                                      Condition(old, "RoutesReady", ready, reason, message)});
  if (status == old) return {};
  json update = obj;
  update["status"] = status;
  auto res = ctx_.WriteStatus(update);
  if (!res.ok()) {
    return res.status().code() == StatusCode::kAborted ? ReconcileResult{.requeue = true}
                                                       : ReconcileResult{};
  }
  if (ready != WasReady(old)) {
    json involved = {{"apiVersion", kGraphApi},
                     {"kind", "InferenceGraph"},
                     {"name", st.name},
                     {"namespace", st.ns},
                     {"uid", obj["metadata"].value("uid", "")}};
    if (ready) {
      events_->RecordFor(involved, "Normal", "InferenceGraphReady",
                         "InferenceGraph [" + st.name + "] is Ready", "inferencegraph-controller");
    } else if (WasReady(old)) {
      events_->RecordFor(involved, "Warning", "InferenceGraphNotReady",
                         "InferenceGraph [" + st.name + "] is no longer Ready",
                         "inferencegraph-controller");
    }
  }
  return {};
}

}  // namespace ferry::controller
