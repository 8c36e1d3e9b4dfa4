#include "protocol/mlflow_json.h"

#include <array>

#include "protocol/json_dom.h"
#include "protocol/json_frame.h"
#include "protocol/json_writer.h"

namespace ferry::protocol {
namespace {

using internal::array;
using internal::element;
using internal::element_type;
using internal::GetField;
using internal::JsonTypeName;
using internal::object;

constexpr std::array<std::string_view, 4> kFormats = {"dataframe_split", "dataframe_records",
                                                      "instances", "inputs"};
constexpr std::string_view kRequiredFormat =
    "The input must be a JSON dictionary with exactly one of the input fields "
    "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}";
constexpr std::string_view kProtocolChange =
    "Note: the MLflow model scoring protocol changed in MLflow 2.0; a bare list or a pandas "
    "'split' object is no longer accepted. Wrap the data, e.g. {\"dataframe_split\": "
    "{\"columns\": [...], \"data\": [[...]]}} or {\"dataframe_records\": [{...}]}";

StatusOr<Frame> ParseSplit(element e) {
  object split;
  element data;
  array rows;
  if (e.get(split) != simdjson::SUCCESS || !GetField(split, "data", &data) ||
      data.get(rows) != simdjson::SUCCESS) {
    return InvalidArgumentError(
        "dataframe_split must be an object {\"columns\": [...], "
        "\"data\": [[...], ...]} (pandas 'split' orient)");
  }
  ASSIGN_OR_RETURN(Frame f, internal::FrameFromRows(rows, "dataframe_split.data"));
  element columns;
  if (!GetField(split, "columns", &columns)) {
    return f;
  }
  array names;
  if (columns.get(names) != simdjson::SUCCESS) {
    return InvalidArgumentError("dataframe_split.columns must be a list of column names");
  }
  if (names.size() != f.cols) {
    return InvalidArgumentError("dataframe_split has " + std::to_string(names.size()) +
                                " columns but its rows have " + std::to_string(f.cols) +
                                " values; they must match");
  }
  for (element name : names) {
    std::string_view s;
    f.names.push_back(name.get(s) == simdjson::SUCCESS ? std::string(s) : simdjson::minify(name));
  }
  return f;
}

StatusOr<Frame> ParseFormat(std::string_view format, element e) {
  if (format == "dataframe_split") {
    return ParseSplit(e);
  }
  array rows;
  if (format == "dataframe_records") {
    if (e.get(rows) != simdjson::SUCCESS ||
        (rows.size() > 0 && (*rows.begin()).type() != element_type::OBJECT)) {
      return InvalidArgumentError("dataframe_records must be a list of {column: value} objects");
    }
    return internal::FrameFromRows(rows, format);
  }
  object columns;
  if (format == "inputs" && e.get(columns) == simdjson::SUCCESS) {
    // One named tensor of rows ({"x": [[...], ...]}) is that tensor's rows.
    if (columns.size() == 1 && (*columns.begin()).value.get(rows) == simdjson::SUCCESS &&
        rows.size() > 0 && (*rows.begin()).type() == element_type::ARRAY) {
      return internal::FrameFromRows(rows, "inputs['" + std::string((*columns.begin()).key) + "']");
    }
    return internal::FrameFromColumns(columns, format);
  }
  if (e.get(rows) != simdjson::SUCCESS) {
    return InvalidArgumentError(std::string(format) + " must be a list, not " +
                                std::string(JsonTypeName(e)));
  }
  return internal::FrameFromRows(rows, format);
}

}  // namespace

StatusOr<Frame> ParseMlflowJson(std::string_view json, Parameters* params_out) {
  ASSIGN_OR_RETURN(element root, internal::ParseJsonDocument(json, "request body"));
  object obj;
  if (root.get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError(std::string(kRequiredFormat) + ". Received " +
                                std::string(JsonTypeName(root)) + ". " +
                                std::string(kProtocolChange));
  }
  std::string_view format;
  element data;
  for (auto field : obj) {
    if (field.key == "params") {
      if (params_out != nullptr) {
        RETURN_IF_ERROR(internal::ParseParameterObject(field.value, "params", params_out));
      }
      continue;
    }
    bool known = false;
    for (std::string_view f : kFormats) {
      known = known || field.key == f;
    }
    if (!known || !format.empty()) {
      return InvalidArgumentError(std::string(kRequiredFormat) +
                                  " (and optionally 'params'). "
                                  "Received the field '" +
                                  std::string(field.key) + "'" +
                                  (known ? " in addition to '" + std::string(format) + "'" : "") +
                                  ". " + std::string(kProtocolChange));
    }
    format = field.key;
    data = field.value;
  }
  if (format.empty()) {
    return InvalidArgumentError(std::string(kRequiredFormat) + ". Received none of them. " +
                                std::string(kProtocolChange));
  }
  return ParseFormat(format, data);
}

std::string WriteMlflowPredictions(const Tensor& prediction) {
  std::string out;
  out.reserve(32 + prediction.raw.size() * 3);
  out.append("{\"predictions\":");
  AppendNestedData(&out, prediction);
  out.push_back('}');
  return out;
}

std::string WriteMlflowError(std::string_view error_code, std::string_view message) {
  std::string out = "{\"error_code\":";
  AppendJsonString(&out, error_code);
  out.append(",\"message\":");
  AppendJsonString(&out, message);
  out.push_back('}');
  return out;
}

}  // namespace ferry::protocol
