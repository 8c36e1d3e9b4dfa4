// The request bodies of the Open Inference Protocol's model repository extension (Triton's
// `model_repository` extension over REST): `POST /v2/repository/index` takes an optional
// {"ready": bool}; `POST /v2/repository/models/{name}/load` and `.../unload` an optional
// {"parameters": {...}}. An empty body means the defaults. Parsed by server/ (the REST routes);
// the same refusals hold for the gRPC messages (grpc/inference_service.cc).
//
// Pure functions, thread-safe (each thread parses with its own simdjson parser).
#pragma once

#include <string_view>

#include "common/status.h"

namespace ferry::protocol {

struct RepositoryIndexRequest {
  bool ready = false;  // list only the models ready for inference
};

// InvalidArgument naming the field and the fix for anything but an empty body or an object
// whose only member is a boolean "ready".
StatusOr<RepositoryIndexRequest> ParseRepositoryIndexRequest(std::string_view body);

// OK for an empty body, {} or {"parameters": {}}. Triton's load parameters ("config", "file:"
// overrides) and unload parameters ("unload_dependents") change what is loaded: they are refused
// (InvalidArgument naming them), never ignored. `verb` is "load" or "unload".
Status ParseRepositoryModelRequest(std::string_view body, std::string_view verb);

}  // namespace ferry::protocol
