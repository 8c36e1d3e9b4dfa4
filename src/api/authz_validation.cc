// Istio's admission rules for AuthorizationPolicy and RequestAuthentication
// (the subset in reference/istio-authz.md §1.5 and §2.1), worded per field,
// and the warnings for valid policies that likely do not do what they say.
#include <cctype>
#include <string_view>

#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr const char* kCustomForbidden[] = {
    "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals",
    "namespaces", "notNamespaces", "serviceAccounts",   "notServiceAccounts"};

void Add(std::vector<FieldError>* errs, std::string field, std::string msg) {
  errs->push_back({std::move(field), "FieldValueInvalid", std::move(msg)});
}

void CheckStrings(const json& obj, const std::string& path, std::vector<FieldError>* errs) {
  if (!obj.is_object()) return;
  for (auto& [k, v] : obj.items()) {
    if (!v.is_array()) continue;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i].is_string() && v[i].get<std::string>().empty()) {
        Add(errs, path + "." + k + "[" + std::to_string(i) + "]",
            "Invalid value: \"\": empty value not allowed, found in " + k);
      }
    }
  }
}

// `from`/`to` lists: when present they must hold non-empty source/operation entries.
void CheckClauses(const json& rule, const std::string& path, const char* list, const char* item,
                  bool custom, std::vector<FieldError>* errs) {
  if (!rule.contains(list)) return;
  const json& l = rule[list];
  std::string lpath = path + "." + list;
  if (!l.is_array() || l.empty()) {
    Add(errs, lpath,
        std::string("Invalid value: []: `") + list +
            "` must not be empty, remove it to match any " +
            (std::string(list) == "from" ? "source" : "operation"));
    return;
  }
  for (size_t i = 0; i < l.size(); ++i) {
    std::string ipath = lpath + "[" + std::to_string(i) + "]." + item;
    const json& v = l[i].is_object() ? At(l[i], item) : json();
    if (!v.is_object() || v.empty()) {
      Add(errs, ipath, std::string("Invalid value: {}: `") + item + "` must not be empty");
      continue;
    }
    CheckStrings(v, ipath, errs);
    if (!custom || std::string(item) != "source") continue;
    for (const char* f : kCustomForbidden) {
      if (v.contains(f)) {
        Add(errs, ipath + "." + f,
            std::string("Forbidden: ") + f + " is not supported with the CUSTOM action");
      }
    }
  }
}

void CheckWhen(const json& rule, const std::string& path, std::vector<FieldError>* errs) {
  const json& when = At(rule, "when");
  for (size_t i = 0; when.is_array() && i < when.size(); ++i) {
    std::string p = path + ".when[" + std::to_string(i) + "]";
    if (StringAt(when[i], "key").empty()) {
      errs->push_back({p + ".key", "FieldValueRequired", "Required value"});
    }
    if (!when[i].contains("values") && !when[i].contains("notValues")) {
      errs->push_back({p + ".values", "FieldValueRequired",
                       "Required value: at least one of values or notValues must be set"});
    }
  }
}

void CheckSelector(const json& spec, std::vector<FieldError>* errs) {
  const json& ml = At(spec, "selector.matchLabels");
  if (!ml.is_object()) return;
  for (auto& [k, v] : ml.items()) {
    if (k.empty()) Add(errs, "spec.selector.matchLabels", "Invalid value: \"\": empty key");
    if (v.is_string() && v.get<std::string>().find('*') != std::string::npos) {
      Add(errs, "spec.selector.matchLabels." + k,
          "Invalid value: " + v.dump() + ": wildcard is not supported in selector");
    }
  }
  if (spec.contains("targetRef") || spec.contains("targetRefs")) {
    Add(errs, "spec.selector", "Forbidden: only one of selector or targetRefs can be set");
  }
}

// A `hosts` entry carries a port when something follows the host's ':'
// ("a.com:8080", "a.com:*", "[::1]:80"; not "[::1]").
bool HasPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close != std::string_view::npos && host.substr(close + 1).rfind(':', 0) == 0;
  }
  return host.find(':') != std::string_view::npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// True when `list` also names `host` with a port ("a.com:*" or "a.com:8080").
bool ListsPortForm(const json& list, std::string_view host) {
  for (const json& e : list) {
    if (!e.is_string()) continue;
    std::string_view v = e.get_ref<const std::string&>();
    if (v.size() > host.size() + 1 && v[host.size()] == ':' &&
        EqualsIgnoreCase(v.substr(0, host.size()), host)) {
      return true;
    }
  }
  return false;
}

