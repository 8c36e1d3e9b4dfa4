// TritonConfig: the parts of a Triton model configuration (`config.pbtxt`,
// protobuf text format of inference.ModelConfig) Ferry acts on when it serves
// a Triton model directory (`<model>/config.pbtxt` + `<model>/<version>/model.pt`).
//
// ParseTritonConfig reads the text-format subset model configurations use —
// `field: scalar`, `field { ... }` / `field: { ... }` / `< ... >`, lists
// `f: [a, b]` (scalars or messages; `f [ {...} ]` for messages) and
// repeated fields, `#` comments, `,`/`;` separators, single- or double-quoted strings with C escapes — into a
// generic tree, then reads the known fields from it; unknown fields are
// ignored (Triton has many Ferry has no use for). Bounded: at most kMaxDepth
// nested messages and kMaxNodes fields, so untrusted text cannot exhaust the
// stack or memory (fuzzed: runtime/triton_config_fuzz.cc). Errors name the
// file, line and column. Pure functions on values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/tensor.h"

namespace ferry::runtime {

struct TritonTensor {
  std::string name;
  std::string data_type;  // as written: "TYPE_FP32"
  protocol::DataType datatype = protocol::DataType::kInvalid;  // kInvalid for TYPE_STRING etc.
  protocol::Shape dims;   // without the batch dimension when max_batch_size > 0
  bool has_reshape = false;
};

struct TritonConfig {
  std::string name;
  std::string platform;  // "pytorch_libtorch"
  std::string backend;   // "pytorch"
  int64_t max_batch_size = 0;
  std::string default_model_filename;  // empty: the backend's default (model.pt)
  std::vector<TritonTensor> inputs;
  std::vector<TritonTensor> outputs;
  std::vector<int64_t> specific_versions;  // version_policy.specific.versions
};

inline constexpr int kTritonConfigMaxDepth = 32;
inline constexpr int kTritonConfigMaxNodes = 100000;

// `origin` names the file in errors ("config.pbtxt at /mnt/models/m").
StatusOr<TritonConfig> ParseTritonConfig(std::string_view text, std::string_view origin);

// The V2 datatype of a Triton data type name; kInvalid when it has none Ferry
// serves (TYPE_STRING) or the name is unknown.
protocol::DataType TritonDataType(std::string_view type_name);

}  // namespace ferry::runtime
