// ObjectService: Kubernetes object semantics over the ResourceStore — server-set
// metadata (uid, creationTimestamp, generation), namespace checks, field
// validation, defaulting, admission hooks, validation, patches, status
// subresource and version rewriting. Shared by the HTTP ApiServer and the
// in-process ResourceClient so both behave the same. Internal to ferry_api.
//
// Threads: every method is thread-safe (the store serialises writes; admission
// hooks are read under a shared lock and must themselves be thread-safe).
// Objects are stored in the kind's preferred version and rewritten on output.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.h"
#include "api/field_validation.h"
#include "api/kinds.h"
#include "api/patch.h"
#include "store/resource_store.h"

namespace ferry::api {

using AdmissionHook =
    std::function<Status(nlohmann::json& obj, bool create, std::vector<std::string>* warnings)>;

struct WriteOptions {
  FieldValidation validation = FieldValidation::kWarn;
  bool dry_run = false;
  // The caller's own check of the object about to be written, run after
  // defaulting and admission and before validation (where Kubernetes' RBAC
  // storage checks for privilege escalation); `old` is null on create. An
  // error refuses the write.
  std::function<ApiError(const nlohmann::json& obj, const nlohmann::json* old)> check;
};

struct WriteResult {
  nlohmann::json object;
  std::vector<std::string> warnings;
  bool created = false;
};

class ObjectService {
 public:
  explicit ObjectService(store::ResourceStore* store) : store_(store) {}

  // `kind` is a Kind name ("InferenceService"); hooks run in the order added.
  void AddAdmission(std::string kind, AdmissionHook hook);
  // Called after every successful (not dry-run) create, update, patch or
  // delete of `kind`, on the writer's thread, outside any lock of this class.
  void AddWriteObserver(std::string kind, std::function<void()> observer);
  // When true (default), namespaced objects need their Namespace to exist.
  void set_require_namespaces(bool v) { require_namespaces_ = v; }

  ApiError Get(const KindInfo& kind, std::string_view version, std::string_view ns,
               std::string_view name, nlohmann::json* out) const;
  // Fills a "<Kind>List" with items and metadata.resourceVersion.
  ApiError List(const KindInfo& kind, std::string_view version, const store::Selector& selector,
                nlohmann::json* out) const;
  ApiError Create(const KindInfo& kind, std::string_view version, std::string_view ns,
                  nlohmann::json body, const WriteOptions& opts, WriteResult* out);
  // PUT. `status_only`: the status subresource (only .status changes, generation kept).
  ApiError Update(const KindInfo& kind, std::string_view version, std::string_view ns,
                  std::string_view name, nlohmann::json body, bool status_only,
                  const WriteOptions& opts, WriteResult* out);
  // PATCH. kApply creates the object when it does not exist.
  ApiError Patch(const KindInfo& kind, std::string_view version, std::string_view ns,
                 std::string_view name, PatchType type, std::string_view body, bool status_only,
                 const WriteOptions& opts, WriteResult* out);
  // DELETE, as kube-apiserver with the garbage collector's background
  // propagation: an object with finalizers only gets a deletionTimestamp (it
  // goes once an update empties its finalizers); a deleted object's
  // dependents (ownerReferences naming its uid) are deleted in turn, or with
  // `orphan` (propagationPolicy Orphan) only lose that reference.
  ApiError Delete(const KindInfo& kind, std::string_view version, std::string_view ns,
                  std::string_view name, nlohmann::json* out, bool orphan = false);

  store::ResourceStore* store() const { return store_; }

  // `stored` with apiVersion/kind for `version`.
  static nlohmann::json ForVersion(const KindInfo& kind, std::string_view version,
                                   const nlohmann::json& stored);

 private:
  ApiError Decode(const KindInfo& kind, std::string_view version, nlohmann::json& obj,
                  const WriteOptions& opts, std::vector<std::string>* warnings) const;
  ApiError Admit(const KindInfo& kind, nlohmann::json& obj, const nlohmann::json* old,
                 const WriteOptions& opts, std::vector<std::string>* warnings) const;
  void Notify(const KindInfo& kind) const;
  ApiError CheckNamespace(const KindInfo& kind, std::string_view ns, nlohmann::json& obj) const;
  ApiError Store(const KindInfo& kind, std::string_view version, nlohmann::json obj,
                 const nlohmann::json& existing, bool status_only, const WriteOptions& opts,
                 WriteResult* out);
  void DeleteNamespaceContents(std::string_view ns);
  // quota.h's status refresh after a write or delete of `kind` in `ns`.
  void RefreshQuotas(const KindInfo& kind, std::string_view ns);
  // object_deletion.cc: removes `existing` from the store and collects its dependents.
  ApiError Remove(const KindInfo& kind, const nlohmann::json& existing, bool orphan,
                  nlohmann::json* removed);
  void CollectDependents(const KindInfo& owner_kind, const nlohmann::json& owner, bool orphan);

  store::ResourceStore* store_;
  bool require_namespaces_ = true;
  // Serialises a quota's check with the create it admits, and status refreshes.
  std::mutex quota_mu_;
  mutable std::shared_mutex hooks_mu_;
  std::map<std::string, std::vector<AdmissionHook>, std::less<>> hooks_;
  std::map<std::string, std::vector<std::function<void()>>, std::less<>> observers_;
};

}  // namespace ferry::api
