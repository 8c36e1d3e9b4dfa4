// Internal to ferry_protocol: a one-pass decoder for the common V2 request — JSON only (no
// binary tail), plain ASCII strings without escapes, "inputs" of FP32/FP64 tensors whose
// "data" is a flat or rectangularly nested list of numbers (or null), optional "id" and
// "parameters" (strings, integers, doubles, booleans, null) at request and input level.
//
// ParseV2Request (v2_request.cc) tries it first. Whatever it does not recognise — another key,
// datatype or value kind, an escape, a non-ASCII byte, a duplicate key, a number it cannot
// convert exactly as simdjson would, any error at all — makes it give up, and the request goes
// through the simdjson path, which then produces the answer (and every error message). So it
// only ever accepts bodies the full path accepts, with the same InferRequest as result; the
// v2json fuzz target checks that equality on every input the fast path takes.
//
// Thread-safe (no state); allocates only the InferRequest's own storage, none when a reused
// request already has enough.
#pragma once

#include <string_view>

#include "protocol/infer.h"

namespace ferry::protocol::internal {

// True when `json` was decoded into *out, every field of it written: *out may hold an earlier
// request, whose storage (tensors, their vectors) is then reused. False: not the common shape
// (or not valid); *out is then unspecified and the caller uses the full path.
bool ParseV2RequestFast(std::string_view json, InferRequest* out);

// The simdjson path alone, for the differential check in tests and the fuzz target.
StatusOr<InferRequest> ParseV2RequestFull(std::string_view json, std::string_view binary_tail);

// Field-by-field equality (tensor elements compared as bytes), for that check.
bool SameInferRequest(const InferRequest& a, const InferRequest& b);

}  // namespace ferry::protocol::internal
