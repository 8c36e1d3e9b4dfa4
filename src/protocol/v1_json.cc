#include "protocol/v1_json.h"

#include "protocol/json_dom.h"
#include "protocol/json_frame.h"
#include "protocol/json_writer.h"

namespace ferry::protocol {
namespace {

using internal::array;
using internal::element;
using internal::element_type;
using internal::GetField;
using internal::object;

bool LooksLikeV2Object(object obj) {
  element inputs;
  array list;
  if (!GetField(obj, "inputs", &inputs) || inputs.get(list) != simdjson::SUCCESS ||
      list.size() == 0) {
    return false;
  }
  object first;
  element f;
  return (*list.begin()).get(first) == simdjson::SUCCESS && GetField(first, "name", &f) &&
         (GetField(first, "datatype", &f) || GetField(first, "shape", &f));
}

}  // namespace

StatusOr<Frame> ParseV1Request(std::string_view json) {
  ASSIGN_OR_RETURN(element root, internal::ParseJsonDocument(json, "V1 request body"));
  object obj;
  if (root.get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError(
        "V1 request body must be a JSON object like "
        "{\"instances\": [[6.8, 2.8, 4.8, 1.4]]}, not " +
        std::string(internal::JsonTypeName(root)));
  }
  if (LooksLikeV2Object(obj)) {
    return InvalidArgumentError(V2BodyOnV1Message("<name>"));
  }
  element rows;
  std::string_view key = "instances";
  if (!GetField(obj, key, &rows)) {
    key = "inputs";
    if (!GetField(obj, key, &rows)) {
      if (GetField(obj, "dataframe_split", &rows) || GetField(obj, "dataframe_records", &rows)) {
        return InvalidArgumentError(
            "this is an MLflow scoring request body; POST it to "
            "/invocations, or send {\"instances\": [[...], ...]}");
      }
      return InvalidArgumentError(
          "Expected \"instances\" or \"inputs\" in the request body; a V1 "
          "request looks like {\"instances\": [[6.8, 2.8, 4.8, 1.4]]}");
    }
  }
  array list;
  if (rows.get(list) != simdjson::SUCCESS) {
    return InvalidArgumentError("Expected \"" + std::string(key) + "\" to be a list, not " +
                                std::string(internal::JsonTypeName(rows)));
  }
  return internal::FrameFromRows(list, key);
}

bool LooksLikeV2Body(std::string_view json) {
  auto root = internal::ParseJsonDocument(json, "body");
  object obj;
  return root.ok() && root->get(obj) == simdjson::SUCCESS && LooksLikeV2Object(obj);
}

std::string V2BodyOnV1Message(std::string_view model_name) {
  return std::string(kV2BodyOnV1Message) + "; POST it to /v2/models/" + std::string(model_name) +
         "/infer, or send a V1 body {\"instances\": [[...], ...]} here";
}

std::string WriteV1Predictions(const Tensor& prediction) {
  std::string out;
  out.reserve(32 + prediction.raw.size() * 3);
  out.append("{\"predictions\":");
  AppendNestedData(&out, prediction);
  out.push_back('}');
  return out;
}

std::string WriteV1Explanations(const Tensor& prediction, const Tensor& explanations) {
  std::string out;
  out.reserve(48 + (prediction.raw.size() + explanations.raw.size()) * 3);
  out.append("{\"predictions\":");
  AppendNestedData(&out, prediction);
  out.append(",\"explanations\":");
  AppendNestedData(&out, explanations);
  out.push_back('}');
  return out;
}

}  // namespace ferry::protocol
