#include "controller/own_writes.h"

#include <nlohmann/json.hpp>

namespace ferry::controller {
namespace {

std::string Meta(const nlohmann::json& obj, const char* key) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return "";
  return meta->value(key, "");
}

std::string KeyOf(const nlohmann::json& obj) {
  return obj.value("kind", "") + "/" + Meta(obj, "namespace") + "/" + Meta(obj, "name");
}

}  // namespace

StatusOr<nlohmann::json> OwnWrites::Run(const Write& write, const std::string& before) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<nlohmann::json> written = write();
  if (!written.ok()) return written;
  std::string rv = Meta(*written, "resourceVersion");
  if (!rv.empty() && rv != before) versions_[KeyOf(*written)] = rv;
  return written;
}

bool OwnWrites::IsOwn(const nlohmann::json& observed) const {
  std::string rv = Meta(observed, "resourceVersion");
  if (rv.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = versions_.find(KeyOf(observed));
  return it != versions_.end() && it->second == rv;
}

void OwnWrites::Forget(const std::string& kind, const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  versions_.erase(kind + "/" + ns + "/" + name);
}

}  // namespace ferry::controller
