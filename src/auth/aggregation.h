// ClusterRole aggregation, as kube-controller-manager's
// clusterrole-aggregation controller does it: a ClusterRole with an
// aggregationRule gets, as its `rules`, the union of the rules of every other
// ClusterRole matched by one of its clusterRoleSelectors (selectors in order,
// matching roles by name, each rule once). Aggregated roles that select
// aggregated roles (Kubeflow's kubeflow-admin ⊃ kubeflow-edit ⊃ kubeflow-view)
// are iterated until nothing changes, as the controller's requeues converge.
//
// Also metav1.LabelSelector matching (matchLabels and matchExpressions; an
// empty selector matches everything, as LabelSelectorAsSelector says).
// Pure; thread-safe.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace ferry::auth {

// Whether `labels` (metadata.labels, may be null) match a metav1.LabelSelector.
StatusOr<bool> LabelSelectorMatches(const nlohmann::json& selector, const nlohmann::json& labels);

// For each aggregated ClusterRole among `cluster_roles` whose stored rules
// differ from the aggregation, its new `rules` array, by name.
std::map<std::string, nlohmann::json> AggregateClusterRoles(
    const std::vector<const nlohmann::json*>& cluster_roles);

}  // namespace ferry::auth
