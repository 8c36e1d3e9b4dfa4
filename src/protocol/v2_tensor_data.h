// Internal to ferry_protocol: V2 tensor element decoding shared by the REST
// request parser (and a future gRPC codec for raw contents).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "protocol/json_dom.h"
#include "protocol/tensor.h"

namespace ferry::protocol::internal {

// Fills t (name, datatype and shape already set) from JSON `data`, flat or
// rectangularly nested, needing exactly `count` elements. `json_size` bounds
// the plausible count (each element takes at least one byte of JSON), so a
// huge shape cannot make us allocate before counting.
Status ReadJsonData(element data, int64_t count, size_t json_size, Tensor* t);

// Adopts a binary tensor extension chunk: raw little-endian bytes, or for
// BYTES 4-byte little-endian length-prefixed elements. Needs `count` elements.
Status ReadBinaryData(std::string_view chunk, int64_t count, Tensor* t);

}  // namespace ferry::protocol::internal
