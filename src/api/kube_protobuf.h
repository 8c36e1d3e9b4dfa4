// Reads the protobuf bodies kubectl's typed clients send
// (Content-Type application/vnd.kubernetes.protobuf) for the few kinds it
// creates that way — `kubectl create namespace|serviceaccount|secret|
// configmap|service|token|role|clusterrole|rolebinding|clusterrolebinding`,
// `kubectl auth can-i` and `kubectl auth whoami` — into the equivalent JSON
// object, so the rest of the API server only deals with JSON. Format: "k8s\0" + runtime.Unknown
// {typeMeta, raw}; raw is the kind's generated.proto message. Fields Ferry
// does not model are skipped. Pure function; internal to ferry_api.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/status.h"

namespace ferry::api {

bool IsKubeProtobuf(std::string_view content_type);

// The object as JSON, with apiVersion and kind from the envelope.
// InvalidArgument for malformed input or a kind Ferry cannot read from protobuf.
StatusOr<nlohmann::json> DecodeKubeProtobuf(std::string_view body);

}  // namespace ferry::api
