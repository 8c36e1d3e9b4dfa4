// OwnWrites: the resourceVersions of the status writes the controller made,
// so its watches can tell those writes from everyone else's. A status write
// changes nothing a reconcile reads, so reconciling the object again because
// of it is wasted work — while a model loads, the InferenceService's status
// is written every half second.
//
// Only status writes are recorded: a spec or data write the controller makes
// (the default-domain Job setting config-domain) must still wake the
// reconciler that watches it. Threads: thread-safe (the worker records,
// watch threads ask).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "common/status.h"

namespace ferry::controller {

class OwnWrites {
 public:
  using Write = std::function<StatusOr<nlohmann::json>()>;

  // Runs `write` (a status write returning the written object) and records
  // the resourceVersion it produced, unless it kept `before` (the store
  // found it a no-op: no event to skip). Both happen under the lock IsOwn
  // takes, so a watch thread that gets the write's event before `write`
  // returned waits until the version is recorded.
  StatusOr<nlohmann::json> Run(const Write& write, const std::string& before);
  // True when `observed` (a watch event's object) is exactly a recorded write.
  bool IsOwn(const nlohmann::json& observed) const;
  void Forget(const std::string& kind, const std::string& ns, const std::string& name);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> versions_;  // kind/ns/name → resourceVersion; guarded by mu_
};

}  // namespace ferry::controller