// Istio compares `hosts` with the whole Host (:authority) value, port
// included (istio-authz.md §1.2): "a.com" never matches "Host: a.com:8080".
// Entries that match any port are left alone: "*", prefixes ("a.*").
void WarnHostsWithoutPort(const json& list, const std::string& path, bool negated,
                          std::vector<std::string>* out) {
  for (size_t i = 0; list.is_array() && i < list.size(); ++i) {
    if (!list[i].is_string()) continue;
    const std::string& h = list[i].get_ref<const std::string&>();
    bool suffix = h.size() > 1 && h.front() == '*';
    bool prefix = !suffix && h.size() > 1 && h.back() == '*';
    if (h.empty() || h == "*" || prefix || HasPort(h) || ListsPortForm(list, h)) continue;
    std::string example = (suffix ? "app" + h.substr(1) : h) + ":8080";
    std::string w = path + "[" + std::to_string(i) + "]: \"" + h +
                    "\" has no port, so a request with \"Host: " + example + "\" " +
                    (negated ? "is not excluded by it" : "does not match it") +
                    " (Istio compares the whole Host header, port included); ";
    w += suffix ? "also list \"" + h + ":PORT\" for each port clients use"
                : "list both forms: [\"" + h + "\", \"" + h + ":*\"]";
    out->push_back(std::move(w));
  }
}

}  // namespace

std::vector<std::string> AuthorizationPolicyWarnings(const json& obj) {
  std::vector<std::string> out;
  const json& rules = At(obj, "spec.rules");
  for (size_t i = 0; rules.is_array() && i < rules.size(); ++i) {
    const json& to = At(rules[i], "to");
    for (size_t j = 0; to.is_array() && j < to.size(); ++j) {
      std::string p =
          "spec.rules[" + std::to_string(i) + "].to[" + std::to_string(j) + "].operation.";
      const json& op = At(to[j], "operation");
      WarnHostsWithoutPort(At(op, "hosts"), p + "hosts", false, &out);
      WarnHostsWithoutPort(At(op, "notHosts"), p + "notHosts", true, &out);
    }
  }
  return out;
}

std::vector<FieldError> ValidateAuthorizationPolicy(const json& obj) {
  std::vector<FieldError> errs;
  const json& spec = At(obj, "spec");
  std::string action = StringAt(obj, "spec.action");
  if (action.empty()) action = "ALLOW";
  if (action != "ALLOW" && action != "DENY" && action != "AUDIT" && action != "CUSTOM") {
    errs.push_back({"spec.action", "FieldValueNotSupported",
                    "Unsupported value: \"" + action +
                        "\": supported values: \"ALLOW\", \"DENY\", \"AUDIT\", \"CUSTOM\""});
  }
  bool custom = action == "CUSTOM";
  if (spec.is_object() && spec.contains("provider") && !custom) {
    Add(&errs, "spec.provider", "Forbidden: provider must only be used with the CUSTOM action");
  }
  if (custom && StringAt(spec, "provider.name").empty()) {
    errs.push_back({"spec.provider.name", "FieldValueRequired",
                    "Required value: the CUSTOM action needs a provider"});
  }
  const json& rules = At(spec, "rules");
  if ((action == "DENY" || action == "CUSTOM") && (!rules.is_array() || rules.empty())) {
    errs.push_back({"spec.rules", "FieldValueRequired",
                    "Required value: a " + action +
                        " policy without rules is meaningless; add `rules: [{}]` to match all"});
  }
  for (size_t i = 0; rules.is_array() && i < rules.size(); ++i) {
    std::string p = "spec.rules[" + std::to_string(i) + "]";
    if (!rules[i].is_object()) {
      Add(&errs, p, "Invalid value: null: a rule must not be null");
      continue;
    }
    CheckClauses(rules[i], p, "from", "source", custom, &errs);
    CheckClauses(rules[i], p, "to", "operation", custom, &errs);
    CheckWhen(rules[i], p, &errs);
  }
  CheckSelector(spec, &errs);
  return errs;
}

std::vector<FieldError> ValidateRequestAuthentication(const json& obj) {
  std::vector<FieldError> errs;
  const json& rules = At(obj, "spec.jwtRules");
  for (size_t i = 0; rules.is_array() && i < rules.size(); ++i) {
    std::string p = "spec.jwtRules[" + std::to_string(i) + "]";
    if (StringAt(rules[i], "issuer").empty()) {
      errs.push_back({p + ".issuer", "FieldValueRequired", "Required value"});
    }
    if (rules[i].is_object() && rules[i].contains("jwks") && rules[i].contains("jwksUri")) {
      Add(&errs, p + ".jwks", "Forbidden: only one of jwks or jwksUri can be set");
    }
  }
  CheckSelector(At(obj, "spec"), &errs);
  return errs;
}

}  // namespace ferry::api
