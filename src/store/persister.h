// Persister: where ResourceStore's changes are stored on disk. Internal to
// ferry_store. Called by one thread at a time (WriteBehind's writer thread,
// or the store's Open before that starts), so an implementation needs no
// locking of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::store {

// One committed change: the object's new state, or null for a removal.
struct Change {
  std::string resource;
  std::string ns;
  std::string name;
  std::shared_ptr<const nlohmann::json> object;
  int64_t revision = 0;
};

class Persister {
 public:
  virtual ~Persister() = default;
  // Writes `changes` (in revision order) and records the last one's revision
  // as the store revision, in one durable transaction: all or nothing.
  virtual Status Apply(const std::vector<Change>& changes) = 0;
  using Visitor = std::function<Status(std::string_view resource, std::string_view body)>;
  // Calls `visit` for every stored object; returns the last recorded revision.
  virtual StatusOr<int64_t> LoadAll(const Visitor& visit) = 0;
};

StatusOr<std::unique_ptr<Persister>> OpenSqlitePersister(const std::string& path);

}  // namespace ferry::store
