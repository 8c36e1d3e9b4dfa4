#include "api/pod_metrics.h"

#include <cstdio>

#include "api/api_server_impl.h"
#include "api/encoding.h"
#include "api/kinds.h"
#include "api/table.h"
#include "store/selector.h"

namespace ferry::api {

using nlohmann::json;

std::string CpuQuantity(uint64_t nanocores) { return std::to_string(nanocores) + "n"; }

std::string MemoryQuantity(uint64_t bytes) { return std::to_string(bytes / 1024) + "Ki"; }

std::string GoDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms >= 3600000) {
    out += std::to_string(ms / 3600000) + "h";
    ms %= 3600000;
  }
  if (!out.empty() || ms >= 60000) {
    out += std::to_string(ms / 60000) + "m";
    ms %= 60000;
  }
  char secs[32];
  if (ms % 1000 == 0) {
    std::snprintf(secs, sizeof(secs), "%llds", static_cast<long long>(ms / 1000));
  } else {
    std::snprintf(secs, sizeof(secs), "%lld.%03llds", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
    std::string s(secs);
    while (s[s.size() - 2] == '0') s.erase(s.size() - 2, 1);  // Go prints no trailing zeros
    return out + s;
  }
  return out + secs;
}

json NodeMetricsObject(const json& node, const NodeUsage& usage, const UsageReport& report) {
  json meta = {{"name", StringAt(node, "metadata.name")},
               {"creationTimestamp", Rfc3339(report.timestamp)}};
  if (At(node, "metadata.labels").is_object()) meta["labels"] = At(node, "metadata.labels");
  return {{"kind", "NodeMetrics"},
          {"apiVersion", "metrics.k8s.io/v1beta1"},
          {"metadata", meta},
          {"timestamp", Rfc3339(report.timestamp)},
          {"window", GoDuration(report.window)},
          {"usage",
           {{"cpu", CpuQuantity(usage.cpu_nanocores)},
            {"memory", MemoryQuantity(usage.memory_bytes)}}}};
}

json PodMetricsObject(const json& pod, const PodUsage& usage, const UsageReport& report) {
  json meta = {{"name", StringAt(pod, "metadata.name")},
               {"namespace", StringAt(pod, "metadata.namespace")},
               {"creationTimestamp", Rfc3339(report.timestamp)}};
  if (At(pod, "metadata.labels").is_object()) meta["labels"] = At(pod, "metadata.labels");
  json containers = json::array();
  for (const ContainerUsage& c : usage.containers) {
    containers.push_back({{"name", c.name},
                          {"usage",
                           {{"cpu", CpuQuantity(c.cpu_nanocores)},
                            {"memory", MemoryQuantity(c.memory_bytes)}}}});
  }
  return {{"kind", "PodMetrics"},
          {"apiVersion", "metrics.k8s.io/v1beta1"},
          {"metadata", meta},
          {"timestamp", Rfc3339(report.timestamp)},
          {"window", GoDuration(report.window)},
          {"containers", containers}};
}

void AddMetricsKinds(std::vector<KindInfo>* kinds) {
  KindInfo pods;
  pods.group = "metrics.k8s.io";
  pods.versions = {"v1beta1"};
  pods.plural = "pods";
  pods.singular = "";
  pods.kind = "PodMetrics";
  pods.verbs = {"get", "list"};
  pods.resource_metrics = true;
  pods.columns = {{"CPU"}, {"Memory"}, {"Window"}};
  pods.cells = [](const json& m) {
    uint64_t cpu = 0, mem = 0;
    for (const json& c : m.value("containers", json::array())) {
      // Our own quantities: "<n>n" and "<n>Ki".
      cpu += std::strtoull(StringAt(c, "usage.cpu").c_str(), nullptr, 10);
      mem += std::strtoull(StringAt(c, "usage.memory").c_str(), nullptr, 10) * 1024;
    }
    return json::array({CpuQuantity(cpu), MemoryQuantity(mem), StringAt(m, "window")});
  };
  pods.read_only_reason =
      "metrics.k8s.io is computed from the model servers' usage; it cannot be written";
  pods.read_only_delete = false;
  kinds->push_back(pods);

  KindInfo nodes = pods;
  nodes.plural = "nodes";
  nodes.kind = "NodeMetrics";
  nodes.namespaced = false;
  nodes.cells = [](const json& m) {
    return json::array(
        {StringAt(m, "usage.cpu"), StringAt(m, "usage.memory"), StringAt(m, "window")});
  };
  nodes.read_only_reason =
      "metrics.k8s.io is computed from the machine's usage; it cannot be written";
  kinds->push_back(nodes);
}

