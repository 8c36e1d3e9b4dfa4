#include "api/quota.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr std::string_view kCountPrefix = "count/";

// Core resources Kubernetes also counts under their plain names.
bool LegacyCountName(std::string_view key) {
  for (std::string_view k : {"pods", "services", "configmaps", "secrets", "persistentvolumeclaims",
                             "replicationcontrollers", "resourcequotas"}) {
    if (key == k) return true;
  }
  return false;
}

// The kind a quota key counts ("count/inferenceservices.serving.kserve.io",
// "count/pods", "pods"), or null for compute keys and unknown resources.
const KindInfo* CountedKind(std::string_view key) {
  std::string_view resource;
  std::string_view group;
  if (key.substr(0, kCountPrefix.size()) == kCountPrefix) {
    std::string_view gr = key.substr(kCountPrefix.size());
    size_t dot = gr.find('.');
    resource = gr.substr(0, dot);
    group = dot == std::string_view::npos ? std::string_view() : gr.substr(dot + 1);
  } else if (LegacyCountName(key)) {
    resource = key;
  } else {
    return nullptr;
  }
  for (const KindInfo& k : AllKinds()) {
    if (k.stored && k.namespaced && k.plural == resource && k.group == group) return &k;
  }
  return nullptr;
}

bool TerminalPod(const json& pod) {
  std::string phase = StringAt(pod, "status.phase");
  return phase == "Succeeded" || phase == "Failed";
}

// How many objects of `kind` `ns` holds (pods: those still running).
int64_t CountIn(const store::ResourceStore& store, const KindInfo& kind, std::string_view ns) {
  store::Selector sel;
  sel.ns = std::string(ns);
  auto list = store.List(kind.store_resource(), sel);
  if (!list.ok()) return 0;
  if (kind.plural != "pods" || !kind.group.empty()) return static_cast<int64_t>(list->items.size());
  return std::count_if(list->items.begin(), list->items.end(),
                       [](const auto& p) { return !TerminalPod(*p); });
}

bool HasScopes(const json& quota) {
  return !At(quota, "spec.scopes").empty() || !At(quota, "spec.scopeSelector").is_null();
}

// Ferry's pods are BestEffort (no resources) and NotTerminating (no
// activeDeadlineSeconds); they have no priority class.
bool ScopesMatchFerryPods(const json& quota) {
  for (const json& s : At(quota, "spec.scopes")) {
    std::string scope = s.is_string() ? s.get<std::string>() : "";
    if (scope != "BestEffort" && scope != "NotTerminating") return false;
  }
  const json& exprs = At(quota, "spec.scopeSelector.matchExpressions");
  for (const json& e : exprs.is_array() ? exprs : json::array()) {
    std::string scope = e.value("scopeName", "");
    std::string op = e.value("operator", "");
    if (scope == "PriorityClass") {
      if (op != "DoesNotExist" && op != "NotIn") return false;
    } else if (scope != "BestEffort" && scope != "NotTerminating") {
      return false;
    }
  }
  return true;
}

// Whether `quota` applies to objects of `kind` at all (scopes limit it to pods).
bool Applies(const json& quota, const KindInfo& kind) {
  if (!HasScopes(quota)) return true;
  return kind.group.empty() && kind.plural == "pods" && ScopesMatchFerryPods(quota);
}

std::vector<store::ObjectPtr> QuotasIn(const store::ResourceStore& store, std::string_view ns) {
  store::Selector sel;
  sel.ns = std::string(ns);
  auto list = store.List("core/resourcequotas", sel);
  if (!list.ok()) return {};
  return std::move(list->items);
}

std::string HardText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string Pretty(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

}  // namespace

