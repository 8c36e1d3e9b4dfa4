// Compiles AuthorizationPolicy / RequestAuthentication JSON into the policy
// model, applying Istio's validation rules [IST-VAL] so bad YAML fails here
// the same way the Istio webhook would reject it.
#include <nlohmann/json.hpp>

#include "gateway/compile_util.h"

namespace ferry::gateway {
namespace {

using compile::Ctx;
using compile::Meta;
using compile::ReadMeta;
using compile::ReadSelector;
using nlohmann::json;

StatusOr<std::vector<std::string>> StringList(const Ctx& c, const json& obj, const char* key,
                                              const std::string& where, bool* present) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  *present = it != obj.end() && !it->is_null();
  if (!*present) {
    return out;
  }
  if (!it->is_array()) {
    return c.Error(where + "." + key, "must be a list of strings", "write it as a YAML list");
  }
  for (const auto& v : *it) {
    if (v.is_number_integer()) {
      out.push_back(std::to_string(v.get<int64_t>()));
      continue;
    }
    if (!v.is_string() || v.get<std::string>().empty()) {
      return c.Error(where + "." + key, "contains an empty or non-string value",
                     "remove empty entries");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Builds one compiled value for `attr` from its textual form.
StatusOr<Value> MakeValue(const Ctx& c, Attr attr, const std::string& v, const std::string& where) {
  Value out;
  out.raw = v;
  switch (attr) {
    case Attr::kSourceIp:
    case Attr::kRemoteIp:
    case Attr::kDestIp: {
      auto cidr = Cidr::Parse(v);
      if (!cidr.ok()) {
        return c.Error(where, cidr.status().message(), "use an IP or CIDR like 10.0.0.0/8");
      }
      out.cidr = std::move(*cidr);
      break;
    }
    case Attr::kDestPort: {
      char* end = nullptr;
      long p = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || p < 0 || p > 65535) {
        return c.Error(where, "port '" + v + "' is not a number in 0-65535", "use e.g. \"8080\"");
      }
      out.port = static_cast<uint32_t>(p);
      break;
    }
    case Attr::kSourceNamespace:
      out.glob = "*/ns/" + v + "/*";
      break;
    case Attr::kSourceServiceAccount: {
      size_t slash = v.find('/');
      // `sa` alone means a service account in the policy's namespace.
      out.sa_ns = slash == std::string::npos ? c.ns : v.substr(0, slash);
      out.sa_name = slash == std::string::npos ? v : v.substr(slash + 1);
      break;
    }
    case Attr::kRequestPrincipal: {
      size_t slash = v.rfind('/');
      if (v == "*") {
        out.str = StringPattern::Parse("*");
        out.sub = StringPattern::Parse("*");
        out.has_sub = true;
      } else if (slash == std::string::npos) {
        out.str = StringPattern::Parse(v);
      } else {
        out.str = StringPattern::Parse(v.substr(0, slash));
        out.sub = StringPattern::Parse(v.substr(slash + 1));
        out.has_sub = true;
      }
      break;
    }
    case Attr::kPath:
      if (PathTemplate::IsTemplate(v)) {
        auto t = PathTemplate::Parse(v);
        if (!t.ok()) {
          return c.Error(where, t.status().message(), "see Istio path template rules");
        }
        out.tmpl = std::move(*t);
        break;
      }
      out.str = StringPattern::Parse(v);
      break;
    case Attr::kHost:
      out.str = StringPattern::Parse(v, /*ignore_case=*/true);
      break;
    case Attr::kHeader:
      out.header_present = v == "*";
      out.str = StringPattern::Parse(v);
      break;
    default:
      out.str = StringPattern::Parse(v);
      break;
  }
  return out;
}

Status AddClause(const Ctx& c, Group* g, Attr attr, bool negate, const std::string& field,
                 const std::vector<std::string>& values, Clause proto = {}) {
  Clause cl = std::move(proto);
  cl.attr = attr;
  cl.negate = negate;
  cl.field = field;
  for (const auto& v : values) {
    ASSIGN_OR_RETURN(Value val, MakeValue(c, attr, v, field));
    cl.values.push_back(std::move(val));
  }
  g->clauses.push_back(std::move(cl));
  return OkStatus();
}

struct FieldSpec {
  const char* name;
  const char* not_name;
  Attr attr;
  bool custom_forbidden;
};

Status CompileFields(const Ctx& c, const json& obj, const std::string& where,
                     std::initializer_list<FieldSpec> specs, Group* g) {
  if (!obj.is_object() || obj.empty()) {
    return c.Error(where, "is empty", "set at least one field or remove the entry");
  }
  for (const auto& [key, _] : obj.items()) {
    bool known = false;
    for (const auto& s : specs) {
      known = known || key == s.name || key == s.not_name;
    }
    if (!known) {
      return c.Error(where + "." + key, "is not a supported field",
                     "check the spelling against the AuthorizationPolicy API");
    }
  }
  for (const auto& s : specs) {
    for (bool neg : {false, true}) {
      const char* name = neg ? s.not_name : s.name;
      bool present = false;
      ASSIGN_OR_RETURN(auto values, StringList(c, obj, name, where, &present));
      if (!present) {
        continue;
      }
      if (c.action == Action::kCustom && s.custom_forbidden) {
        return c.Error(where + "." + name, "is not supported with action CUSTOM",
                       "CUSTOM runs before authentication; use a DENY/ALLOW policy for it");
      }
      RETURN_IF_ERROR(AddClause(c, g, s.attr, neg, where + "." + name, values));
    }
  }
  return OkStatus();
}

StatusOr<Clause> ConditionKey(const Ctx& c, const std::string& key, const std::string& where) {
  Clause cl;
  static const std::pair<const char*, Attr> kSimple[] = {
      {"source.ip", Attr::kSourceIp},
      {"remote.ip", Attr::kRemoteIp},
      {"source.namespace", Attr::kSourceNamespace},
      {"source.principal", Attr::kSourcePrincipal},
      {"source.serviceAccount", Attr::kSourceServiceAccount},
      {"source.trustDomain", Attr::kSourceTrustDomain},
      {"request.auth.principal", Attr::kRequestPrincipal},
      {"request.auth.audiences", Attr::kAudience},
      {"request.auth.presenter", Attr::kPresenter},
      {"destination.ip", Attr::kDestIp},
      {"destination.port", Attr::kDestPort},
      {"connection.sni", Attr::kSni},
  };
  for (const auto& [k, a] : kSimple) {
    if (key == k) {
      cl.attr = a;
      return cl;
    }
  }
  auto brackets = [&](std::string_view rest, std::vector<std::string>* out) {
    while (!rest.empty()) {
      size_t close = rest.find(']');
      if (rest[0] != '[' || close == std::string_view::npos || close < 2) {
        return false;
      }
      out->emplace_back(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
    }
    return !out->empty();
  };
  std::vector<std::string> parts;
  if (key.rfind("request.headers", 0) == 0 && brackets(std::string_view(key).substr(15), &parts) &&
      parts.size() == 1) {
    cl.attr = Attr::kHeader;
    cl.key = AsciiLower(parts[0]);
    return cl;
  }
  if (key.rfind("request.auth.claims", 0) == 0 &&
      brackets(std::string_view(key).substr(19), &parts)) {
    cl.attr = Attr::kClaim;
    cl.claim_path = parts;
    cl.split_spaces = parts.size() == 1 && (parts[0] == "scope" || parts[0] == "permission");
    return cl;
  }
  if (key.rfind("experimental.envoy.filters.", 0) == 0) {
    return UnimplementedError(c.id + ": " + where + ": key '" + key +
                              "' (Envoy dynamic metadata) is not supported by Ferry's gateway; "
                              "fix: express the condition with request.* / source.* keys");
  }
  return c.Error(where, "unknown attribute '" + key + "'",
                 "use a key from the Istio authorization-policy conditions list");
}

Status CompileWhen(const Ctx& c, const json& when, Group* g, size_t rule) {
  if (!when.is_array()) {
    return c.Error("rules[" + std::to_string(rule) + "].when", "must be a list", "use a list");
  }
  for (size_t i = 0; i < when.size(); ++i) {
    const json& cond = when[i];
    std::string where = "rules[" + std::to_string(rule) + "].when[" + std::to_string(i) + "]";
    auto key = cond.is_object() ? cond.find("key") : cond.end();
    if (!cond.is_object() || key == cond.end() || !key->is_string() ||
        key->get<std::string>().empty()) {
      return c.Error(where, "has no key", "set key, e.g. request.headers[x-user]");
    }
    ASSIGN_OR_RETURN(Clause proto, ConditionKey(c, key->get<std::string>(), where));
    if (c.action == Action::kCustom &&
        (key->get<std::string>().rfind("source.", 0) == 0 ||
         key->get<std::string>().rfind("request.auth.", 0) == 0) &&
        proto.attr != Attr::kSourceIp) {
      return c.Error(where, "key '" + key->get<std::string>() + "' is not supported with CUSTOM",
                     "CUSTOM runs before authentication; move this check to a DENY policy");
    }
    bool has_v = false, has_nv = false;
    ASSIGN_OR_RETURN(auto values, StringList(c, cond, "values", where, &has_v));
    ASSIGN_OR_RETURN(auto not_values, StringList(c, cond, "notValues", where, &has_nv));
    if ((!has_v || values.empty()) && (!has_nv || not_values.empty())) {
      return c.Error(where, "has neither values nor notValues", "add values or notValues");
    }
    std::string label = "when " + key->get<std::string>();
    if (has_v && !values.empty()) {
      RETURN_IF_ERROR(AddClause(c, g, proto.attr, false, label, values, proto));
    }
    if (has_nv && !not_values.empty()) {
      RETURN_IF_ERROR(AddClause(c, g, proto.attr, true, label + " notValues", not_values, proto));
    }
  }
  return OkStatus();
}

Status CompileRule(const Ctx& c, const json& r, size_t idx, Rule* out) {
  std::string where = "rules[" + std::to_string(idx) + "]";
  if (!r.is_object()) {
    return c.Error(where, "is not an object", "use {} for a match-all rule");
  }
  static const std::initializer_list<FieldSpec> kSource = {
      {"principals", "notPrincipals", Attr::kSourcePrincipal, true},
      {"requestPrincipals", "notRequestPrincipals", Attr::kRequestPrincipal, true},
      {"namespaces", "notNamespaces", Attr::kSourceNamespace, true},
      {"serviceAccounts", "notServiceAccounts", Attr::kSourceServiceAccount, true},
      {"trustDomains", "notTrustDomains", Attr::kSourceTrustDomain, true},
      {"ipBlocks", "notIpBlocks", Attr::kSourceIp, false},
      {"remoteIpBlocks", "notRemoteIpBlocks", Attr::kRemoteIp, false}};
  static const std::initializer_list<FieldSpec> kOperation = {
      {"hosts", "notHosts", Attr::kHost, false},
      {"ports", "notPorts", Attr::kDestPort, false},
      {"methods", "notMethods", Attr::kMethod, false},
      {"paths", "notPaths", Attr::kPath, false}};
  for (const char* side : {"from", "to"}) {
    auto it = r.find(side);
    if (it == r.end() || it->is_null()) {
      continue;
    }
    if (!it->is_array() || it->empty()) {
      return c.Error(where + "." + side, "is an empty list",
                     "remove it (absent means any) or add entries");
    }
    bool from = side[0] == 'f';
    for (size_t i = 0; i < it->size(); ++i) {
      std::string w = where + "." + side + "[" + std::to_string(i) + "]";
      const json& entry = (*it)[i];
      auto inner = entry.is_object() ? entry.find(from ? "source" : "operation") : entry.end();
      if (inner == entry.end()) {
        return c.Error(w, std::string("has no ") + (from ? "source" : "operation"),
                       "write - source: {...} / - operation: {...}");
      }
      Group g;
      RETURN_IF_ERROR(CompileFields(c, *inner, w + (from ? ".source" : ".operation"),
                                    from ? kSource : kOperation, &g));
      (from ? out->from : out->to).push_back(std::move(g));
    }
  }
  if (auto w = r.find("when"); w != r.end() && !w->is_null()) {
    RETURN_IF_ERROR(CompileWhen(c, *w, &out->when, idx));
  }
  return OkStatus();
}

StatusOr<Policy> CompileApUnsafe(const json& object) {
  ASSIGN_OR_RETURN(Meta m, ReadMeta(object, "AuthorizationPolicy"));
  Ctx c{"AuthorizationPolicy " + m.ns + "/" + m.name, Action::kAllow, m.ns};
  Policy p;
  p.name = m.name;
  p.ns = m.ns;
  const json& spec = *m.spec;
  std::string action = spec.value("action", "ALLOW");
  static const std::pair<const char*, Action> kActions[] = {{"ALLOW", Action::kAllow},
                                                            {"DENY", Action::kDeny},
                                                            {"AUDIT", Action::kAudit},
                                                            {"CUSTOM", Action::kCustom}};
  bool known = false;
  for (const auto& [n, a] : kActions) {
    if (action == n) {
      p.action = c.action = a;
      known = true;
    }
  }
  if (!known) {
    return c.Error("spec.action", "'" + action + "' is not an action",
                   "use ALLOW, DENY, AUDIT or CUSTOM");
  }
  auto prov = spec.find("provider");
  if (prov != spec.end() && !prov->is_null()) {
    if (p.action != Action::kCustom) {
      return c.Error("spec.provider", "is only allowed with action CUSTOM", "remove provider");
    }
    p.provider = prov->is_object() ? prov->value("name", "") : "";
  }
  if (p.action == Action::kCustom && p.provider.empty()) {
    return c.Error("spec.provider.name", "is required for action CUSTOM",
                   "name a MeshConfig extensionProvider, e.g. oauth2-proxy");
  }
  RETURN_IF_ERROR(ReadSelector(c, spec, &p.has_selector, &p.selector));
  if (m.annotations) {
    auto dr = m.annotations->find("istio.io/dry-run");
    if (dr != m.annotations->end() && dr->is_string() && dr->get<std::string>() == "true") {
      if (p.action != Action::kAllow && p.action != Action::kDeny) {
        return c.Error("metadata.annotations[istio.io/dry-run]", "only ALLOW and DENY support it",
                       "remove the annotation");
      }
      p.dry_run = true;
    }
  }
  auto rules = spec.find("rules");
  bool no_rules = rules == spec.end() || rules->is_null() || (rules->is_array() && rules->empty());
  if (no_rules && (p.action == Action::kDeny || p.action == Action::kCustom)) {
    return c.Error("spec.rules", "a " + action + " policy without rules is meaningless",
                   "add `rules: [{}]` to match everything");
  }
  if (!no_rules) {
    if (!rules->is_array()) {
      return c.Error("spec.rules", "must be a list", "write rules as a YAML list");
    }
    for (size_t i = 0; i < rules->size(); ++i) {
      Rule r;
      RETURN_IF_ERROR(CompileRule(c, (*rules)[i], i, &r));
      p.rules.push_back(std::move(r));
    }
  }
  return p;
}

}  // namespace

StatusOr<Policy> CompileAuthorizationPolicy(const json& object) {
  try {
    return CompileApUnsafe(object);
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("AuthorizationPolicy: malformed field: ") + e.what() +
                                "; fix: compare with the AuthorizationPolicy schema");
  }
}

bool SelectorMatches(const std::map<std::string, std::string, std::less<>>& selector,
                     const std::map<std::string, std::string, std::less<>>& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) {
      return false;
    }
  }
  return true;
}

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kAllow:
      return "ALLOW";
    case Action::kDeny:
      return "DENY";
    case Action::kAudit:
      return "AUDIT";
    case Action::kCustom:
      return "CUSTOM";
  }
  return "?";
}

bool IsHttpOnly(Attr a) {
  switch (a) {
    case Attr::kRequestPrincipal:
    case Attr::kHost:
    case Attr::kMethod:
    case Attr::kPath:
    case Attr::kHeader:
    case Attr::kClaim:
    case Attr::kAudience:
    case Attr::kPresenter:
      return true;
    default:
      return false;
  }
}

}  // namespace ferry::gateway
