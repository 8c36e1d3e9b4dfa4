// PolicySnapshot: the compiled, immutable form of every AuthorizationPolicy
// and RequestAuthentication plus the MeshConfig ext-authz providers, built by
// PolicySnapshotBuilder from the objects as the API stores them (JSON:
// {apiVersion, kind, metadata{name,namespace,annotations}, spec}).
//
// The control plane builds a new snapshot on every change and swaps a
// shared_ptr<const PolicySnapshot>; request threads evaluate against
// whichever snapshot they loaded (see engine.h). The builder is single-
// threaded. A snapshot owns a bounded JWT verification cache and a bounded
// per-workload selection cache (both internally locked) and shares the
// JwksCache it was given.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "gateway/jwks.h"
#include "gateway/path.h"

namespace ferry::gateway {

struct SnapshotOptions {
  std::string root_namespace = "istio-system";
  uint32_t num_trusted_proxies = 0;       // gatewayTopology.numTrustedProxies (X-Forwarded-For)
  // Keys of every snapshot built with these options; null: DefaultJwksCache().
  // Keep one cache for the process so a policy change refetches nothing.
  std::shared_ptr<JwksCache> jwks_cache;
  size_t jwt_cache_entries = 4096;        // verified-token LRU bound
};

struct Workload;
struct WorkloadPolicies;  // opaque: the policies and JWT rules one workload evaluates

class PolicySnapshot {
 public:
  struct Impl;
  explicit PolicySnapshot(std::unique_ptr<Impl> impl);
  ~PolicySnapshot();
  const Impl& impl() const { return *impl_; }

  size_t authorization_policy_count() const;
  size_t request_authentication_count() const;
  const std::string& root_namespace() const;

  // Process-unique id of this snapshot, for callers that memoize Select().
  uint64_t id() const;
  // MeshConfig pathNormalization.normalization (BASE unless set).
  PathNormalization path_normalization() const;
  // The key cache this snapshot's remote JWKS come from (shared).
  JwksCache* jwks_cache() const;
  // The policies and JWT rules that apply to `workload` (namespace + labels),
  // selected once and cached in the snapshot. Valid as long as the snapshot;
  // null when the bounded cache is full (Evaluate then selects per call).
  // Thread-safe. Pass it as EvalOptions::selected for that workload.
  const WorkloadPolicies* Select(const Workload& workload) const;

 private:
  std::unique_ptr<Impl> impl_;
};

class PolicySnapshotBuilder {
 public:
  explicit PolicySnapshotBuilder(SnapshotOptions options = {});
  ~PolicySnapshotBuilder();

  // Validates (Istio's webhook rules) and compiles one AuthorizationPolicy or
  // RequestAuthentication (re-adding the same namespace/name replaces it).
  // On error the object is not added; the message
  // names the object, the field and the fix.
  Status Add(const nlohmann::json& object);
  // MeshConfig (object with `extensionProviders`, optional `rootNamespace`
  // and `pathNormalization`) or just the extensionProviders list.
  Status SetMeshConfig(const nlohmann::json& mesh);

  std::shared_ptr<const PolicySnapshot> Build();

 private:
  SnapshotOptions options_;
  PathNormalization path_normalization_ = PathNormalization::kBase;
  std::unique_ptr<PolicySnapshot::Impl> impl_;
};

// Validation only (for API admission): same checks as Add().
Status ValidateSecurityObject(const nlohmann::json& object);

}  // namespace ferry::gateway
