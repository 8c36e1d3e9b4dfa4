// rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding and
// ClusterRoleBinding: Kubernetes' defaults (subject and roleRef apiGroup),
// validation (pkg/apis/rbac/validation, with its messages; roleRef
// immutable), path-segment names, and kubectl's columns (roles: Name,
// Created At; bindings: Name, Role, Age, wide Users/Groups/ServiceAccounts).
// Also the create-only review kinds of authorization.k8s.io/v1 and
// authentication.k8s.io/v1 (answered by review_handlers.cc, never stored).
#include "api/encoding.h"
#include "api/kinds.h"
#include "auth/policy_rule.h"
#include "auth/request_info.h"

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr char kGroup[] = "rbac.authorization.k8s.io";

// Go's %#v of a []string: []string{"a", "b"}.
std::string GoStringSlice(const json& list) {
  std::string out = "[]string{";
  bool first = true;
  for (const json& v : list) {
    out += (first ? "" : ", ") + auth::GoQuote(v.is_string() ? v.get<std::string>() : v.dump());
    first = false;
  }
  return out + "}";
}

std::string Supported(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + auth::GoQuote(values[i]);
  return out;
}

FieldError NotSupported(const std::string& field, const std::string& value,
                        const std::vector<std::string>& supported) {
  return {
      field, "FieldValueNotSupported",
      "Unsupported value: " + auth::GoQuote(value) + ": supported values: " + Supported(supported)};
}

FieldError Required(const std::string& field, const std::string& detail = "") {
  return {field, "FieldValueRequired", "Required value" + (detail.empty() ? "" : ": " + detail)};
}

bool StringList(const json& v) {
  if (v.is_null()) return true;
  if (!v.is_array()) return false;
  for (const json& s : v) {
    if (!s.is_string()) return false;
  }
  return true;
}

size_t Len(const json& obj, const char* key) {
  const json& v = At(obj, key);
  return v.is_array() ? v.size() : 0;
}

void ValidateRules(const json& obj, bool namespaced, std::vector<FieldError>* errs) {
  const json& rules = At(obj, "rules");
  if (rules.is_null()) return;
  if (!rules.is_array()) {
    errs->push_back({"rules", "FieldValueInvalid", "Invalid value: must be a list of rules"});
    return;
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string p = "rules[" + std::to_string(i) + "]";
    const json& r = rules[i];
    bool typed = r.is_object();
    for (const char* f : {"verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"}) {
      if (typed && !StringList(At(r, f))) {
        errs->push_back(
            {p + "." + f, "FieldValueInvalid", "Invalid value: must be a list of strings"});
        typed = false;
      }
    }
    if (!typed) continue;
    if (Len(r, "verbs") == 0)
      errs->push_back(Required(p + ".verbs", "verbs must contain at least one value"));
    if (Len(r, "nonResourceURLs") > 0) {
      std::string urls = GoStringSlice(r["nonResourceURLs"]);
      if (namespaced) {
        errs->push_back(
            {p + ".nonResourceURLs", "FieldValueInvalid",
             "Invalid value: " + urls + ": namespaced rules cannot apply to non-resource URLs"});
      }
      if (Len(r, "apiGroups") > 0 || Len(r, "resources") > 0 || Len(r, "resourceNames") > 0) {
        errs->push_back({p + ".nonResourceURLs", "FieldValueInvalid",
                         "Invalid value: " + urls +
                             ": rules cannot apply to both regular resources and non-resource "
                             "URLs"});
      }
      continue;
    }
    if (Len(r, "apiGroups") == 0) {
      errs->push_back(
          Required(p + ".apiGroups", "resource rules must supply at least one api group"));
    }
    if (Len(r, "resources") == 0) {
      errs->push_back(
          Required(p + ".resources", "resource rules must supply at least one resource"));
    }
    if (Len(r, "resourceNames") > 0 && Len(r, "resources") > 1) {
      errs->push_back(
          Required(p + ".resourceNames", "resource names cannot apply to multiple resources"));
    }
  }
}

std::vector<FieldError> ValidateRole(const json& obj) {
  std::vector<FieldError> errs;
  ValidateRules(obj, true, &errs);
  return errs;
}

