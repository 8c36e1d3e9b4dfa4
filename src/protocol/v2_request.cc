// ParseV2Request: V2 JSON (+ binary tail) → InferRequest. The request's
// structure is read here; tensor elements in v2_tensor_data.cc.
#include "protocol/json_dom.h"
#include "protocol/v2_json.h"
#include "protocol/v2_request_fast.h"
#include "protocol/v2_tensor_data.h"

namespace ferry::protocol {
namespace {

using internal::array;
using internal::element;
using internal::element_type;
using internal::GetField;
using internal::JsonSnippet;
using internal::JsonTypeName;
using internal::object;

Status InputError(const Tensor& t, const std::string& what) {
  return InvalidArgumentError("input '" + t.name + "': " + what);
}

StatusOr<Shape> ReadShape(element e, const Tensor& t) {
  array a;
  if (e.get(a) != simdjson::SUCCESS) {
    return InputError(t, "\"shape\" must be a list of non-negative integers, not " +
                             std::string(JsonTypeName(e)));
  }
  Shape shape;
  shape.reserve(a.size());
  for (element d : a) {
    int64_t v;
    if (d.get(v) != simdjson::SUCCESS || v < 0) {
      return InputError(t,
                        "\"shape\" must be a list of non-negative integers; got " + JsonSnippet(e));
    }
    shape.push_back(v);
  }
  return shape;
}

// Binary tail bookkeeping: inputs consume it front to back.
struct BinaryCursor {
  std::string_view tail;
  size_t json_size = 0;
  size_t used = 0;
};

Status ReadInput(element e, size_t index, BinaryCursor* bin, Tensor* t) {
  object obj;
  if (e.get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError("inputs[" + std::to_string(index) + "] must be an object with " +
                                "name, shape, datatype and data; got " + JsonSnippet(e));
  }
  enum { kName, kShape, kDatatype, kParameters, kData };
  static constexpr std::string_view kKeys[] = {"name", "shape", "datatype", "parameters", "data"};
  element fields[5];
  bool found[5];
  internal::GetFields(obj, kKeys, fields, found);
  std::string_view name;
  if (!found[kName] || fields[kName].get(name) != simdjson::SUCCESS) {
    return InvalidArgumentError("inputs[" + std::to_string(index) +
                                "] has no \"name\" string; every input needs a name");
  }
  t->name = std::string(name);
  if (!found[kShape]) {
    return InputError(*t, "missing \"shape\" (e.g. [1, 4] for one row of 4 features)");
  }
  ASSIGN_OR_RETURN(t->shape, ReadShape(fields[kShape], *t));
  std::string_view dtype;
  if (!found[kDatatype] || fields[kDatatype].get(dtype) != simdjson::SUCCESS) {
    return InputError(*t, "missing \"datatype\" string (e.g. \"FP64\", \"INT64\", \"BYTES\")");
  }
  auto parsed = ParseDataType(dtype);
  if (!parsed) {
    return InputError(*t, "unknown datatype \"" + std::string(dtype) +
                              "\"; use one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, "
                              "FP64, BYTES (upper case)");
  }
  t->datatype = *parsed;
  if (found[kParameters]) {
    RETURN_IF_ERROR(internal::ParseParameterObject(fields[kParameters], "input '" + t->name + "'",
                                                   &t->parameters));
  }
  auto count_or = ElementCount(t->shape);
  if (!count_or.ok()) {
    return InputError(*t, count_or.status().message());
  }
  const int64_t count = *count_or;
  const ParamValue* size_param = t->parameters.Find("binary_data_size");
  element data = fields[kData];
  const bool has_data = found[kData];
  if (size_param == nullptr) {
    if (!has_data) {
      return InputError(*t, "missing \"data\" (or parameters.binary_data_size with a binary body)");
    }
    return internal::ReadJsonData(data, count, bin->json_size, t);
  }
  if (has_data) {
    return InputError(*t, "has both \"data\" and parameters.binary_data_size; send one of them");
  }
  auto size = t->parameters.GetInt("binary_data_size");
  if (!size || *size < 0) {
    return InputError(*t, "parameters.binary_data_size must be a non-negative integer");
  }
  if (static_cast<uint64_t>(*size) > bin->tail.size() - bin->used) {
    return InputError(*t, "binary_data_size " + std::to_string(*size) +
                              " runs past the end of "
                              "the binary data (" +
                              std::to_string(bin->tail.size() - bin->used) +
                              " bytes left); check Inference-Header-Content-Length");
  }
  std::string_view chunk = bin->tail.substr(bin->used, static_cast<size_t>(*size));
  bin->used += static_cast<size_t>(*size);
  return internal::ReadBinaryData(chunk, count, t);
}

Status ReadOutputs(element e, std::vector<RequestedOutput>* outputs) {
  array a;
  if (e.get(a) != simdjson::SUCCESS) {
    return InvalidArgumentError("\"outputs\" must be a list of {\"name\": ...} objects, not " +
                                std::string(JsonTypeName(e)));
  }
  for (element item : a) {
    object obj;
    element f;
    std::string_view name;
    if (item.get(obj) != simdjson::SUCCESS || !GetField(obj, "name", &f) ||
        f.get(name) != simdjson::SUCCESS) {
      return InvalidArgumentError(
          "each entry of \"outputs\" must be an object with a \"name\" "
          "string; got " +
          JsonSnippet(item));
    }
    RequestedOutput& out = outputs->emplace_back();
    out.name = std::string(name);
    if (GetField(obj, "parameters", &f)) {
      RETURN_IF_ERROR(
          internal::ParseParameterObject(f, "output '" + out.name + "'", &out.parameters));
    }
  }
  return OkStatus();
}

// Whether a body's "inputs" value `f` is V1's (columns, or a list of rows), not V2's tensors.
bool LooksLikeV1Inputs(element f) {
  if (f.type() == element_type::OBJECT) {
    return true;  // columnar {"inputs": {"col": [...]}}
  }
  array a;
  if (f.get(a) != simdjson::SUCCESS || a.size() == 0) {
    return false;
  }
  return (*a.begin()).type() != element_type::OBJECT;
}

bool LooksLikeV1Object(object obj) {
  element f;
  if (GetField(obj, "instances", &f)) {
    return true;
  }
  return GetField(obj, "inputs", &f) && LooksLikeV1Inputs(f);
}

Status MissingInputsError(object obj) {
  if (LooksLikeV1Object(obj)) {
    return InvalidArgumentError(V1BodyOnV2Message("<name>"));
  }
  element f;
  if (GetField(obj, "dataframe_split", &f) || GetField(obj, "dataframe_records", &f)) {
    return InvalidArgumentError(
        "this is an MLflow scoring request body; the V2 endpoint expects "
        "{\"inputs\": [...]}; POST it to /invocations or convert it");
  }
  return InvalidArgumentError(
      "request has no \"inputs\" list; a V2 request looks like "
      "{\"inputs\": [{\"name\": \"input-0\", \"shape\": [1, 4], "
      "\"datatype\": \"FP64\", \"data\": [[...]]}]}");
}

// `f`: the value of the body's "inputs" field, when `found`; `v1`: the body has "instances".
Status ReadInputs(object obj, element f, bool found, bool v1, std::string_view binary_tail,
                  size_t json_size, InferRequest* req) {
  array inputs;
  if (!found || v1 || LooksLikeV1Inputs(f)) {
    return MissingInputsError(obj);
  }
  if (f.get(inputs) != simdjson::SUCCESS) {
    return InvalidArgumentError("\"inputs\" must be a list of tensors, not " +
                                std::string(JsonTypeName(f)));
  }
  BinaryCursor bin{binary_tail, json_size};
  req->inputs.resize(inputs.size());
  size_t i = 0;
  for (element input : inputs) {
    RETURN_IF_ERROR(ReadInput(input, i, &bin, &req->inputs[i]));
    ++i;
  }
  if (bin.used != binary_tail.size()) {
    return InvalidArgumentError(
        "the inputs' binary_data_size values add up to " + std::to_string(bin.used) +
        " bytes but the body has " + std::to_string(binary_tail.size()) +
        " bytes after the JSON header; check Inference-Header-Content-Length");
  }
  return OkStatus();
}

}  // namespace

StatusOr<InferRequest> ParseV2Request(std::string_view json, std::string_view binary_tail) {
  InferRequest req;
  RETURN_IF_ERROR(ParseV2Request(json, binary_tail, &req));
  return req;
}

Status ParseV2Request(std::string_view json, std::string_view binary_tail, InferRequest* out) {
  // The common body in one pass; anything else (and every error) takes the simdjson path.
  if (binary_tail.empty() && internal::ParseV2RequestFast(json, out)) return OkStatus();
  ASSIGN_OR_RETURN(*out, internal::ParseV2RequestFull(json, binary_tail));
  return OkStatus();
}

StatusOr<InferRequest> internal::ParseV2RequestFull(std::string_view json,
                                                    std::string_view binary_tail) {
  ASSIGN_OR_RETURN(element root, internal::ParseJsonDocument(json, "V2 request body"));
  object obj;
  if (root.get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError("V2 request body must be a JSON object with \"inputs\", not " +
                                std::string(JsonTypeName(root)));
  }
  enum { kInputs, kId, kParameters, kOutputs, kInstances };
  static constexpr std::string_view kKeys[] = {"inputs", "id", "parameters", "outputs",
                                               "instances"};
  element fields[5];
  bool found[5];
  internal::GetFields(obj, kKeys, fields, found);
  InferRequest req;
  RETURN_IF_ERROR(ReadInputs(obj, fields[kInputs], found[kInputs], found[kInstances], binary_tail,
                             json.size(), &req));
  if (found[kId]) {
    std::string_view id;
    if (fields[kId].get(id) != simdjson::SUCCESS) {
      return InvalidArgumentError("\"id\" must be a string, not " +
                                  std::string(JsonTypeName(fields[kId])));
    }
    req.id = std::string(id);
  }
  if (found[kParameters]) {
    RETURN_IF_ERROR(internal::ParseParameterObject(fields[kParameters], "request", &req.parameters));
  }
  if (found[kOutputs]) {
    RETURN_IF_ERROR(ReadOutputs(fields[kOutputs], &req.outputs));
  }
  return req;
}

bool LooksLikeV1Body(std::string_view json) {
  auto root = internal::ParseJsonDocument(json, "body");
  object obj;
  return root.ok() && root->get(obj) == simdjson::SUCCESS && LooksLikeV1Object(obj);
}

std::string V1BodyOnV2Message(std::string_view model_name) {
  return std::string(kV1BodyOnV2Message) +
         "; the V2 endpoint expects {\"inputs\": [...]}; send it to /v1/models/" +
         std::string(model_name) + ":predict or convert it";
}

}  // namespace ferry::protocol
