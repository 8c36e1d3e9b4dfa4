// JSON writing helpers shared by the V1, V2 and MLflow encoders.
//
// Response bodies are built by appending to one std::string: no DOM, no
// intermediate copies. Numbers follow MLServer's conventions: doubles are
// printed shortest-round-trip (std::to_chars; "5.0" keeps its ".0" like
// Python's repr), NaN and ±Inf become `null` (JSON has no literal for them),
// integers as integers. Strings are escaped so the result is always valid
// JSON, even for bytes that are not UTF-8: each invalid byte is written as
// \u00XX (its Latin-1 reading), so nothing is dropped silently.
//
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/tensor.h"

namespace ferry::protocol {

// Returns `s` as a quoted, escaped JSON string.
std::string JsonEscape(std::string_view s);
void AppendJsonString(std::string* out, std::string_view s);

void AppendDouble(std::string* out, double v);
void AppendFloat(std::string* out, float v);
void AppendInt(std::string* out, int64_t v);
void AppendUint(std::string* out, uint64_t v);
void AppendShape(std::string* out, const Shape& shape);
// {"k": v, ...}
void AppendParameters(std::string* out, const Parameters& params);
void AppendParamValue(std::string* out, const ParamValue& value);

// Element i of t (any datatype; BYTES as a string, null when masked).
void AppendElement(std::string* out, const Tensor& t, int64_t i);
// All elements as one flat list, the V2 response layout.
void AppendFlatData(std::string* out, const Tensor& t);
// Elements nested by t.shape ([N, k] → [[..], ..]), the V1/MLflow layout;
// a tensor whose shape does not match its element count is written flat.
void AppendNestedData(std::string* out, const Tensor& t);

}  // namespace ferry::protocol