std::vector<FieldError> ValidateClusterRole(const json& obj) {
  std::vector<FieldError> errs;
  ValidateRules(obj, false, &errs);
  const json& agg = At(obj, "aggregationRule");
  if (!agg.is_null() && (!agg.is_object() || !(At(agg, "clusterRoleSelectors").is_null() ||
                                               At(agg, "clusterRoleSelectors").is_array()))) {
    errs.push_back({"aggregationRule", "FieldValueInvalid",
                    "Invalid value: clusterRoleSelectors must be a list of label selectors"});
  }
  return errs;
}

void DefaultBinding(json& obj) {
  if (!obj["roleRef"].is_object()) obj["roleRef"] = json::object();
  if (StringAt(obj, "roleRef.apiGroup").empty()) obj["roleRef"]["apiGroup"] = kGroup;
  json& subjects = obj["subjects"];
  if (subjects.is_null()) {
    obj.erase("subjects");
    return;
  }
  if (!subjects.is_array()) return;
  for (json& s : subjects) {
    if (!s.is_object() || !StringAt(s, "apiGroup").empty()) continue;
    std::string kind = StringAt(s, "kind");
    if (kind == "User" || kind == "Group") s["apiGroup"] = kGroup;
  }
}

std::vector<FieldError> ValidateBinding(const json& obj, bool namespaced) {
  std::vector<FieldError> errs;
  std::string group = StringAt(obj, "roleRef.apiGroup");
  if (group != kGroup) errs.push_back(NotSupported("roleRef.apiGroup", group, {kGroup}));
  std::string kind = StringAt(obj, "roleRef.kind");
  std::vector<std::string> kinds = namespaced ? std::vector<std::string>{"Role", "ClusterRole"}
                                              : std::vector<std::string>{"ClusterRole"};
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    errs.push_back(NotSupported("roleRef.kind", kind, kinds));
  }
  std::string name = StringAt(obj, "roleRef.name");
  if (name.empty()) errs.push_back(Required("roleRef.name"));
  for (const std::string& msg : auth::PathSegmentNameErrors(name)) {
    if (!name.empty()) {
      errs.push_back({"roleRef.name", "FieldValueInvalid",
                      "Invalid value: " + auth::GoQuote(name) + ": " + msg});
    }
  }
  const json& subjects = At(obj, "subjects");
  if (!subjects.is_null() && !subjects.is_array()) {
    errs.push_back({"subjects", "FieldValueInvalid", "Invalid value: must be a list of subjects"});
    return errs;
  }
  for (size_t i = 0; subjects.is_array() && i < subjects.size(); ++i) {
    std::string p = "subjects[" + std::to_string(i) + "]";
    const json& s = subjects[i];
    std::string sname = StringAt(s, "name"), skind = StringAt(s, "kind");
    std::string sgroup = StringAt(s, "apiGroup");
    if (sname.empty()) errs.push_back(Required(p + ".name"));
    if (skind == "ServiceAccount") {
      if (!sgroup.empty()) errs.push_back(NotSupported(p + ".apiGroup", sgroup, {""}));
      if (!namespaced && StringAt(s, "namespace").empty()) {
        errs.push_back(Required(p + ".namespace"));
      }
    } else if (skind == "User" || skind == "Group") {
      if (sname.empty()) {
        errs.push_back({p + ".name", "FieldValueInvalid",
                        "Invalid value: \"\": " + std::string(skind == "User" ? "user" : "group") +
                            " name cannot be empty"});
      }
      if (sgroup != kGroup) errs.push_back(NotSupported(p + ".apiGroup", sgroup, {kGroup}));
    } else {
      errs.push_back(NotSupported(p + ".kind", skind, {"ServiceAccount", "User", "Group"}));
    }
  }
  return errs;
}

std::vector<FieldError> RoleRefUnchanged(const json& obj, const json& old) {
  auto ref = [](const json& o) {
    return std::vector<std::string>{StringAt(o, "roleRef.apiGroup"), StringAt(o, "roleRef.kind"),
                                    StringAt(o, "roleRef.name")};
  };
  if (ref(obj) == ref(old)) return {};
  std::vector<std::string> r = ref(obj);
  return {{"roleRef", "FieldValueInvalid",
           "Invalid value: rbac.RoleRef{APIGroup:" + auth::GoQuote(r[0]) + ", Kind:" +
               auth::GoQuote(r[1]) + ", Name:" + auth::GoQuote(r[2]) + "}: cannot change roleRef"}};
}

json CreatedAt(const json& obj) { return StringAt(obj, "metadata.creationTimestamp"); }

