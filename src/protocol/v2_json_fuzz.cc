// Fuzz target: V2 request parsing (and the model repository extension's bodies), codec decoding and response encoding.
// Input layout: JSON, optionally followed by a NUL byte and the binary tail.
// Invariants checked beyond "no crash": every encoded response is valid JSON, and whatever the
// one-pass decoder (v2_request_fast.h) accepts, the simdjson path accepts with the same result.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/content_type.h"
#include "protocol/repository_json.h"
#include "protocol/v2_json.h"
#include "protocol/v2_request_fast.h"

using namespace ferry::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view json = in;
  std::string_view tail;
  if (size_t nul = in.find('\0'); nul != std::string_view::npos) {
    json = in.substr(0, nul);
    tail = in.substr(nul + 1);
  }
  (void)LooksLikeV1Body(json);
  (void)ParseRepositoryIndexRequest(json);
  (void)ParseRepositoryModelRequest(json, "load");
  if (tail.empty()) {
    InferRequest fast;
    if (internal::ParseV2RequestFast(json, &fast)) {
      auto full = internal::ParseV2RequestFull(json, tail);
      if (!full.ok() || !internal::SameInferRequest(fast, *full)) {
        std::abort();  // the fast path took a body the full path reads otherwise
      }
    }
  }
  auto req = ParseV2Request(json, tail);
  if (!req.ok()) {
    return 0;
  }
  ModelMetadata tensor_sig;
  tensor_sig.content_type = "np";
  tensor_sig.inputs.push_back({"input-0", DataType::kFp64, {-1, 4}, "np"});
  (void)RequestToFrame(*req, ModelMetadata{});
  (void)RequestToFrame(*req, tensor_sig);

  InferResponse resp;
  resp.model_name = "fuzz";
  resp.outputs = req->inputs;
  V2Encoded enc = WriteV2Response(resp, *req);
  simdjson::dom::parser parser;
  if (parser.parse(enc.body.data(), enc.json_size, true).error() != simdjson::SUCCESS) {
    std::abort();  // the encoder produced invalid JSON
  }
  return 0;
}
