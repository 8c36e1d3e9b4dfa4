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

#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace ferry::controller {

class OwnWrites {
 public:
  // `written` is the object a status write returned; `before` its
  // resourceVersion when read (a write the store found to be a no-op keeps
  // it, and produces no event to skip).
  void Record(const nlohmann::json& written, const std::string& before);
  // True when `observed` (a watch event's object) is exactly a recorded write.
  bool IsOwn(const nlohmann::json& observed) const;
  void Forget(const std::string& kind, const std::string& ns, const std::string& name);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> versions_;  // kind/ns/name → resourceVersion; guarded by mu_
};

}  // namespace ferry::controller
