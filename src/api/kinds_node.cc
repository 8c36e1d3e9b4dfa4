// v1 Node: the one machine `ferry up` runs on, written by Ferry at every start
// (main/node_object.h) and shown as kubectl shows a node — `kubectl get nodes`
// (Status, Roles, Age, Version; -o wide adds addresses, OS, kernel and
// runtime), `kubectl describe node` and, with NodeMetrics (pod_metrics.cc),
// `kubectl top node`. Read-only for users.
#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

// kubectl's node printer: Ready/NotReady/Unknown from the Ready condition,
// ",SchedulingDisabled" when cordoned.
std::string NodeStatus(const json& node) {
  std::string status = "Unknown";
  const json& conds = At(node, "status.conditions");
  for (const json& c : conds.is_array() ? conds : json::array()) {
    if (c.is_object() && c.value("type", "") == "Ready") {
      status = c.value("status", "") == "True" ? "Ready" : "NotReady";
    }
  }
  if (At(node, "spec.unschedulable") == true) status += ",SchedulingDisabled";
  return status;
}

// Roles from node-role.kubernetes.io/<role> labels (and kubernetes.io/role).
std::string NodeRoles(const json& node) {
  const json& labels = At(node, "metadata.labels");
  if (!labels.is_object()) return "<none>";
  std::string roles;
  constexpr std::string_view kPrefix = "node-role.kubernetes.io/";
  for (const auto& [k, v] : labels.items()) {
    std::string role;
    if (k.rfind(kPrefix, 0) == 0) role = k.substr(kPrefix.size());
    if (k == "kubernetes.io/role" && v.is_string()) role = v.get<std::string>();
    if (!role.empty()) roles += (roles.empty() ? "" : ",") + role;
  }
  return roles.empty() ? "<none>" : roles;
}

std::string Address(const json& node, std::string_view type) {
  const json& addrs = At(node, "status.addresses");
  for (const json& a : addrs.is_array() ? addrs : json::array()) {
    if (a.is_object() && a.value("type", "") == type) return a.value("address", "");
  }
  return "<none>";
}

}  // namespace

KindInfo NodeKind() {
  KindInfo node;
  node.versions = {"v1"};
  node.plural = "nodes";
  node.singular = "node";
  node.kind = "Node";
  node.namespaced = false;
  node.short_names = {"no"};
  node.strategic_merge = true;
  node.status_subresource = true;
  node.verbs = {"get", "list", "watch"};
  node.read_only_delete = false;
  node.read_only_reason =
      "the Node is the machine `ferry up` runs on; Ferry writes it at every start and it "
      "cannot be created, changed or deleted through the API";
  node.columns = {{"Status"}, {"Roles"}};
  node.wide_columns = {{"Version"},
                       {"Internal-IP", "string", 1},
                       {"External-IP", "string", 1},
                       {"OS-Image", "string", 1},
                       {"Kernel-Version", "string", 1},
                       {"Container-Runtime", "string", 1}};
  node.cells = [](const json& n) {
    return json::array({NodeStatus(n), NodeRoles(n), StringAt(n, "status.nodeInfo.kubeletVersion"),
                        Address(n, "InternalIP"), Address(n, "ExternalIP"),
                        StringAt(n, "status.nodeInfo.osImage"),
                        StringAt(n, "status.nodeInfo.kernelVersion"),
                        StringAt(n, "status.nodeInfo.containerRuntimeVersion")});
  };
  node.schema = R"({"spec":"*","status":"*"})";
  return node;
}

}  // namespace ferry::api
