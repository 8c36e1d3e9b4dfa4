// Output formats of the client verbs: YAML (-o yaml), a kubectl-like
// aligned table from a meta.k8s.io Table, and `describe`'s indented
// "Title Case: value" rendering. Pure functions; yaml-cpp stays inside.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace ferry::cli {

std::string ToYaml(const nlohmann::json& value);

// `table` is a meta.k8s.io/v1 Table. wide: also priority > 0 columns.
// with_namespace: a leading NAMESPACE column (from each row's object metadata).
std::string FormatTable(const nlohmann::json& table, bool wide, bool with_namespace);

// kubectl describe's generic layout for an object (no Events section).
std::string DescribeObject(const nlohmann::json& object);

// "Events:" section from a v1 EventList.
std::string DescribeEvents(const nlohmann::json& events);

// Left-aligned columns, three spaces apart (kubectl's tabwriter settings).
std::string AlignColumns(const std::vector<std::vector<std::string>>& rows);

}  // namespace ferry::cli
