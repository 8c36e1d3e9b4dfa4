// LabelIndex: an inverted index of metadata.labels for ResourceStore, so a
// List whose label selector requires key=value reads only the objects that
// carry that label instead of scanning the whole collection (the controller
// lists an InferenceService's pods, revisions and routes by label on every
// reconcile; a scan made that quadratic in the number of objects).
//
// Keys are the store's object keys (resource \0 namespace \0 name), so the
// keys under one (resource, label, value) come out sorted by namespace, then
// name — the order List returns — and a namespace narrows them by prefix.
//
// Owned by the store and guarded by its mutex; no locking of its own.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <string_view>

namespace ferry::store {

class LabelIndex {
 public:
  // Records (or forgets) every label of `object` (a whole object; its
  // metadata.labels are read) under the store key `key`.
  void Add(std::string_view resource, const std::string& key, const nlohmann::json& object);
  void Remove(std::string_view resource, const std::string& key, const nlohmann::json& object);

  // The keys of the objects of `resource` labelled key=value; null when none.
  const std::set<std::string>* Find(std::string_view resource, std::string_view key,
                                    std::string_view value) const;
  // Distinct (resource, label, value) entries held (tests check that deletes clean up).
  size_t entries() const { return index_.size(); }

 private:
  std::map<std::string, std::set<std::string>, std::less<>> index_;
};

}  // namespace ferry::store
