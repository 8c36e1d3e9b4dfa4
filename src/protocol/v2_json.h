// V2 (Open Inference Protocol) REST codec: request JSON (+ binary tensor
// extension) → InferRequest, InferResponse → JSON (+ binary), model metadata
// and error bodies. Field meanings: shared/reference/kserve-protocol.md §1.
//
// Called by the HTTP server on the request path, once per request. Parsing
// uses simdjson with a thread-local parser (no allocation after warm-up);
// simdjson stays out of this header. All functions are thread-safe and keep
// no reference to their arguments: returned values own their bytes.
//
// Errors are InvalidArgument with messages that name the input and the fix,
// e.g. "input 'features': shape [2, 4] needs 8 elements but data has 6".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"
#include "protocol/infer.h"
#include "protocol/json_writer.h"  // JsonEscape

namespace ferry::protocol {

// Parses a V2 inference request. `json` is the JSON part of the body;
// `binary_tail` the bytes after it (binary tensor extension, sized by the
// Inference-Header-Content-Length header), empty if none. Inputs that carry
// parameters.binary_data_size take their bytes from the tail in order; the
// sizes must add up to exactly binary_tail.size().
//
// JSON data may be flat or nested (any rectangular nesting) as long as the
// element count equals product(shape). FP16/BF16 are accepted only as binary.
// JSON null is NaN for floating types and a null_mask entry for BYTES.
//
// A V1 body ({"instances": ...}) fails with a message that starts with
// kV1BodyOnV2Message; it contains the literal "<name>" for the caller to
// replace with the model name (see V1BodyOnV2Message()).
StatusOr<InferRequest> ParseV2Request(std::string_view json, std::string_view binary_tail);
// The same into *out, which may hold an earlier request: the common body reuses its storage
// (tensors and their vectors), every field is written. On error *out is unspecified.
Status ParseV2Request(std::string_view json, std::string_view binary_tail, InferRequest* out);

// True when `json` is shaped like a KServe V1 body: an object with
// "instances", or with "inputs" that is a list of rows rather than of
// {"name", "datatype", ...} tensors. Cheap; meant for error paths.
bool LooksLikeV1Body(std::string_view json);
inline constexpr std::string_view kV1BodyOnV2Message = "this is a KServe V1 request body";
// The full message for a V1 body posted to the V2 endpoint of `model_name`.
std::string V1BodyOnV2Message(std::string_view model_name);

struct V2Encoded {
  std::string body;
  size_t json_size = 0;  // == body.size() unless binary outputs were appended
};

// Encodes `resp`. Outputs are binary (binary_data_size + bytes appended after
// the JSON, BYTES elements with a 4-byte little-endian length prefix) when the
// request's parameters.binary_data_output is true, unless the matching
// req.outputs[].parameters.binary_data overrides it either way. The id is
// resp.id, or req.id when resp.id is empty; model_version is omitted when
// empty. NaN/Inf are written as null.
V2Encoded WriteV2Response(const InferResponse& resp, const InferRequest& req);
// The same into *body (replacing what it held; its storage is reused); returns json_size.
size_t WriteV2Response(const InferResponse& resp, const InferRequest& req, std::string* body);

// GET /v2/models/{name} body: {"name","versions","platform","inputs","outputs"}
// plus "parameters": {"content_type": ...} at model and tensor level when set.
std::string WriteV2Metadata(const ModelMetadata& md);

// {"error": "<message>"}
std::string WriteJsonError(std::string_view message);

}  // namespace ferry::protocol