std::optional<long double> ParseQuantity(std::string_view text) {
  std::string_view s = text;
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  size_t n = 0;
  bool digits = false;
  bool dot = false;
  while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) {
    if (s[n] == '.') {
      if (dot) return std::nullopt;
      dot = true;
    } else {
      digits = true;
    }
    ++n;
  }
  if (!digits) return std::nullopt;
  // strtold, not stold: a value too large for a long double is "not a quantity", not an
  // exception on the API's thread.
  std::string number(s.substr(0, n));
  errno = 0;
  long double value = std::strtold(number.c_str(), nullptr);
  if (errno == ERANGE || !std::isfinite(value)) return std::nullopt;
  std::string_view suffix = s.substr(n);
  // Suffix → (base, power); negative powers divide so "500m" is exactly 0.5.
  static const std::map<std::string_view, std::pair<long double, int>> kSuffixes = {
      {"", {10, 0}},   {"n", {10, -9}}, {"u", {10, -6}}, {"m", {10, -3}},
      {"k", {10, 3}},  {"M", {10, 6}},  {"G", {10, 9}},  {"T", {10, 12}},
      {"P", {10, 15}}, {"E", {10, 18}}, {"Ki", {2, 10}}, {"Mi", {2, 20}},
      {"Gi", {2, 30}}, {"Ti", {2, 40}}, {"Pi", {2, 50}}, {"Ei", {2, 60}}};
  auto it = kSuffixes.find(suffix);
  if (it != kSuffixes.end()) {
    auto [base, power] = it->second;
    value = power >= 0 ? value * std::pow(base, power) : value / std::pow(base, -power);
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::string_view exp = suffix.substr(1);
    size_t i = (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) ? 1 : 0;
    if (i == exp.size() || exp.size() > 4) return std::nullopt;
    for (size_t j = i; j < exp.size(); ++j) {
      if (!std::isdigit(static_cast<unsigned char>(exp[j]))) return std::nullopt;
    }
    value *= std::pow(10.0L, std::stoi(std::string(exp)));  // at most 4 characters
    if (!std::isfinite(value)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return negative ? -value : value;
}

std::vector<FieldError> ValidateResourceQuota(const json& obj) {
  std::vector<FieldError> errs;
  const json& hard = At(obj, "spec.hard");
  if (!hard.is_object()) return errs;
  for (const auto& [key, v] : hard.items()) {
    auto q = ParseQuantity(HardText(v));
    if (q && *q < 0) {
      errs.push_back(
          {"spec.hard[" + key + "]", "FieldValueInvalid",
           "Invalid value: \"" + HardText(v) + "\": must be greater than or equal to 0"});
    }
  }
  return errs;
}

std::string ResourceQuotaDecodeError(const json& obj) {
  const json& hard = At(obj, "spec.hard");
  if (!hard.is_object()) return "";
  for (const auto& [key, v] : hard.items()) {
    if ((!v.is_string() && !v.is_number()) || !ParseQuantity(HardText(v))) {
      return "quantities must match the regular expression "
             "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
    }
  }
  return "";
}

ApiError CheckCountQuota(const store::ResourceStore& store, const KindInfo& kind,
                         std::string_view ns, std::string_view name) {
  if (!kind.namespaced || !kind.stored || ns.empty()) return {};
  for (const store::ObjectPtr& quota : QuotasIn(store, ns)) {
    const json& hard = At(*quota, "spec.hard");
    if (!hard.is_object() || !Applies(*quota, kind)) continue;
    std::map<std::string, std::string> requested, used, limited;
    for (const auto& [key, v] : hard.items()) {
      if (CountedKind(key) != &kind) continue;
      auto limit = ParseQuantity(HardText(v));
      if (!limit) continue;
      int64_t n = CountIn(store, kind, ns);
      if (static_cast<long double>(n + 1) > *limit) {
        requested[key] = "1";
        used[key] = std::to_string(n);
        limited[key] = HardText(v);
      }
    }
    if (requested.empty()) continue;
    return ForbiddenResource(
        kind.group, kind.plural, name,
        QualifiedResource(kind) + " \"" + std::string(name) + "\" is forbidden: exceeded quota: " +
            StringAt(*quota, "metadata.name") + ", requested: " + Pretty(requested) +
            ", used: " + Pretty(used) + ", limited: " + Pretty(limited));
  }
  return {};
}

void RefreshQuotaStatus(store::ResourceStore* store, const KindInfo& kind, std::string_view ns) {
  if (!kind.namespaced || ns.empty()) return;
  bool all = kind.group.empty() && kind.plural == "resourcequotas";
  for (const store::ObjectPtr& quota : QuotasIn(*store, ns)) {
    const json& hard = At(*quota, "spec.hard");
    if (!hard.is_object()) continue;
    bool counts = all;
    json used = json::object();
    for (const auto& [key, v] : hard.items()) {
      const KindInfo* counted = CountedKind(key);
      if (counted == &kind) counts = true;
      if (counted == nullptr) {
        used[key] = "0";  // compute keys: Ferry's pods declare no requests
      } else {
        used[key] = Applies(*quota, *counted) ? std::to_string(CountIn(*store, *counted, ns)) : "0";
      }
    }
    if (!counts) continue;
    json status = {{"hard", hard}, {"used", used}};
    if (At(*quota, "status") == status) continue;
    json next = *quota;
    next["status"] = std::move(status);
    (void)store->Update("core/resourcequotas", std::move(next), 0);
  }
}

}  // namespace ferry::api
