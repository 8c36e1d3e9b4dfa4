#include "api/field_validation.h"

#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr const char* kMetaFields[] = {"name",
                                       "generateName",
                                       "namespace",
                                       "uid",
                                       "resourceVersion",
                                       "generation",
                                       "creationTimestamp",
                                       "labels",
                                       "annotations",
                                       "ownerReferences",
                                       "finalizers",
                                       "managedFields",
                                       "selfLink",
                                       "deletionTimestamp",
                                       "deletionGracePeriodSeconds"};

void Prune(json& data, const json& schema, const std::string& path,
           std::vector<std::string>* unknown) {
  if (!schema.is_object()) return;  // "*" or anything else: free-form
  if (data.is_array()) {
    for (size_t i = 0; i < data.size(); ++i) {
      Prune(data[i], schema, path + "[" + std::to_string(i) + "]", unknown);
    }
    return;
  }
  if (!data.is_object()) return;
  for (auto it = data.begin(); it != data.end();) {
    std::string child = path.empty() ? it.key() : path + "." + it.key();
    auto s = schema.find(it.key());
    if (s == schema.end()) {
      unknown->push_back(child);
      it = data.erase(it);
      continue;
    }
    Prune(it.value(), *s, child, unknown);
    ++it;
  }
}

}  // namespace

FieldValidation ParseFieldValidation(std::string_view value) {
  if (value == "Strict") return FieldValidation::kStrict;
  if (value == "Ignore") return FieldValidation::kIgnore;
  return FieldValidation::kWarn;
}

std::vector<std::string> PruneUnknownFields(const KindInfo& kind, json& obj) {
  std::vector<std::string> unknown;
  if (kind.schema.empty()) return unknown;
  static thread_local std::string cached_text;
  static thread_local json cached;
  if (cached_text != kind.schema) {
    cached = json::parse(kind.schema, nullptr, false);
    cached_text = kind.schema;
    json meta = json::object();
    for (const char* f : kMetaFields) meta[f] = "*";
    cached["apiVersion"] = "*";
    cached["kind"] = "*";
    cached["metadata"] = meta;
  }
  Prune(obj, cached, "", &unknown);
  return unknown;
}

}  // namespace ferry::api
