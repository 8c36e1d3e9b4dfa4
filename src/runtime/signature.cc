#include "runtime/signature.h"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace ferry::runtime {
namespace {

using protocol::DataType;
using Json = nlohmann::json;

struct ColumnType {
  std::string_view mlflow;
  DataType datatype;
  std::string_view content_type;
};

// mlserver_mlflow/metadata.py _MLflowToContentType, plus its pd_json fallback.
constexpr std::array<ColumnType, 12> kColumnTypes = {{
    {"boolean", DataType::kBool, "np"},
    {"integer", DataType::kInt32, "np"},
    {"long", DataType::kInt64, "np"},
    {"float", DataType::kFp32, "np"},
    {"double", DataType::kFp64, "np"},
    {"string", DataType::kBytes, "str"},
    {"binary", DataType::kBytes, "base64"},
    {"datetime", DataType::kBytes, "datetime"},
    {"array", DataType::kBytes, "pd_json"},
    {"object", DataType::kBytes, "pd_json"},
    {"map", DataType::kBytes, "pd_json"},
    {"any", DataType::kBytes, "pd_json"},
}};

constexpr std::array<std::pair<std::string_view, DataType>, 15> kNumpyTypes = {{
    {"bool", DataType::kBool},
    {"int8", DataType::kInt8},
    {"int16", DataType::kInt16},
    {"int32", DataType::kInt32},
    {"int64", DataType::kInt64},
    {"uint8", DataType::kUint8},
    {"uint16", DataType::kUint16},
    {"uint32", DataType::kUint32},
    {"uint64", DataType::kUint64},
    {"float16", DataType::kFp16},
    {"float32", DataType::kFp32},
    {"float64", DataType::kFp64},
    {"object", DataType::kBytes},
    {"str", DataType::kBytes},
    {"bytes", DataType::kBytes},
}};

const ColumnType* FindColumnType(std::string_view type) {
  for (const auto& t : kColumnTypes) {
    if (t.mlflow == type) {
      return &t;
    }
  }
  return nullptr;
}

std::string Where(std::string_view what, size_t i) {
  return std::string(what) + "[" + std::to_string(i) + "]";
}

StatusOr<SchemaField> ParseTensorField(const Json& spec, std::string_view what, size_t i) {
  SchemaField field;
  field.type = "tensor";
  const auto ts = spec.find("tensor-spec");
  if (ts == spec.end() || !ts->is_object() || !ts->contains("dtype") ||
      !(*ts)["dtype"].is_string()) {
    return InvalidArgumentError(Where(what, i) +
                                " is a tensor spec without \"tensor-spec\": {\"dtype\": ...}; "
                                "re-log the model with mlflow.models.infer_signature");
  }
  field.dtype = (*ts)["dtype"].get<std::string>();
  ASSIGN_OR_RETURN(DataType dt, NumpyDtypeToDataType(field.dtype));
  (void)dt;
  const auto shape = ts->find("shape");
  if (shape != ts->end() && !shape->is_null()) {
    if (!shape->is_array()) {
      return InvalidArgumentError(Where(what, i) + ": tensor-spec shape must be a list");
    }
    for (const auto& d : *shape) {
      if (!d.is_number_integer() || d.get<int64_t>() < -1) {
        return InvalidArgumentError(Where(what, i) +
                                    ": tensor-spec shape entries must be integers >= -1");
      }
      field.shape.push_back(d.get<int64_t>());
    }
  }
  return field;
}

StatusOr<SchemaField> ParseField(const Json& spec, std::string_view what, size_t i) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    return InvalidArgumentError(Where(what, i) + " must be an object with a string \"type\"");
  }
  SchemaField field;
  const std::string type = spec["type"].get<std::string>();
  if (type == "tensor") {
    ASSIGN_OR_RETURN(field, ParseTensorField(spec, what, i));
  } else if (FindColumnType(type) != nullptr) {
    field.type = type;
  } else {
    return InvalidArgumentError(Where(what, i) + " has column type \"" + type +
                                "\", which Ferry does not know; known types: boolean, integer, "
                                "long, float, double, string, binary, datetime, array, object, "
                                "map, any, tensor");
  }
  if (const auto n = spec.find("name"); n != spec.end() && n->is_string()) {
    field.name = n->get<std::string>();
  }
  if (const auto r = spec.find("required"); r != spec.end() && r->is_boolean()) {
    field.required = r->get<bool>();
  }
  return field;
}

