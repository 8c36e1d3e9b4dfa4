#include "store/label_index.h"

#include <nlohmann/json.hpp>

#include "store/selector.h"

namespace ferry::store {
namespace {

const nlohmann::json* LabelsOf(const nlohmann::json& object) {
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return nullptr;
  auto l = m->find("labels");
  return l != m->end() && l->is_object() ? &*l : nullptr;
}

// `value` as LabelSelector compares it (LabelString).
std::string IndexKey(std::string_view resource, std::string_view key, std::string_view value) {
  std::string out(resource);
  out.push_back('\0');
  out.append(key).push_back('\0');
  out.append(value);
  return out;
}

}  // namespace

void LabelIndex::Add(std::string_view resource, const std::string& key,
                     const nlohmann::json& object) {
  const nlohmann::json* labels = LabelsOf(object);
  if (labels == nullptr) return;
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    index_[IndexKey(resource, it.key(), LabelString(it.value()))].insert(key);
  }
}

void LabelIndex::Remove(std::string_view resource, const std::string& key,
                        const nlohmann::json& object) {
  const nlohmann::json* labels = LabelsOf(object);
  if (labels == nullptr) return;
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    auto entry = index_.find(IndexKey(resource, it.key(), LabelString(it.value())));
    if (entry == index_.end()) continue;
    entry->second.erase(key);
    if (entry->second.empty()) index_.erase(entry);
  }
}

const std::set<std::string>* LabelIndex::Find(std::string_view resource, std::string_view key,
                                              std::string_view value) const {
  auto it = index_.find(IndexKey(resource, key, value));
  return it == index_.end() ? nullptr : &it->second;
}

}  // namespace ferry::store
