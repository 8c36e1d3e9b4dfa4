#include "runtime/input_example.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace ferry::runtime {
namespace {

using nlohmann::json;

// The example's rows (each a list of scalars) and column names when it has them.
struct Rows {
  std::vector<json> rows;
  std::vector<std::string> columns;
};

bool IsScalar(const json& v) { return v.is_number() || v.is_string() || v.is_boolean(); }

std::optional<Rows> RowsOf(const json& doc, size_t max_rows) {
  Rows out;
  const json* data = &doc;
  if (doc.is_object() && doc.contains("columns") && doc.contains("data")) {  // pandas split
    for (const json& c : doc["columns"]) {
      if (!c.is_string()) return std::nullopt;
      out.columns.push_back(c.get<std::string>());
    }
    data = &doc["data"];
  } else if (doc.is_object() && doc.contains("inputs")) {  // tf-serving style
    data = &doc["inputs"];
    if (data->is_object()) {  // {name: column values}: transpose into rows
      size_t n = SIZE_MAX;
      for (const auto& [name, col] : data->items()) {
        if (!col.is_array()) return std::nullopt;
        out.columns.push_back(name);
        n = std::min(n, col.size());
      }
      for (size_t r = 0; r < std::min(n, max_rows); ++r) {
        json row = json::array();
        for (const auto& [name, col] : data->items()) row.push_back(col[r]);
        out.rows.push_back(std::move(row));
      }
      return out.rows.empty() ? std::nullopt : std::optional<Rows>(std::move(out));
    }
  }
  if (!data->is_array() || data->empty()) return std::nullopt;
  for (const json& row : *data) {
    if (out.rows.size() == max_rows) break;
    json r = row.is_array() ? row : json::array({row});
    for (const json& v : r) {
      if (!IsScalar(v)) return std::nullopt;
    }
    if (!out.rows.empty() && r.size() != out.rows.front().size()) return std::nullopt;
    out.rows.push_back(std::move(r));
  }
  if (!out.columns.empty() && out.columns.size() != out.rows.front().size()) return std::nullopt;
  return out;
}

json Input(const protocol::TensorSpec& spec, json shape, json data) {
  return {{"name", spec.name},
          {"shape", std::move(shape)},
          {"datatype", std::string(protocol::DataTypeName(spec.datatype))},
          {"data", std::move(data)}};
}

}  // namespace

std::string ExampleRequest(std::string_view example_json, const protocol::ModelMetadata& md,
                           size_t max_rows) {
  if (example_json.empty() || md.inputs.empty() || max_rows == 0) return "";
  json doc = json::parse(example_json, nullptr, false);
  if (doc.is_discarded()) return "";
  std::optional<Rows> rows = RowsOf(doc, max_rows);
  if (!rows) return "";
  const size_t n = rows->rows.size(), k = rows->rows.front().size();
  json inputs = json::array();
  const protocol::TensorSpec& first = md.inputs.front();
  if (md.inputs.size() == 1 && first.shape.size() == 2 &&
      (first.shape[1] < 0 || static_cast<size_t>(first.shape[1]) == k)) {
    inputs.push_back(Input(first, {n, k}, rows->rows));
  } else if (md.inputs.size() == k) {
    for (size_t i = 0; i < k; ++i) {
      const protocol::TensorSpec& spec = md.inputs[i];
      size_t col = i;  // by name when the example names its columns
      if (!rows->columns.empty()) {
        auto it = std::find(rows->columns.begin(), rows->columns.end(), spec.name);
        if (it == rows->columns.end()) return "";
        col = static_cast<size_t>(it - rows->columns.begin());
      }
      json data = json::array();
      for (const json& row : rows->rows) data.push_back(row[col]);
      json shape = spec.shape.size() == 1 ? json{n} : json{n, 1};
      inputs.push_back(Input(spec, std::move(shape), std::move(data)));
    }
  } else {
    return "";
  }
  json request = {{"inputs", std::move(inputs)}};
  if (!md.content_type.empty()) request["parameters"] = {{"content_type", md.content_type}};
  return request.dump();
}

}  // namespace ferry::runtime
