// Persister: where ResourceStore writes each change before acknowledging it.
// Internal to ferry_store. Called with the store's write mutex held, so an
// implementation needs no locking of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ferry::store {

class Persister {
 public:
  virtual ~Persister() = default;
  // Upserts one object and records `revision` as the store revision, atomically.
  virtual Status Put(std::string_view resource, std::string_view ns, std::string_view name,
                     std::string_view body, int64_t revision) = 0;
  virtual Status Remove(std::string_view resource, std::string_view ns, std::string_view name,
                        int64_t revision) = 0;
  using Visitor = std::function<Status(std::string_view resource, std::string_view body)>;
  // Calls `visit` for every stored object; returns the last recorded revision.
  virtual StatusOr<int64_t> LoadAll(const Visitor& visit) = 0;
};

StatusOr<std::unique_ptr<Persister>> OpenSqlitePersister(const std::string& path);

}  // namespace ferry::store
