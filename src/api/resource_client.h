// ResourceClient: the in-process way (no HTTP) for Ferry components such as
// the `ferry up` controller to read and write API objects with exactly the
// API server's semantics — server-set metadata, defaulting, admission hooks,
// validation, no-op detection, status subresource (UpdateStatus never bumps
// metadata.generation) — over the same store, so kubectl sees their writes
// and their watches see kubectl's.
//
// Objects are plain JSON (nlohmann::json; include <nlohmann/json.hpp> to use
// them). Errors are ferry::Status with kube wording: NotFound, AlreadyExists,
// Aborted (Conflict: reread and retry), InvalidArgument (Invalid/BadRequest).
// Thread-safe; obtain one from ApiServer::client() (it lives as long as the server).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/resource_store.h"

namespace ferry::api {

class ObjectService;

class ResourceClient {
 public:
  explicit ResourceClient(ObjectService* service) : service_(service) {}

  // `api_version` as in manifests: "v1", "serving.kserve.io/v1beta1", ...
  StatusOr<nlohmann::json> Get(std::string_view api_version, std::string_view kind,
                               std::string_view ns, std::string_view name) const;
  // A "<Kind>List"; empty `ns` = all namespaces.
  StatusOr<nlohmann::json> List(std::string_view api_version, std::string_view kind,
                                std::string_view ns, std::string_view label_selector = "",
                                std::string_view field_selector = "") const;
  // apiVersion, kind and metadata.namespace come from `object`.
  StatusOr<nlohmann::json> Create(const nlohmann::json& object);
  // Replaces spec/metadata; a metadata.resourceVersion in `object` is a precondition.
  StatusOr<nlohmann::json> Update(const nlohmann::json& object);
  // Replaces only .status (keeps generation); same precondition rule.
  StatusOr<nlohmann::json> UpdateStatus(const nlohmann::json& object);
  // content_type: application/merge-patch+json, application/json-patch+json,
  // application/strategic-merge-patch+json (core kinds) or application/apply-patch+yaml.
  StatusOr<nlohmann::json> Patch(std::string_view api_version, std::string_view kind,
                                 std::string_view ns, std::string_view name,
                                 std::string_view content_type, std::string_view patch,
                                 bool status = false);
  StatusOr<nlohmann::json> Delete(std::string_view api_version, std::string_view kind,
                                  std::string_view ns, std::string_view name);
  // Events carry objects in the kind's preferred version. from_rv 0 = ADDED
  // for every current object first; otherwise changes after from_rv.
  StatusOr<std::unique_ptr<store::EventQueue>> Watch(std::string_view api_version,
                                                     std::string_view kind, std::string_view ns,
                                                     int64_t from_rv,
                                                     std::string_view label_selector = "",
                                                     std::string_view field_selector = "");

 private:
  ObjectService* service_;
};

}  // namespace ferry::api
