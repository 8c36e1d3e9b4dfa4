// Internal: helpers shared by the AuthorizationPolicy and
// RequestAuthentication compilers (policy_compile.cc, authn_compile.cc).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/strings.h"
#include "gateway/policy_model.h"

namespace ferry::gateway::compile {

using nlohmann::json;

struct Ctx {
  std::string id;  // "AuthorizationPolicy ns/name"
  Action action = Action::kAllow;
  std::string ns;  // the object's namespace
  Status Error(const std::string& where, const std::string& why, const std::string& fix) const {
    return InvalidArgumentError(id + ": " + where + ": " + why + "; fix: " + fix);
  }
};

struct Meta {
  std::string name, ns;
  const json* spec = nullptr;
  const json* annotations = nullptr;
};

inline StatusOr<Meta> ReadMeta(const json& obj, const char* kind) {
  Meta m;
  static const json kEmpty = json::object();
  auto md = obj.is_object() ? obj.find("metadata") : obj.end();
  if (!obj.is_object() || md == obj.end() || !md->is_object()) {
    return InvalidArgumentError(std::string(kind) +
                                ": object has no metadata; fix: set "
                                "metadata.name and metadata.namespace");
  }
  m.name = md->value("name", "");
  m.ns = md->value("namespace", "");
  if (m.name.empty() || m.ns.empty()) {
    return InvalidArgumentError(std::string(kind) + " '" + m.name +
                                "': metadata.name and metadata.namespace are required");
  }
  auto spec = obj.find("spec");
  m.spec = spec != obj.end() && spec->is_object() ? &*spec : &kEmpty;
  auto ann = md->find("annotations");
  m.annotations = ann != md->end() && ann->is_object() ? &*ann : nullptr;
  return m;
}

inline Status ReadSelector(const Ctx& c, const json& spec, bool* has,
                           std::map<std::string, std::string, std::less<>>* out) {
  if (spec.contains("targetRef") || spec.contains("targetRefs")) {
    return UnimplementedError(c.id +
                              ": spec.targetRef(s) is not supported by Ferry's gateway; "
                              "fix: use spec.selector.matchLabels");
  }
  auto sel = spec.find("selector");
  if (sel == spec.end() || sel->is_null()) {
    return OkStatus();
  }
  auto ml = sel->is_object() ? sel->find("matchLabels") : sel->end();
  if (ml == sel->end() || !ml->is_object()) {
    return OkStatus();
  }
  *has = true;
  for (const auto& [k, v] : ml->items()) {
    if (k.empty() || !v.is_string() || v.get<std::string>().find('*') != std::string::npos) {
      return c.Error("spec.selector.matchLabels", "has an empty key, a non-string or a '*' value",
                     "use exact label values");
    }
    (*out)[k] = v.get<std::string>();
  }
  return OkStatus();
}

}  // namespace ferry::gateway::compile
