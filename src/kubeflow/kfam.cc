#include "kubeflow/kfam.h"

#include <cctype>

namespace ferry::kubeflow {
namespace {

using nlohmann::json;

bool AsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// regexp "[^a-zA-Z0-9]+" → "-" (a run of bytes of a multi-byte character is
// one run, as Go's rune-wise match makes it).
std::string CollapseRuns(const std::string& in) {
  std::string out;
  bool in_run = false;
  for (char c : in) {
    if (AsciiAlnum(c)) {
      out.push_back(c);
      in_run = false;
    } else if (!in_run) {
      out.push_back('-');
      in_run = true;
    }
  }
  return out;
}

// KFAM's roleBindingNameMap, both directions.
std::string ClusterRoleFor(const std::string& role) { return "kubeflow-" + role; }
std::string RoleForClusterRole(const std::string& cluster_role) {
  const std::string prefix = "kubeflow-";
  if (cluster_role.rfind(prefix, 0) == 0) return cluster_role.substr(prefix.size());
  return "";
}

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_string()) return "";
  return obj[key].get<std::string>();
}

json Annotations(const Binding& b) { return {{"user", b.user}, {"role", b.role}}; }

}  // namespace

std::string BindingName(const Binding& b) {
  std::string raw = b.user_kind + "-" + CollapseRuns(b.user) + "-" + b.role_kind + "-" + b.role;
  for (char& c : raw) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return CollapseRuns(raw);
}

StatusOr<Binding> ParseBinding(const json& body) {
  if (!body.is_object()) return InvalidArgumentError("a binding must be a JSON object");
  Binding b;
  const json user = body.value("user", json());
  const json role_ref = body.value("roleRef", json());
  b.user = Str(user, "name");
  b.ns = Str(body, "referredNamespace");
  b.role = Str(role_ref, "name");
  if (!Str(user, "kind").empty()) b.user_kind = Str(user, "kind");
  if (!Str(role_ref, "kind").empty()) b.role_kind = Str(role_ref, "kind");
  if (b.user.empty()) return InvalidArgumentError("user.name: the contributor's email is required");
  if (b.ns.empty()) return InvalidArgumentError("referredNamespace: the profile is required");
  if (b.user_kind != "User") {
    return InvalidArgumentError("user.kind: \"" + b.user_kind + "\" is not supported (use User)");
  }
  if (b.role_kind != "ClusterRole") {
    return InvalidArgumentError("roleRef.kind: \"" + b.role_kind +
                                "\" is not supported (use ClusterRole)");
  }
  if (b.role != "edit" && b.role != "view") {
    return InvalidArgumentError("roleRef.name: \"" + b.role +
                                "\" is not a contributor role (use edit or view)");
  }
  return b;
}

json BindingJson(const Binding& b) {
  return {{"user", {{"kind", b.user_kind}, {"name", b.user}}},
          {"referredNamespace", b.ns},
          {"roleRef", {{"kind", b.role_kind}, {"name", b.role}}}};
}

json ContributorRoleBinding(const Binding& b) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "RoleBinding"},
          {"metadata",
           {{"name", BindingName(b)}, {"namespace", b.ns}, {"annotations", Annotations(b)}}},
          {"roleRef",
           {{"apiGroup", "rbac.authorization.k8s.io"},
            {"kind", b.role_kind},
            {"name", ClusterRoleFor(b.role)}}},
          {"subjects",
           json::array({{{"apiGroup", "rbac.authorization.k8s.io"},
                         {"kind", b.user_kind},
                         {"name", b.user}}})}};
}

json ContributorPolicy(const Binding& b, const PolicyOptions& o) {
  json rule = {{"when", json::array({{{"key", "request.headers[" + o.userid_header + "]"},
                                      {"values", json::array({o.userid_prefix + b.user})}}})},
               {"from", json::array({{{"source", {{"principals", o.gateway_principals}}}}})}};
  return {{"apiVersion", "security.istio.io/v1beta1"},
          {"kind", "AuthorizationPolicy"},
          {"metadata",
           {{"name", BindingName(b)}, {"namespace", b.ns}, {"annotations", Annotations(b)}}},
          {"spec", {{"rules", json::array({std::move(rule)})}}}};
}

json ListBindings(const json& role_bindings, const std::string& ns, const std::string& user,
                  const std::string& role) {
  json out = json::array();
  if (!role_bindings.is_array()) return {{"bindings", out}};
  for (const json& rb : role_bindings) {
    json annotations = rb.contains("metadata") ? rb["metadata"].value("annotations", json())
                                               : json();
    std::string user_val = Str(annotations, "user"), role_val = Str(annotations, "role");
    if (user_val.empty() || role_val.empty()) continue;
    if ((!user.empty() && user != user_val) || (!role.empty() && role != role_val)) continue;
    const json subjects = rb.value("subjects", json());
    if (!subjects.is_array() || subjects.size() != 1) continue;
    json role_ref = rb.value("roleRef", json::object());
    out.push_back({{"user", {{"kind", Str(subjects[0], "kind")}, {"name", Str(subjects[0], "name")}}},
                   {"referredNamespace", ns},
                   {"roleRef",
                    {{"kind", Str(role_ref, "kind")},
                     {"name", RoleForClusterRole(Str(role_ref, "name"))}}}});
  }
  return {{"bindings", std::move(out)}};
}

}  // namespace ferry::kubeflow
