// RbacState: the API server's view of RBAC — the current auth::RbacSnapshot
// built from the stored Roles, ClusterRoles, RoleBindings and
// ClusterRoleBindings, ClusterRole aggregation written back into the store,
// and the reconciliation of Kubernetes' bootstrap policy at start.
//
// DESIGN: four store watches bump a generation counter on every RBAC change
// (on the writing thread, before the write returns); Snapshot() rebuilds
// lazily when the generation moved, so the next request after a write is
// decided on it and requests in between share one immutable snapshot.
// Aggregate() runs after every ClusterRole write through the API (an
// ObjectService observer) and at start, and writes only roles whose rules
// changed, so kubectl sees aggregated rules as soon as its write returns.
//
// Threads: all methods are thread-safe. Owns its watch subscriptions; borrows
// the store and the ObjectService (for bootstrap writes), which must outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "auth/rbac_snapshot.h"
#include "common/status.h"
#include "store/resource_store.h"

namespace ferry::api {

class ObjectService;

class RbacState {
 public:
  RbacState(store::ResourceStore* store, ObjectService* service);
  ~RbacState();

  std::shared_ptr<const auth::RbacSnapshot> Snapshot();
  // Rewrites the rules of aggregated ClusterRoles that are out of date.
  void Aggregate();
  // Creates missing bootstrap roles and bindings and restores what was
  // removed from them (see auth/bootstrap_policy.h), then aggregates.
  Status ReconcileBootstrap();

 private:
  store::ResourceStore* store_;
  ObjectService* service_;
  std::vector<std::shared_ptr<store::Subscription>> watches_;
  std::atomic<uint64_t> generation_{1};
  std::mutex mu_;  // guards snapshot_ and built_
  std::shared_ptr<const auth::RbacSnapshot> snapshot_;
  uint64_t built_ = 0;
  std::mutex aggregate_mu_;  // one aggregation at a time
};

}  // namespace ferry::api
