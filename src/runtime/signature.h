// MLflow model signatures and the V2 metadata derived from them.
//
// An MLmodel's `signature.inputs` / `signature.outputs` are JSON strings holding
// either column specs ({"type": "double", "name": "x", "required": true}) or
// tensor specs ({"type": "tensor", "tensor-spec": {"dtype": "float64",
// "shape": [-1, 4]}, "name": ...}). ParseSchemaJson reads one of them; the
// To* functions apply MLServer's MLflow runtime rules (mlserver_mlflow/metadata.py)
// to produce V2 metadata. MetadataFromModelInfo is the fallback when a model has
// no signature. Pure functions on values; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/infer.h"
#include "runtime/model.h"

namespace ferry::runtime {

struct SchemaField {
  std::string name;       // empty when the spec has no name
  std::string type;       // column type ("double", "string", "array", ...) or "tensor"
  std::string dtype;      // tensor specs: numpy dtype name ("float64")
  protocol::Shape shape;  // tensor specs: shape, -1 = variable
  bool required = true;   // column specs
};

struct Schema {
  bool is_tensor = false;  // all fields are tensor specs (MLflow forbids mixing)
  std::vector<SchemaField> fields;
  bool has_names() const;  // every field is named
};

// Parses one signature part. `what` names it in errors ("MLmodel X signature.inputs").
StatusOr<Schema> ParseSchemaJson(std::string_view json, std::string_view what);

// One V2 TensorSpec per field: names or `{prefix}{i}`, ColSpec -> [-1, 1],
// TensorSpec -> dtype/shape verbatim, with MLServer's content types.
StatusOr<std::vector<protocol::TensorSpec>> ToMetadataTensors(const Schema& schema,
                                                              std::string_view prefix);
// Model-level content type from the input schema: named tensors -> "dict",
// unnamed tensors -> "np", columns -> "pd".
std::string ToModelContentType(const Schema& inputs);

// V2 datatype for a numpy dtype name as MLflow writes it ("float64", "<U0", "object").
StatusOr<protocol::DataType> NumpyDtypeToDataType(std::string_view dtype);

// Metadata inputs/outputs/content type from what the model knows about itself.
void FillMetadataFromModelInfo(const ModelInfo& info, protocol::ModelMetadata& metadata);

}  // namespace ferry::runtime
