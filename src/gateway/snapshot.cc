#include "gateway/snapshot.h"

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>

#include "gateway/policy_model.h"

namespace ferry::gateway {

using nlohmann::json;

PolicySnapshot::PolicySnapshot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PolicySnapshot::~PolicySnapshot() = default;
size_t PolicySnapshot::authorization_policy_count() const { return impl_->policies.size(); }
size_t PolicySnapshot::request_authentication_count() const { return impl_->authns.size(); }
const std::string& PolicySnapshot::root_namespace() const { return impl_->root_ns; }
uint64_t PolicySnapshot::id() const { return impl_->id; }
PathNormalization PolicySnapshot::path_normalization() const { return impl_->path_normalization; }
JwksCache* PolicySnapshot::jwks_cache() const { return impl_->jwks.get(); }
const WorkloadPolicies* PolicySnapshot::Select(const Workload& workload) const {
  return impl_->Select(workload, nullptr);
}

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
  if (auto pn = mesh.is_object() ? mesh.find("pathNormalization") : mesh.end();
      mesh.is_object() && pn != mesh.end() && pn->is_object()) {
    auto mode = pn->find("normalization");
    if (mode != pn->end()) {
      std::string name = mode->is_string() ? mode->get<std::string>() : mode->dump();
      std::optional<PathNormalization> parsed = ParsePathNormalization(name);
      if (!parsed) {
        return InvalidArgumentError("MeshConfig pathNormalization.normalization '" + name +
                                    "' is not one of NONE, BASE, MERGE_SLASHES, "
                                    "DECODE_AND_MERGE_SLASHES; fix the istio ConfigMap's mesh");
      }
      path_normalization_ = *parsed;
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
  impl->jwks = options_.jwks_cache ? options_.jwks_cache : DefaultJwksCache();
  impl->path_normalization = path_normalization_;
  static std::atomic<uint64_t> next_id{1};
  impl->id = next_id.fetch_add(1, std::memory_order_relaxed);
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

// Workload selection ---------------------------------------------------------

void PolicySnapshot::Impl::Compute(const Workload& w, WorkloadPolicies* out) const {
  out->policies.clear();
  out->jwt_rules.clear();
  out->output_headers.clear();
  auto visit = [&](std::string_view ns) {
    if (auto it = policies_by_ns.find(ns); it != policies_by_ns.end()) {
      for (size_t idx : it->second) {
        const Policy& p = policies[idx];
        if (!p.has_selector || SelectorMatches(p.selector, w.labels)) {
          out->policies.push_back(&p);
        }
      }
    }
    if (auto it = authns_by_ns.find(ns); it != authns_by_ns.end()) {
      for (size_t idx : it->second) {
        const RequestAuthn& ra = authns[idx];
        if (ra.has_selector && !SelectorMatches(ra.selector, w.labels)) {
          continue;
        }
        for (const auto& r : ra.rules) {
          out->jwt_rules.push_back(&r);
        }
      }
    }
  };
  visit(w.name_space);
  if (w.name_space != root_ns) {
    visit(root_ns);
  }
  auto add_output = [&](const std::string& name) {
    for (const std::string* o : out->output_headers) {
      if (*o == name) {
        return;
      }
    }
    out->output_headers.push_back(&name);
  };
  for (const JwtRule* r : out->jwt_rules) {
    for (const auto& [header, _] : r->claim_to_headers) {
      add_output(header);
    }
    if (!r->output_payload_to_header.empty()) {
      add_output(r->output_payload_to_header);
    }
  }
}

const WorkloadPolicies* PolicySnapshot::Impl::Select(const Workload& w,
                                                     WorkloadPolicies* scratch) const {
  if (policies.empty() && authns.empty()) {
    static const WorkloadPolicies* none = new WorkloadPolicies();
    return none;
  }
  {
    std::lock_guard<std::mutex> lock(select_mu);
    if (auto it = selections.find(w); it != selections.end()) {
      return it->second.get();
    }
  }
  auto computed = std::make_unique<WorkloadPolicies>();
  Compute(w, computed.get());
  std::lock_guard<std::mutex> lock(select_mu);
  if (auto it = selections.find(w); it != selections.end()) {
    return it->second.get();
  }
  if (selections.size() >= kMaxSelections) {
    if (scratch == nullptr) {
      return nullptr;
    }
    *scratch = std::move(*computed);
    return scratch;
  }
  auto [it, _] = selections.emplace(WorkloadKey{w.name_space, w.labels}, std::move(computed));
  return it->second.get();
}

// VerifyCache ---------------------------------------------------------------

bool VerifyCache::Get(std::string_view token, int64_t now, uint64_t jwks_generation, Hit* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(token);
  if (it == index_.end()) {
    return false;
  }
  if (!Fresh(it->second->hit, now, jwks_generation)) {
    lru_.erase(it->second);
    index_.erase(it);
    return false;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  *out = it->second->hit;
  return true;
}

void VerifyCache::Put(std::string_view token, const JwtRule* rule,
                      std::shared_ptr<const VerifiedJwt> jwt, int64_t now,
                      uint64_t jwks_generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (max_ == 0) {
    return;
  }
  if (auto it = index_.find(token);
      it != index_.end() && !Fresh(it->second->hit, now, jwks_generation)) {
    lru_.erase(it->second);
    index_.erase(it);
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
  hit.jwks_generation = jwks_generation;
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