StatusOr<Schema> ParseSchema(const Json& doc, std::string_view what) {
  if (!doc.is_array()) {
    return InvalidArgumentError(std::string(what) +
                                " must be a JSON list of column or tensor specs");
  }
  Schema schema;
  for (size_t i = 0; i < doc.size(); ++i) {
    ASSIGN_OR_RETURN(SchemaField field, ParseField(doc[i], what, i));
    const bool tensor = field.type == "tensor";
    if (i == 0) {
      schema.is_tensor = tensor;
    } else if (tensor != schema.is_tensor) {
      return InvalidArgumentError(std::string(what) +
                                  " mixes column and tensor specs, which MLflow does not allow");
    }
    schema.fields.push_back(std::move(field));
  }
  return schema;
}

}  // namespace

bool Schema::has_names() const {
  if (fields.empty()) {
    return false;
  }
  for (const auto& f : fields) {
    if (f.name.empty()) {
      return false;
    }
  }
  return true;
}

StatusOr<Schema> ParseSchemaJson(std::string_view json, std::string_view what) {
  try {
    const Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      return InvalidArgumentError(std::string(what) +
                                  " is not valid JSON; MLflow writes it as a JSON string such as "
                                  "'[{\"type\": \"double\", \"name\": \"x\"}]'");
    }
    return ParseSchema(doc, what);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string(what) + " could not be read: " + e.what());
  }
}

StatusOr<DataType> NumpyDtypeToDataType(std::string_view dtype) {
  for (const auto& [name, dt] : kNumpyTypes) {
    if (name == dtype) {
      return dt;
    }
  }
  // numpy's str(dtype) for strings/bytes/objects: "<U0", "|S5", "|O".
  std::string_view kind = dtype;
  if (!kind.empty() && (kind[0] == '<' || kind[0] == '>' || kind[0] == '|' || kind[0] == '=')) {
    kind.remove_prefix(1);
  }
  if (!kind.empty() && (kind[0] == 'U' || kind[0] == 'S' || kind[0] == 'O')) {
    return DataType::kBytes;
  }
  return InvalidArgumentError("tensor dtype \"" + std::string(dtype) +
                              "\" has no V2 datatype; supported: bool, int8..int64, "
                              "uint8..uint64, float16, float32, float64, str, bytes, object");
}

StatusOr<std::vector<protocol::TensorSpec>> ToMetadataTensors(const Schema& schema,
                                                              std::string_view prefix) {
  std::vector<protocol::TensorSpec> out;
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const SchemaField& f = schema.fields[i];
    protocol::TensorSpec spec;
    spec.name = f.name.empty() ? std::string(prefix) + std::to_string(i) : f.name;
    if (f.type == "tensor") {
      ASSIGN_OR_RETURN(spec.datatype, NumpyDtypeToDataType(f.dtype));
      spec.shape = f.shape;
      spec.content_type = "np";
    } else {
      const ColumnType* ct = FindColumnType(f.type);
      if (ct == nullptr) {
        return InvalidArgumentError("unknown MLflow column type \"" + f.type + "\"");
      }
      spec.datatype = ct->datatype;
      spec.shape = {-1, 1};
      spec.content_type = std::string(ct->content_type);
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::string ToModelContentType(const Schema& inputs) {
  if (inputs.is_tensor) {
    return inputs.has_names() ? "dict" : "np";
  }
  return "pd";
}

void FillMetadataFromModelInfo(const ModelInfo& info, protocol::ModelMetadata& metadata) {
  metadata.inputs.clear();
  metadata.outputs.clear();
  if (info.tensor_io) {
    metadata.inputs = info.tensor_inputs;
    metadata.outputs = info.tensor_outputs;
    metadata.content_type.clear();
    return;
  }
  if (!info.feature_names.empty()) {
    for (const auto& name : info.feature_names) {
      metadata.inputs.push_back({name, DataType::kFp64, {-1, 1}, "np"});
    }
    metadata.content_type = "pd";
  } else if (info.needs_strings && info.n_features < 0) {
    // A text model (CountVectorizer/TfidfVectorizer first): one document per row.
    metadata.inputs.push_back({"input-0", DataType::kBytes, {-1}, "np"});
    metadata.content_type = "np";
  } else {
    metadata.inputs.push_back({"input-0", DataType::kFp64, {-1, info.n_features}, "np"});
    metadata.content_type = "np";
  }
  metadata.outputs.push_back({"output-0", info.output_datatype, {-1}, "np"});
}

}  // namespace ferry::runtime
