// ResourceQuota for object counts, as kube-apiserver's ResourceQuota admission
// plugin and kube-controller-manager's quota controller do it together:
//
// - `count/<resource>.<group>` (`count/<resource>` for the core group) and the
//   core names `pods`, `services`, `configmaps`, `secrets`,
//   `persistentvolumeclaims`, `replicationcontrollers`, `resourcequotas` limit
//   how many objects a namespace holds. A create that would go over a hard
//   limit is refused with Kubernetes' own 403 ("exceeded quota: NAME,
//   requested: KEY=1, used: KEY=N, limited: KEY=N"); pods count while they
//   are not Succeeded or Failed. Quotas with scopes apply to pods only, as in
//   Kubernetes: Ferry's pods have no resources (BestEffort) and no deadline
//   (NotTerminating).
// - Compute keys (`cpu`, `requests.memory`, `limits.cpu`, ...) are stored and
//   shown but not enforced: Ferry's pods are views of in-process model servers
//   that declare no requests, so their usage shows as 0.
// - `status.hard` mirrors `spec.hard` and `status.used` is recomputed after
//   every create or delete of a counted kind (what `kubectl describe quota`
//   shows).
//
// Who calls it: ObjectService (Create checks under its quota mutex; writes and
// deletes refresh). Internal to ferry_api. Threads: stateless; callers
// serialise check-then-create.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.h"
#include "api/kinds.h"
#include "store/resource_store.h"

namespace ferry::api {

// The 403 for creating `name` of `kind` in `ns` when a quota of `ns` would go
// over; ok otherwise (also for kinds no quota of `ns` counts).
ApiError CheckCountQuota(const store::ResourceStore& store, const KindInfo& kind,
                         std::string_view ns, std::string_view name);

// Rewrites status {hard, used} of the quotas in `ns` that count `kind` (all of
// them when `kind` is ResourceQuota), where it changed.
void RefreshQuotaStatus(store::ResourceStore* store, const KindInfo& kind, std::string_view ns);

// A Kubernetes quantity ("2", "500m", "1Gi", "1e3") in base units; nullopt
// when it is not one.
std::optional<long double> ParseQuantity(std::string_view text);

// spec.hard values must be quantities ≥ 0 (kube-apiserver's validation).
std::vector<FieldError> ValidateResourceQuota(const nlohmann::json& obj);
// Why spec.hard cannot be decoded (a value that is not a quantity), or "".
std::string ResourceQuotaDecodeError(const nlohmann::json& obj);

}  // namespace ferry::api
