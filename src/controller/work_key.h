// WorkKey: one item of the controller's work queue — what kind of work and
// which object it is about. The worker dispatches on `kind` (a registration
// list in controller.cc maps each kind to its Reconciler), so a key is never
// parsed back out of a string and cannot name an object of the wrong shape.
//
// Keys are values, compared and ordered by (kind, ns, name): the queue holds
// each key at most once, however many events asked for it.
#pragma once

#include <compare>
#include <string>

namespace ferry::controller {

enum class WorkKind {
  kInferenceService,      // ns/name
  kNamespaceCredentials,  // ns: a Secret or ServiceAccount there changed
  kProfile,               // name (cluster-scoped; also the namespace it owns)
  kGatewayService,        // name of a gateway Service in istio-system
  kJob,                   // ns/name
  kPolicies,              // the mesh config and every security policy: one snapshot
  kDomain,                // knative-serving/config-domain
  kScaleTick,             // idle check of minReplicas: 0 models; frees retired revisions
  kWake,                  // ns/name: requests wait for a scaled-to-zero model
  kNamespace,             // name: its `default` ServiceAccount
};

struct WorkKey {
  WorkKind kind = WorkKind::kInferenceService;
  std::string ns;
  std::string name;

  static WorkKey Isvc(std::string ns, std::string name) {
    return {WorkKind::kInferenceService, std::move(ns), std::move(name)};
  }
  static WorkKey Credentials(std::string ns) {
    return {WorkKind::kNamespaceCredentials, std::move(ns), ""};
  }
  static WorkKey Profile(std::string name) { return {WorkKind::kProfile, "", std::move(name)}; }
  static WorkKey GatewayService(std::string name) {
    return {WorkKind::kGatewayService, "istio-system", std::move(name)};
  }
  static WorkKey Job(std::string ns, std::string name) {
    return {WorkKind::kJob, std::move(ns), std::move(name)};
  }
  static WorkKey Policies() { return {WorkKind::kPolicies, "", ""}; }
  static WorkKey Domain() { return {WorkKind::kDomain, "", ""}; }
  static WorkKey ScaleTick() { return {WorkKind::kScaleTick, "", ""}; }
  static WorkKey Namespace(std::string name) {
    return {WorkKind::kNamespace, "", std::move(name)};
  }
  static WorkKey Wake(std::string ns, std::string name) {
    return {WorkKind::kWake, std::move(ns), std::move(name)};
  }

  // "ns/name": how IsvcState and the loader index an InferenceService.
  std::string ObjectKey() const { return ns + "/" + name; }

  auto operator<=>(const WorkKey&) const = default;
  bool operator==(const WorkKey&) const = default;
};

// For logs and test failures: "InferenceService default/iris".
std::string ToString(const WorkKey& key);

}  // namespace ferry::controller
