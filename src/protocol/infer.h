// InferRequest / InferResponse: the Open Inference Protocol (KServe V2)
// request and response as plain values, independent of REST or gRPC.
// Field meanings: ../shared/reference/kserve-protocol.md §1.2.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/lazy_text.h"
#include "protocol/tensor.h"

namespace ferry::protocol {

struct RequestedOutput {
  std::string name;
  Parameters parameters;  // e.g. binary_data
};

struct InferRequest {
  std::optional<std::string> id;
  Parameters parameters;  // e.g. content_type, binary_data_output
  std::vector<Tensor> inputs;
  std::vector<RequestedOutput> outputs;  // empty = all outputs
};

struct InferResponse {
  std::string model_name;
  std::string model_version;  // omitted from JSON when empty
  std::string id;
  Parameters parameters;
  std::vector<Tensor> outputs;
};

// One tensor as declared in model metadata (`-1` = variable dimension).
struct TensorSpec {
  std::string name;
  DataType datatype = DataType::kInvalid;
  Shape shape;
  std::string content_type;  // MLServer codec hint ("np", "pd", "str", "base64"), may be empty
};

// GET /v2/models/{name} body, plus the model-level default content type.
struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  std::string content_type;  // model-level default codec ("np", "pd", "dict", "")
  // A V2 request body built from the model's saved input example (MLflow),
  // "" when none: written as the string parameter "input_example" of the REST
  // metadata (the dashboard's Try it starts from it; gRPC does not carry it).
  // Built on the first metadata read, not at load.
  LazyText example_request;
};

}  // namespace ferry::protocol
