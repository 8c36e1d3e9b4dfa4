#include "gateway/snapshot.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "gateway/policy_model.h"

namespace ferry::gateway {

using nlohmann::json;

PolicySnapshot::PolicySnapshot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PolicySnapshot::~PolicySnapshot() = default;
size_t PolicySnapshot::authorization_policy_count() const { return impl_->policies.size(); }
size_t PolicySnapshot::request_authentication_count() const { return impl_->authns.size(); }
const std::string& PolicySnapshot::root_namespace() const { return impl_->root_ns; }

PolicySnapshotBuilder::PolicySnapshotBuilder(SnapshotOptions options)
    : options_(std::move(options)), impl_(std::make_unique<PolicySnapshot::Impl>()) {}
PolicySnapshotBuilder::~PolicySnapshotBuilder() = default;

namespace {

std::string KindOf(const json& o) {
  if (!o.is_object()) {
    return "";
  }
  auto k = o.find("kind");
  return k != o.end() && k->is_string() ? k->get<std::string>() : "";
}

}  // namespace

Status PolicySnapshotBuilder::Add(const json& object) {
  std::string kind = KindOf(object);
  if (kind == "AuthorizationPolicy") {
    ASSIGN_OR_RETURN(Policy p, CompileAuthorizationPolicy(object));
    // Re-adding ns/name replaces the earlier version (like an API update).
    std::erase_if(impl_->policies,
                  [&](const Policy& o) { return o.ns == p.ns && o.name == p.name; });
    impl_->policies.push_back(std::move(p));
    return OkStatus();
  }
  if (kind == "RequestAuthentication") {
    ASSIGN_OR_RETURN(RequestAuthn ra, CompileRequestAuthentication(object));
    std::erase_if(impl_->authns,
                  [&](const RequestAuthn& o) { return o.ns == ra.ns && o.name == ra.name; });
    impl_->authns.push_back(std::move(ra));
    return OkStatus();
  }
  return InvalidArgumentError("security object of kind '" + kind +
                              "' is not supported; fix: use AuthorizationPolicy or "
                              "RequestAuthentication (security.istio.io)");
}

Status PolicySnapshotBuilder::SetMeshConfig(const json& mesh) {
  if (mesh.is_object()) {
    auto root = mesh.find("rootNamespace");
    if (root != mesh.end() && root->is_string() && !root->get<std::string>().empty()) {
      options_.root_namespace = root->get<std::string>();
    }
  }
  ASSIGN_OR_RETURN(auto providers, ParseExtensionProviders(mesh));
  impl_->providers.clear();
  for (auto& p : providers) {
    std::string name = p.name;
    impl_->providers[name] = std::move(p);
  }
  return OkStatus();
}

std::shared_ptr<const PolicySnapshot> PolicySnapshotBuilder::Build() {
  auto impl = std::move(impl_);
  impl_ = std::make_unique<PolicySnapshot::Impl>();
  impl->root_ns = options_.root_namespace;
  impl->num_trusted_proxies = options_.num_trusted_proxies;
  impl->jwks = options_.jwks_cache ? options_.jwks_cache
                                   : std::make_shared<JwksCache>(MakeCurlJwksFetcher());
  impl->verify_cache.SetMax(options_.jwt_cache_entries);
  for (size_t i = 0; i < impl->policies.size(); ++i) {
    impl->policies_by_ns[impl->policies[i].ns].push_back(i);
  }
  for (size_t i = 0; i < impl->authns.size(); ++i) {
    impl->authns_by_ns[impl->authns[i].ns].push_back(i);
  }
  return std::make_shared<const PolicySnapshot>(std::move(impl));
}

Status ValidateSecurityObject(const json& object) {
  std::string kind = KindOf(object);
  if (kind == "AuthorizationPolicy") {
    return CompileAuthorizationPolicy(object).status();
  }
  if (kind == "RequestAuthentication") {
    return CompileRequestAuthentication(object).status();
  }
  return InvalidArgumentError("security object of kind '" + kind + "' is not supported");
}

// VerifyCache ---------------------------------------------------------------

bool VerifyCache::Get(std::string_view token, int64_t now, Hit* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(token);
  if (it == index_.end()) {
    return false;
  }
  if (now - it->second->hit.cached_at > kMaxAgeSeconds || now < it->second->hit.cached_at) {
    lru_.erase(it->second);
    index_.erase(it);
    return false;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  *out = it->second->hit;
  return true;
}

void VerifyCache::Put(std::string_view token, const JwtRule* rule,
                      std::shared_ptr<const VerifiedJwt> jwt, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (max_ == 0) {
    return;
  }
  if (auto it = index_.find(token); it != index_.end()) {
    Hit& hit = it->second->hit;
    if (!hit.Has(rule)) {
      // Keep the most recent rules; the oldest falls off when all slots are used.
      std::move_backward(hit.rules.begin(), hit.rules.end() - 1, hit.rules.end());
      hit.rules[0] = rule;
    }
    return;
  }
  Hit hit;
  hit.rules[0] = rule;
  hit.jwt = std::move(jwt);
  hit.cached_at = now;
  lru_.push_front(Node{std::string(token), std::move(hit)});
  index_[lru_.front().token] = lru_.begin();
  while (lru_.size() > max_) {
    index_.erase(lru_.back().token);
    lru_.pop_back();
  }
}

size_t VerifyCache::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

}  // namespace ferry::gateway
