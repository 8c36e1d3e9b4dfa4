// KindInfo: everything the API server knows about one resource type — REST
// names (group, versions, plural, short names), scope, table columns,
// defaulting, validation and the field schema used by strict field validation.
// The registry is static and immutable (built on first use, thread-safe).
// Internal to ferry_api; each kind family lives in its own kinds_*.cc.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.h"

namespace ferry::api {

struct Column {
  std::string name;
  std::string type = "string";  // string | integer | date
  int priority = 0;             // > 0: only with -o wide
};

struct KindInfo {
  std::string group;                  // "" for core
  std::vector<std::string> versions;  // first = preferred (storage) version
  std::string plural;
  std::string singular;
  std::string kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;
  bool strategic_merge = false;  // core kinds: strategic-merge-patch supported
  // Columns printed between Name and Age, then those after Age (e.g. Service Selector).
  std::vector<Column> columns;
  std::vector<Column> wide_columns;
  std::function<nlohmann::json(const nlohmann::json& obj)> cells;  // one per column above
  // Webhook-style defaults, run on every write before validation.
  std::function<void(nlohmann::json& obj)> defaults;
  std::function<std::vector<FieldError>(const nlohmann::json& obj)> validate;
  // Why a body cannot be decoded into this kind (a field of the wrong type or
  // format, which kube-apiserver refuses with 400 before validation), or "".
  std::function<std::string(const nlohmann::json& obj)> decode_error;
  // Admission warnings for a valid object (the API sends each as a
  // `Warning: 299 - "..."` header; kubectl prints `Warning: ...`).
  std::function<std::vector<std::string>(const nlohmann::json& obj)> warnings;
  // Checks an update against the stored object (e.g. an immutable roleRef).
  std::function<std::vector<FieldError>(const nlohmann::json& obj, const nlohmann::json& old)>
      validate_update;
  // Discovery verbs; empty = the full CRUD set.
  std::vector<std::string> verbs;
  // false: create-only review objects, answered and never stored.
  bool stored = true;
  // false: no Age column (RBAC roles print "Created At" instead).
  bool age_column = true;
  // Names are path segments (RBAC: "system:basic-user"), not DNS subdomains.
  bool path_segment_names = false;
  // Known fields as JSON ("*" = anything below); empty = no strict checking.
  std::string schema;
  // Non-empty: objects are written by Ferry only; users may read and delete.
  // Create/update/patch are refused (403) with this text.
  std::string read_only_reason;
  bool read_only_delete = true;  // with read_only_reason: may users delete?

  // false: no Name column first (Events print it last, wide only); cells include it.
  bool name_column = true;
  // Field selector labels this kind supports (label → path in the stored
  // object), as kube-apiserver's field label conversions; another label is
  // refused with 400. Empty: any dotted path of the stored object.
  std::map<std::string, std::string, std::less<>> field_labels;
  // metrics.k8s.io: computed on each read from the process's usage (pod_metrics.cc).
  bool resource_metrics = false;
  // Another kind's store resource (events.k8s.io Events are core Events).
  std::string stored_as;
  // The stored object as this kind shows it (apiVersion and kind are set after).
  std::function<nlohmann::json(const nlohmann::json& stored)> convert_out;

  std::string store_resource() const {
    return !stored_as.empty() ? stored_as : (group.empty() ? "core" : group) + "/" + plural;
  }
  std::string api_version(std::string_view version) const {
    return group.empty() ? std::string(version) : group + "/" + std::string(version);
  }
  bool serves(std::string_view version) const;
};

const std::vector<KindInfo>& AllKinds();
const KindInfo* FindKindByResource(std::string_view group, std::string_view version,
                                   std::string_view plural);
// By apiVersion ("serving.kserve.io/v1beta1" or "v1") and kind.
const KindInfo* FindKindByApiVersion(std::string_view api_version, std::string_view kind);

// Families, each in its own file.
void AddCoreKinds(std::vector<KindInfo>* kinds);
void AddKServeKinds(std::vector<KindInfo>* kinds);
void AddIstioKinds(std::vector<KindInfo>* kinds);
void AddOtherKinds(std::vector<KindInfo>* kinds);  // kubeflow Profile, batch Job
void AddRbacKinds(std::vector<KindInfo>* kinds);   // rbac.authorization.k8s.io/v1
void AddReviewKinds(std::vector<KindInfo>* kinds);  // authorization/authentication reviews
KindInfo PodKind();  // kinds_pod.cc, a core kind
KindInfo NodeKind();                               // kinds_node.cc, a core kind
void AddEventKinds(std::vector<KindInfo>* kinds);  // core v1 and events.k8s.io/v1
void AddKnativeKinds(std::vector<KindInfo>* kinds);  // serving.knative.dev/v1, read-only
void AddMetricsKinds(std::vector<KindInfo>* kinds);  // metrics.k8s.io/v1beta1 (pod_metrics.cc)

// Validators (own files).
std::vector<FieldError> ValidateInferenceService(const nlohmann::json& obj);
void DefaultInferenceService(nlohmann::json& obj);
std::vector<std::string> InferenceServiceWarnings(const nlohmann::json& obj);
std::vector<FieldError> ValidateInferenceGraph(const nlohmann::json& obj);
std::vector<std::string> InferenceGraphWarnings(const nlohmann::json& obj);
// Every field of an InferenceGraph's spec (KServe v0.14 and v0.15 CRDs): honoured, or
// accepted with a warning that it has no effect here.
struct GraphSpecField {
  std::string name;
  bool honoured;
  std::string why;
};
const std::vector<GraphSpecField>& InferenceGraphSpecFields();
std::vector<FieldError> ValidateAuthorizationPolicy(const nlohmann::json& obj);
std::vector<std::string> AuthorizationPolicyWarnings(const nlohmann::json& obj);
std::vector<FieldError> ValidateRequestAuthentication(const nlohmann::json& obj);

// Small JSON helpers shared by the kind files.
// Value at a dotted path ("status.url"), or null.
const nlohmann::json& At(const nlohmann::json& obj, std::string_view dotted);
std::string StringAt(const nlohmann::json& obj, std::string_view dotted);

}  // namespace ferry::api
