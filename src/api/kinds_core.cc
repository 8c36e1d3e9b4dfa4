// Core v1 kinds: Namespace, Secret, ServiceAccount, ConfigMap, Service; Pod and Event
// in their own files.
#include <functional>

#include "api/encoding.h"
#include "api/kinds.h"
#include "api/quota.h"

namespace ferry::api {
namespace {

using nlohmann::json;

KindInfo Core(std::string plural, std::string kind, std::vector<std::string> short_names = {}) {
  KindInfo k;
  k.versions = {"v1"};
  k.singular = kind;
  for (char& c : k.singular) c = static_cast<char>(std::tolower(c));
  k.plural = std::move(plural);
  k.kind = std::move(kind);
  k.short_names = std::move(short_names);
  k.strategic_merge = true;
  return k;
}

int Count(const json& v) { return v.is_object() || v.is_array() ? static_cast<int>(v.size()) : 0; }

void DefaultSecret(json& obj) {
  if (!obj.contains("type")) obj["type"] = "Opaque";
  auto sd = obj.find("stringData");
  if (sd == obj.end()) return;
  if (sd->is_object()) {
    for (auto& [k, v] : sd->items()) {
      obj["data"][k] = Base64Encode(v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  obj.erase("stringData");  // like the real apiserver: folded into data, never stored
}

std::string PortsCell(const json& ports) {
  if (!ports.is_array() || ports.empty()) return "<none>";
  std::string out;
  for (const json& p : ports) {
    if (!out.empty()) out += ",";
    std::string proto = StringAt(p, "protocol");
    out += At(p, "port").dump();
    if (!At(p, "nodePort").is_null()) out += ":" + At(p, "nodePort").dump();
    out += "/" + (proto.empty() ? std::string("TCP") : proto);
  }
  return out;
}

std::string ExternalIpCell(const json& svc) {
  std::string out;
  for (const json& ing : At(svc, "status.loadBalancer.ingress")) {
    std::string v = StringAt(ing, "ip").empty() ? StringAt(ing, "hostname") : StringAt(ing, "ip");
    if (!v.empty()) out += (out.empty() ? "" : ",") + v;
  }
  for (const json& ip : At(svc, "spec.externalIPs")) {
    if (ip.is_string()) out += (out.empty() ? "" : ",") + ip.get<std::string>();
  }
  if (!out.empty()) return out;
  return StringAt(svc, "spec.type") == "LoadBalancer" ? "<pending>" : "<none>";
}

std::string SelectorCell(const json& svc) {
  std::string out;
  const json& sel = At(svc, "spec.selector");
  if (!sel.is_object()) return "<none>";
  for (auto& [k, v] : sel.items()) {
    out += (out.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out.empty() ? "<none>" : out;
}

// Deterministic per service so re-creating a service keeps its address.
uint32_t ServiceHash(const json& svc) {
  return static_cast<uint32_t>(std::hash<std::string>()(StringAt(svc, "metadata.namespace") + "/" +
                                                        StringAt(svc, "metadata.name")));
}

void DefaultService(json& obj) {
  json& spec = obj["spec"];
  if (!spec.is_object()) spec = json::object();
  if (!spec.contains("type")) spec["type"] = "ClusterIP";
  if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
  uint32_t h = ServiceHash(obj);
  if (!spec.contains("clusterIP") && spec["type"] != "ExternalName") {
    spec["clusterIP"] =
        "10.96." + std::to_string((h >> 8) % 256) + "." + std::to_string(h % 254 + 1);
    spec["clusterIPs"] = json::array({spec["clusterIP"]});
  }
  bool node_ports = spec["type"] == "LoadBalancer" || spec["type"] == "NodePort";
  if (!spec.contains("ports") || !spec["ports"].is_array()) return;
  int i = 0;
  for (json& p : spec["ports"]) {
    if (!p.is_object()) continue;
    if (!p.contains("protocol")) p["protocol"] = "TCP";
    if (!p.contains("targetPort") && p.contains("port")) p["targetPort"] = p["port"];
    if (node_ports && !p.contains("nodePort")) p["nodePort"] = 30000 + (h + 7 * i) % 2768;
    ++i;
  }
}

std::vector<FieldError> ValidateService(const json& obj) {
  std::vector<FieldError> errs;
  const json& ports = At(obj, "spec.ports");
  for (size_t i = 0; ports.is_array() && i < ports.size(); ++i) {
    const json& port = ports[i].is_object() ? ports[i].value("port", json()) : json();
    if (!port.is_number_integer() || port.get<int64_t>() < 1 || port.get<int64_t>() > 65535) {
      errs.push_back(
          {"spec.ports[" + std::to_string(i) + "].port", "FieldValueInvalid",
           "Invalid value: " + port.dump() + ": must be between 1 and 65535, inclusive"});
    }
  }
  return errs;
}

// "count/pods: 1/2, cpu: 0/4" from status, limits.* keys in the second cell,
// sorted by key (kubectl's printer).
json QuotaCells(const json& o) {
  const json& hard = At(o, "status.hard");
  const json& used = At(o, "status.used");
  std::string request, limit;
  if (hard.is_object()) {
    for (const auto& [key, v] : hard.items()) {
      std::string& cell = key.rfind("limits.", 0) == 0 ? limit : request;
      const json& u = used.is_object() && used.contains(key) ? used[key] : json("0");
      cell += (cell.empty() ? "" : ", ") + key + ": " +
              (u.is_string() ? u.get<std::string>() : u.dump()) + "/" +
              (v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  return json::array({request, limit});
}

}  // namespace

void AddCoreKinds(std::vector<KindInfo>* kinds) {
  KindInfo ns = Core("namespaces", "Namespace", {"ns"});
  ns.namespaced = false;
  ns.status_subresource = true;
  ns.columns = {{"Status"}};
  ns.cells = [](const json& o) { return json::array({StringAt(o, "status.phase")}); };
  ns.defaults = [](json& o) {
    if (!o["status"].is_object()) o["status"] = json::object();
    if (StringAt(o, "status.phase").empty()) o["status"]["phase"] = "Active";
  };
  ns.schema = R"({"spec":"*","status":"*"})";
  kinds->push_back(ns);

  KindInfo secret = Core("secrets", "Secret");
  secret.columns = {{"Type"}, {"Data", "integer"}};
  secret.cells = [](const json& o) {
    return json::array({StringAt(o, "type"), Count(o.value("data", json()))});
  };
  secret.defaults = DefaultSecret;
  secret.schema = R"({"data":"*","stringData":"*","type":"*","immutable":"*"})";
  kinds->push_back(secret);

  KindInfo sa = Core("serviceaccounts", "ServiceAccount", {"sa"});
  sa.columns = {{"Secrets", "integer"}};
  sa.cells = [](const json& o) { return json::array({Count(o.value("secrets", json()))}); };
  sa.schema = R"({"secrets":"*","imagePullSecrets":"*","automountServiceAccountToken":"*"})";
  kinds->push_back(sa);

  // Kubeflow's profile controller writes kf-resource-quota; object counts are
  // enforced and shown in status (quota.h).
  KindInfo quota = Core("resourcequotas", "ResourceQuota", {"quota"});
  quota.status_subresource = true;
  quota.decode_error = ResourceQuotaDecodeError;
  quota.wide_columns = {{"Request"}, {"Limit"}};  // after Age, as kubectl prints them
  quota.cells = QuotaCells;
  quota.validate = ValidateResourceQuota;
  quota.schema = R"({"spec":"*","status":"*"})";
  kinds->push_back(quota);

  KindInfo cm = Core("configmaps", "ConfigMap", {"cm"});
  cm.columns = {{"Data", "integer"}};
  cm.cells = [](const json& o) {
    return json::array({Count(o.value("data", json())) + Count(o.value("binaryData", json()))});
  };
  cm.schema = R"({"data":"*","binaryData":"*","immutable":"*"})";
  kinds->push_back(cm);

  KindInfo svc = Core("services", "Service", {"svc"});
  svc.status_subresource = true;
  svc.categories = {"all"};
  svc.columns = {{"Type"}, {"Cluster-IP"}, {"External-IP"}, {"Port(s)"}};
  svc.wide_columns = {{"Selector", "string", 1}};
  svc.cells = [](const json& o) {
    return json::array({StringAt(o, "spec.type"), StringAt(o, "spec.clusterIP"), ExternalIpCell(o),
                        PortsCell(At(o, "spec.ports")), SelectorCell(o)});
  };
  svc.defaults = DefaultService;
  svc.validate = ValidateService;
  svc.schema = R"({"spec":"*","status":"*"})";
  kinds->push_back(svc);

  kinds->push_back(PodKind());
  kinds->push_back(NodeKind());
  AddEventKinds(kinds);
}

}  // namespace ferry::api