// Users, Groups and ServiceAccounts columns of a binding (kubectl -o wide).
json SubjectCells(const json& obj) {
  std::string users, groups, sas;
  for (const json& s : At(obj, "subjects")) {
    std::string kind = StringAt(s, "kind"), name = StringAt(s, "name");
    std::string* into = kind == "User" ? &users : kind == "Group" ? &groups : &sas;
    if (kind == "ServiceAccount") name = StringAt(s, "namespace") + "/" + name;
    if (kind != "User" && kind != "Group" && kind != "ServiceAccount") continue;
    *into += (into->empty() ? "" : ", ") + name;
  }
  return json::array({users, groups, sas});
}

KindInfo Rbac(std::string plural, std::string kind, bool namespaced) {
  KindInfo k;
  k.group = kGroup;
  k.versions = {"v1"};
  k.singular = kind;
  for (char& c : k.singular) c = static_cast<char>(std::tolower(c));
  k.plural = std::move(plural);
  k.kind = std::move(kind);
  k.namespaced = namespaced;
  k.path_segment_names = true;
  // Built-in types: kubectl apply patches them strategically (rules and
  // subjects carry no merge key, so they are replaced as wholes).
  k.strategic_merge = true;
  return k;
}

constexpr char kRuleSchema[] =
    R"({"verbs":"*","apiGroups":"*","resources":"*","resourceNames":"*","nonResourceURLs":"*"})";
constexpr char kBindingSchema[] =
    R"({"subjects":{"kind":"*","apiGroup":"*","name":"*","namespace":"*"},)"
    R"("roleRef":{"apiGroup":"*","kind":"*","name":"*"}})";

}  // namespace

void AddRbacKinds(std::vector<KindInfo>* kinds) {
  for (bool namespaced : {true, false}) {
    KindInfo role =
        namespaced ? Rbac("roles", "Role", true) : Rbac("clusterroles", "ClusterRole", false);
    role.age_column = false;
    role.columns = {{"Created At", "date"}};
    role.cells = [](const json& o) { return json::array({CreatedAt(o)}); };
    role.validate = namespaced ? ValidateRole : ValidateClusterRole;
    role.schema = namespaced ? std::string(R"({"rules":)") + kRuleSchema + "}"
                             : std::string(R"({"rules":)") + kRuleSchema +
                                   R"(,"aggregationRule":{"clusterRoleSelectors":)"
                                   R"({"matchLabels":"*","matchExpressions":"*"}}})";
    kinds->push_back(role);

    KindInfo binding = namespaced ? Rbac("rolebindings", "RoleBinding", true)
                                  : Rbac("clusterrolebindings", "ClusterRoleBinding", false);
    binding.columns = {{"Role"}};
    binding.wide_columns = {
        {"Users", "string", 1}, {"Groups", "string", 1}, {"ServiceAccounts", "string", 1}};
    binding.cells = [](const json& o) {
      json cells = json::array({StringAt(o, "roleRef.kind") + "/" + StringAt(o, "roleRef.name")});
      for (json& c : SubjectCells(o)) cells.push_back(std::move(c));
      return cells;
    };
    binding.defaults = DefaultBinding;
    binding.validate = [namespaced](const json& o) { return ValidateBinding(o, namespaced); };
    binding.validate_update = RoleRefUnchanged;
    binding.schema = kBindingSchema;
    kinds->push_back(binding);
  }
}

void AddReviewKinds(std::vector<KindInfo>* kinds) {
  struct Review {
    const char* group;
    const char* plural;
    const char* kind;
    bool namespaced;
  };
  for (const Review& r :
       {Review{"authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
               false},
        Review{"authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false},
        Review{"authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview", false},
        Review{"authorization.k8s.io", "localsubjectaccessreviews", "LocalSubjectAccessReview",
               true},
        Review{"authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview", false},
        Review{"authentication.k8s.io", "tokenreviews", "TokenReview", false}}) {
    KindInfo k;
    k.group = r.group;
    k.versions = {"v1"};
    k.plural = r.plural;
    k.kind = r.kind;
    k.singular = k.kind;
    for (char& c : k.singular) c = static_cast<char>(std::tolower(c));
    k.namespaced = r.namespaced;
    k.verbs = {"create"};
    k.stored = false;
    kinds->push_back(k);
  }
}

}  // namespace ferry::api
