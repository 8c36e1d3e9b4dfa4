// ObjectService deletion: finalizers (a deletionTimestamp until an update
// empties metadata.finalizers), namespaces (their contents go with them) and
// the garbage collector's background propagation over ownerReferences —
// what kube-apiserver and kube-controller-manager's garbage collector do
// together, done synchronously so the dependents are gone when DELETE returns.
#include <chrono>

#include "api/encoding.h"
#include "api/object_service.h"

namespace ferry::api {
namespace {

using nlohmann::json;

const KindInfo& NamespaceKind() { return *FindKindByResource("", "v1", "namespaces"); }

bool OwnedBy(const json& obj, const std::string& uid) {
  const json& refs = At(obj, "metadata.ownerReferences");
  if (!refs.is_array()) return false;
  for (const json& ref : refs) {
    if (ref.is_object() && ref.value("uid", "") == uid) return true;
  }
  return false;
}

}  // namespace

void ObjectService::DeleteNamespaceContents(std::string_view ns) {
  store::Selector sel;
  sel.ns = std::string(ns);
  for (const KindInfo& k : AllKinds()) {
    if (!k.namespaced || !k.stored) continue;
    auto list = store_->List(k.store_resource(), sel);
    if (!list.ok()) continue;
    for (const auto& item : list->items) {
      (void)store_->Delete(k.store_resource(), ns, StringAt((*item)["metadata"], "name"), 0);
    }
  }
}

// Dependents of a namespaced owner live in its namespace; those of a
// cluster-scoped owner anywhere. A dependent whose every owner reference
// names the deleted owner is deleted (through Delete, so its own finalizers
// and dependents are honoured); one with other owners only loses the reference.
void ObjectService::CollectDependents(const KindInfo& owner_kind, const json& owner, bool orphan) {
  std::string uid = StringAt(owner, "metadata.uid");
  if (uid.empty()) return;
  store::Selector sel;
  if (owner_kind.namespaced) sel.ns = StringAt(owner, "metadata.namespace");
  for (const KindInfo& k : AllKinds()) {
    if (!k.stored || (owner_kind.namespaced && !k.namespaced)) continue;
    auto list = store_->List(k.store_resource(), sel);
    if (!list.ok()) continue;
    for (const auto& item : list->items) {
      if (!OwnedBy(*item, uid)) continue;
      json refs = json::array();
      for (const json& ref : (*item)["metadata"]["ownerReferences"]) {
        if (ref.value("uid", "") != uid) refs.push_back(ref);
      }
      std::string ns = StringAt(*item, "metadata.namespace");
      std::string name = StringAt(*item, "metadata.name");
      if (refs.empty() && !orphan) {
        json gone;
        (void)Delete(k, k.versions[0], ns, name, &gone);
        continue;
      }
      json next = *item;
      if (refs.empty()) {
        next["metadata"].erase("ownerReferences");
      } else {
        next["metadata"]["ownerReferences"] = std::move(refs);
      }
      (void)store_->Update(k.store_resource(), std::move(next), 0);
    }
  }
}

ApiError ObjectService::Remove(const KindInfo& kind, const json& existing, bool orphan,
                               json* removed) {
  std::string ns = kind.namespaced ? StringAt(existing, "metadata.namespace") : "";
  std::string name = StringAt(existing, "metadata.name");
  auto r = store_->Delete(kind.store_resource(), ns, name, 0);
  if (!r.ok()) return FromStatus(r.status(), kind, name);
  *removed = **r;
  if (&kind == &NamespaceKind()) DeleteNamespaceContents(name);
  CollectDependents(kind, *removed, orphan);
  RefreshQuotas(kind, ns);
  return {};
}

ApiError ObjectService::Delete(const KindInfo& kind, std::string_view version, std::string_view ns,
                               std::string_view name, json* out, bool orphan) {
  auto existing = store_->Get(kind.store_resource(), kind.namespaced ? ns : "", name);
  if (!existing.ok()) return FromStatus(existing.status(), kind, name);
  const json& current = **existing;
  if (!At(current, "metadata.finalizers").empty()) {
    // Finalizers pending: mark the object; whoever owns a finalizer removes it.
    json next = current;
    if (!next["metadata"].contains("deletionTimestamp")) {
      next["metadata"]["deletionTimestamp"] = Rfc3339(std::chrono::system_clock::now());
      next["metadata"]["deletionGracePeriodSeconds"] = 0;
      auto r = store_->Update(kind.store_resource(), next, store::ResourceVersionOf(current));
      if (!r.ok()) return FromStatus(r.status(), kind, name);
      next = **r;
      Notify(kind);
    }
    *out = ForVersion(kind, version, next);
    return {};
  }
  json removed;
  RETURN_API_ERROR(Remove(kind, current, orphan, &removed));
  Notify(kind);
  *out = ForVersion(kind, version, removed);
  return {};
}

}  // namespace ferry::api