void ApiServer::Impl::HandleMetrics(http::HttpRequest& req, const KindInfo& kind,
                                    const ResourcePath& path, bool watch, const Query& query,
                                    const http::Responder& responder) {
  if (req.method != "GET" || watch) {
    return responder.Send(ErrorResponse(MethodNotAllowed(
        "metrics.k8s.io serves get and list only (kubectl top pod/node); it cannot be " +
        std::string(watch ? "watched" : "written"))));
  }
  auto param = [&](std::string_view k) {
    auto it = query.find(k);
    return it == query.end() ? std::string() : it->second;
  };
  auto sel = store::MakeSelector(path.ns, param("labelSelector"), param("fieldSelector"));
  if (!sel.ok()) return responder.Send(ErrorResponse(BadRequest(sel.status().message())));
  bool node_metrics = kind.kind == "NodeMetrics";
  const KindInfo* source_kind = FindKindByResource("", "v1", node_metrics ? "nodes" : "pods");
  json all;
  ApiError err = service.List(*source_kind, "v1", store::Selector{}, &all);
  if (!err.ok()) return responder.Send(ErrorResponse(err));
  std::vector<json> objects(all["items"].begin(), all["items"].end());
  std::vector<json> pods = objects;
  if (node_metrics) {  // the sampler keeps one window for pods and node: give it the pods
    json all_pods;
    err = service.List(*FindKindByResource("", "v1", "pods"), "v1", store::Selector{}, &all_pods);
    if (!err.ok()) return responder.Send(ErrorResponse(err));
    pods.assign(all_pods["items"].begin(), all_pods["items"].end());
  }
  UsageReport report = usage ? usage(pods) : UsageReport{};
  std::vector<json> items;
  for (const json& obj : objects) {
    if (!sel->Matches(obj)) continue;
    if (!path.name.empty() && path.name != StringAt(obj, "metadata.name")) continue;
    if (node_metrics) {
      if (report.node) items.push_back(NodeMetricsObject(obj, *report.node, report));
      continue;
    }
    std::string key = StringAt(obj, "metadata.namespace") + "/" + StringAt(obj, "metadata.name");
    auto u = report.pods.find(key);
    if (u != report.pods.end()) items.push_back(PodMetricsObject(obj, u->second, report));
  }
  if (!path.name.empty()) {
    if (items.empty()) {
      // metrics-server's words: podmetrics.metrics.k8s.io "NS/NAME" not found,
      // nodemetrics.metrics.k8s.io "NAME" not found.
      KindInfo named = kind;
      named.plural = node_metrics ? "nodemetrics" : "podmetrics";
      return responder.Send(
          ErrorResponse(NotFound(named, node_metrics ? path.name : path.ns + "/" + path.name)));
    }
    return responder.Send(JsonResponse(200, items.front()));
  }
  if (WantsTable(req.Header("accept"))) {
    return responder.Send(JsonResponse(200, BuildTable(kind, items, "", param("includeObject")),
                                       "application/json;as=Table;v=v1;g=meta.k8s.io"));
  }
  json list = {{"kind", kind.kind + "List"},
               {"apiVersion", "metrics.k8s.io/v1beta1"},
               {"metadata", json::object()},
               {"items", items}};
  responder.Send(JsonResponse(200, list));
}

}  // namespace ferry::api
