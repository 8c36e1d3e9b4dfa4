#include "api/table.h"

#include <chrono>

#include "api/encoding.h"
#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

json ColumnDef(const std::string& name, const std::string& type, int priority,
               const char* format = "") {
  return {{"name", name},
          {"type", type},
          {"format", format},
          {"description", ""},
          {"priority", priority}};
}

std::string Age(const json& obj) {
  std::chrono::system_clock::time_point t;
  if (!ParseRfc3339(StringAt(obj, "metadata.creationTimestamp"), &t)) return "<unknown>";
  return HumanDuration(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - t));
}

json PartialMetadata(const json& obj) {
  json meta = json::object();
  const json& m = At(obj, "metadata");
  for (const char* f : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp",
                        "generation", "labels", "annotations", "deletionTimestamp"}) {
    if (m.is_object() && m.contains(f)) meta[f] = m[f];
  }
  return {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", meta}};
}

}  // namespace

bool WantsTable(std::string_view accept) {
  return accept.find("as=Table") != std::string_view::npos;
}

json BuildTable(const KindInfo& kind, const std::vector<json>& objects,
                std::string_view resource_version, std::string_view include_object) {
  json cols = json::array();
  if (kind.name_column) cols.push_back(ColumnDef("Name", "string", 0, "name"));
  for (const Column& c : kind.columns) {
    cols.push_back(ColumnDef(c.name, c.type, c.priority, c.name == "Name" ? "name" : ""));
  }
  if (kind.age_column) cols.push_back(ColumnDef("Age", "date", 0));
  for (const Column& c : kind.wide_columns) cols.push_back(ColumnDef(c.name, c.type, c.priority));
  json rows = json::array();
  size_t n_extra = kind.columns.size() + kind.wide_columns.size();
  for (const json& obj : objects) {
    json cells = json::array();
    if (kind.name_column) cells.push_back(StringAt(obj, "metadata.name"));
    json extra = kind.cells ? kind.cells(obj) : json::array();
    for (size_t i = 0; i < kind.columns.size(); ++i) {
      cells.push_back(i < extra.size() ? extra[i] : json());
    }
    if (kind.age_column) cells.push_back(Age(obj));
    for (size_t i = kind.columns.size(); i < n_extra; ++i) {
      cells.push_back(i < extra.size() ? extra[i] : json());
    }
    rows.push_back({{"cells", std::move(cells)},
                    {"object", include_object == "Object" ? obj : PartialMetadata(obj)}});
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", {{"resourceVersion", resource_version}}},
          {"columnDefinitions", std::move(cols)},
          {"rows", std::move(rows)}};
}

}  // namespace ferry::api
