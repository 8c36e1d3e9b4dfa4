#include "api/rbac_state.h"

#include <nlohmann/json.hpp>

#include "api/kinds.h"
#include "api/object_service.h"
#include "auth/aggregation.h"
#include "auth/bootstrap_policy.h"

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr const char* kRoles = "rbac.authorization.k8s.io/roles";
constexpr const char* kClusterRoles = "rbac.authorization.k8s.io/clusterroles";
constexpr const char* kRoleBindings = "rbac.authorization.k8s.io/rolebindings";
constexpr const char* kClusterRoleBindings = "rbac.authorization.k8s.io/clusterrolebindings";

std::vector<store::ObjectPtr> ListAll(store::ResourceStore* store, const char* resource) {
  auto list = store->List(resource, store::Selector{});
  return list.ok() ? list->items : std::vector<store::ObjectPtr>{};
}

std::vector<const json*> Ptrs(const std::vector<store::ObjectPtr>& items) {
  std::vector<const json*> out;
  out.reserve(items.size());
  for (const auto& i : items) out.push_back(i.get());
  return out;
}

const KindInfo& Kind(const char* plural) {
  return *FindKindByResource("rbac.authorization.k8s.io", "v1", plural);
}

}  // namespace

RbacState::RbacState(store::ResourceStore* store, ObjectService* service)
    : store_(store), service_(service) {
  for (const char* r : {kRoles, kClusterRoles, kRoleBindings, kClusterRoleBindings}) {
    auto sub = store_->Watch(r, store::Selector{}, store_->revision(),
                             [this](const store::WatchEvent&) { generation_.fetch_add(1); });
    if (sub.ok()) watches_.push_back(std::move(*sub));
  }
}

RbacState::~RbacState() {
  for (auto& w : watches_) w->Cancel();
}

std::shared_ptr<const auth::RbacSnapshot> RbacState::Snapshot() {
  uint64_t gen = generation_.load();
  std::lock_guard<std::mutex> l(mu_);
  if (snapshot_ && built_ == gen) return snapshot_;
  // Read the generation before listing: a change during the build leaves
  // built_ behind and the next call rebuilds.
  auto roles = ListAll(store_, kRoles);
  auto cluster_roles = ListAll(store_, kClusterRoles);
  auto bindings = ListAll(store_, kRoleBindings);
  auto cluster_bindings = ListAll(store_, kClusterRoleBindings);
  auth::RbacObjects objects{Ptrs(roles), Ptrs(cluster_roles), Ptrs(bindings),
                            Ptrs(cluster_bindings)};
  snapshot_ = std::make_shared<const auth::RbacSnapshot>(objects);
  built_ = gen;
  return snapshot_;
}

void RbacState::Aggregate() {
  std::lock_guard<std::mutex> l(aggregate_mu_);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto roles = ListAll(store_, kClusterRoles);
    auto changed = auth::AggregateClusterRoles(Ptrs(roles));
    bool conflict = false;
    for (const auto& role : roles) {
      auto it = changed.find((*role)["metadata"].value("name", ""));
      if (it == changed.end()) continue;
      json next = *role;
      next["rules"] = it->second;
      auto r = store_->Update(kClusterRoles, std::move(next), store::ResourceVersionOf(*role));
      if (!r.ok() && r.status().code() == StatusCode::kAborted) conflict = true;
    }
    if (!conflict) return;
  }
}

Status RbacState::ReconcileBootstrap() {
  struct Set {
    std::vector<json> expected;
    const KindInfo& kind;
    bool binding;
  };
  for (const Set& set :
       {Set{auth::BootstrapClusterRoles(), Kind("clusterroles"), false},
        Set{auth::BootstrapClusterRoleBindings(), Kind("clusterrolebindings"), true}}) {
    for (const json& want : set.expected) {
      std::string name = want["metadata"]["name"];
      json existing;
      ApiError got = service_->Get(set.kind, "v1", "", name, &existing);
      const json* have = got.ok() ? &existing : nullptr;
      auth::Reconciled r = set.binding ? auth::ReconcileClusterRoleBinding(have, want)
                                       : auth::ReconcileClusterRole(have, want);
      WriteResult out;
      ApiError err;
      json unused;
      switch (r.op) {
        case auth::ReconcileOp::kNone:
          continue;
        case auth::ReconcileOp::kRecreate:
          (void)service_->Delete(set.kind, "v1", "", name, &unused);
          [[fallthrough]];
        case auth::ReconcileOp::kCreate:
          err = service_->Create(set.kind, "v1", "", r.object, {}, &out);
          break;
        case auth::ReconcileOp::kUpdate:
          err = service_->Update(set.kind, "v1", "", name, r.object, false, {}, &out);
          break;
      }
      if (!err.ok()) {
        return err.ToStatus().WithContext("reconciling the bootstrap " + set.kind.kind + " " +
                                          name);
      }
    }
  }
  Aggregate();
  return OkStatus();
}

}  // namespace ferry::api
