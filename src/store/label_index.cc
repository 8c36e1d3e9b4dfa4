#include "store/label_index.h"

#include <nlohmann/json.hpp>

namespace ferry::store {
namespace {

const nlohmann::json* LabelsOf(const nlohmann::json& object) {
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return nullptr;
  auto l = m->find("labels");
  return l != m->end() && l->is_object() ? &*l : nullptr;
}

// Values are compared as LabelSelector compares them: strings as they are,
// anything else as its JSON text.
std::string IndexKey(std::string_view resource, std::string_view key, const nlohmann::json& v) {
  std::string out(resource);
  out.push_back('\0');
  out.append(key).push_back('\0');
  out.append(v.is_string() ? v.get_ref<const std::string&>() : v.dump());
  return out;
}

}  // namespace

void LabelIndex::Add(std::string_view resource, const std::string& key,
                     const nlohmann::json& object) {
  const nlohmann::json* labels = LabelsOf(object);
  if (labels == nullptr) return;
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    index_[IndexKey(resource, it.key(), it.value())].insert(key);
  }
}

void LabelIndex::Remove(std::string_view resource, const std::string& key,
                        const nlohmann::json& object) {
  const nlohmann::json* labels = LabelsOf(object);
  if (labels == nullptr) return;
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    auto entry = index_.find(IndexKey(resource, it.key(), it.value()));
    if (entry == index_.end()) continue;
    entry->second.erase(key);
    if (entry->second.empty()) index_.erase(entry);
  }
}

const std::set<std::string>* LabelIndex::Find(std::string_view resource, std::string_view key,
                                              std::string_view value) const {
  std::string k(resource);
  k.push_back('\0');
  k.append(key).push_back('\0');
  k.append(value);
  auto it = index_.find(k);
  return it == index_.end() ? nullptr : &it->second;
}

}  // namespace ferry::store
