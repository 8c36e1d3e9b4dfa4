// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) for the
// core kinds Ferry serves. Merge keys come from the Kubernetes Go types'
// patchMergeKey tags, looked up by field name and, where a name is ambiguous
// (ports), by the parent field.
#include <algorithm>

#include "api/kinds.h"
#include "api/patch.h"

namespace ferry::api {
namespace {

using nlohmann::json;

// patchMergeKey for the list field `name` whose parent is `parent`, or "" (replace).
std::string MergeKey(const std::string& parent, const std::string& name) {
  if (name == "ports") return parent == "spec" ? "port" : "containerPort";
  static const std::pair<const char*, const char*> kKeys[] = {
      {"containers", "name"},
      {"initContainers", "name"},
      {"ephemeralContainers", "name"},
      {"env", "name"},
      {"volumes", "name"},
      {"volumeMounts", "mountPath"},
      {"volumeDevices", "devicePath"},
      {"secrets", "name"},
      {"imagePullSecrets", "name"},
      {"ownerReferences", "uid"},
      {"conditions", "type"},
      {"hostAliases", "ip"},
      {"topologySpreadConstraints", "topologyKey"},
      {"resourceClaims", "name"},
      {"schedulingGates", "name"}};
  for (const auto& [field, key] : kKeys) {
    if (name == field) return key;
  }
  return "";
}

// Primitive lists with patchStrategy "merge" (set union).
bool MergesPrimitives(const std::string& name) { return name == "finalizers"; }

bool IsDirective(const std::string& key) { return key.rfind("$", 0) == 0; }

json StripDirectives(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (auto& [k, x] : v.items()) {
      if (!IsDirective(k)) out[k] = StripDirectives(x);
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const json& x : v) {
      if (x.is_object() && x.contains("$patch")) continue;
      out.push_back(StripDirectives(x));
    }
    return out;
  }
  return v;
}

json MergeMap(const json& orig, const json& patch, const std::string& self);

json MergeList(const json& orig, const json& patch, const std::string& key) {
  json out = orig.is_array() ? orig : json::array();
  for (const json& item : patch) {
    if (item.is_object() && StringAt(item, "$patch") == "replace") return StripDirectives(patch);
  }
  for (const json& item : patch) {
    if (!item.is_object() || !item.contains(key)) {
      out.push_back(StripDirectives(item));
      continue;
    }
    auto it = std::find_if(out.begin(), out.end(), [&](const json& o) {
      return o.is_object() && o.contains(key) && o[key] == item[key];
    });
    if (StringAt(item, "$patch") == "delete") {
      if (it != out.end()) out.erase(it);
    } else if (it != out.end()) {
      *it = MergeMap(*it, item, "");
    } else {
      out.push_back(StripDirectives(item));
    }
  }
  return out;
}

// Reorders `list` so the elements named in `order` come first, in that order.
json ApplyOrder(const json& list, const json& order, const std::string& key) {
  if (!list.is_array() || !order.is_array()) return list;
  json out = json::array(), rest = list;
  for (const json& o : order) {
    const json& want = key.empty() || !o.is_object() ? o : o.value(key, json());
    auto it = std::find_if(rest.begin(), rest.end(), [&](const json& x) {
      return key.empty() || !x.is_object() ? x == want : x.value(key, json()) == want;
    });
    if (it != rest.end()) {
      out.push_back(*it);
      rest.erase(it);
    }
  }
  for (const json& x : rest) out.push_back(x);
  return out;
}

void ApplyListDirectives(json& out, const json& patch, const std::string& self) {
  for (auto& [k, v] : patch.items()) {
    if (k.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string field = k.substr(25);
      if (out.contains(field) && out[field].is_array() && v.is_array()) {
        json kept = json::array();
        for (const json& x : out[field]) {
          if (std::find(v.begin(), v.end(), x) == v.end()) kept.push_back(x);
        }
        out[field] = kept;
      }
    }
  }
  for (auto& [k, v] : patch.items()) {
    if (k.rfind("$setElementOrder/", 0) == 0) {
      std::string field = k.substr(17);
      if (out.contains(field)) out[field] = ApplyOrder(out[field], v, MergeKey(self, field));
    }
  }
}

json MergeMap(const json& orig, const json& patch, const std::string& self) {
  if (!patch.is_object()) return patch;
  std::string directive = StringAt(patch, "$patch");
  if (directive == "replace") return StripDirectives(patch);
  json out = orig.is_object() ? orig : json::object();
  for (auto& [k, v] : patch.items()) {
    if (IsDirective(k)) continue;
    if (v.is_null()) {
      out.erase(k);
    } else if (v.is_object()) {
      out[k] = StringAt(v, "$patch") == "delete" ? json() : MergeMap(out.value(k, json()), v, k);
      if (out[k].is_null()) out.erase(k);
    } else if (v.is_array() && !MergeKey(self, k).empty()) {
      out[k] = MergeList(out.value(k, json()), v, MergeKey(self, k));
    } else if (v.is_array() && MergesPrimitives(k)) {
      json merged = out.value(k, json::array());
      if (!merged.is_array()) merged = json::array();
      for (const json& x : v) {
        if (std::find(merged.begin(), merged.end(), x) == merged.end()) merged.push_back(x);
      }
      out[k] = merged;
    } else {
      out[k] = StripDirectives(v);
    }
  }
  ApplyListDirectives(out, patch, self);
  if (patch.contains("$retainKeys") && patch["$retainKeys"].is_array()) {
    const json& keep = patch["$retainKeys"];
    for (auto it = out.begin(); it != out.end();) {
      if (std::find(keep.begin(), keep.end(), it.key()) == keep.end()) {
        it = out.erase(it);
      } else {
        ++it;
      }
    }
  }
  return out;
}

}  // namespace

json StrategicMerge(const json& original, const json& patch) {
  return MergeMap(original, patch, "");
}

}  // namespace ferry::api
