// Parses Kubernetes REST paths and query strings. Internal to ferry_api.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "auth/request_info.h"

namespace ferry::api {

// /api/v1/namespaces/NS/PLURAL/NAME/SUB or /apis/G/V/..., any suffix optional.
struct ResourcePath {
  std::string group;  // "" for /api/v1
  std::string version;
  std::string ns;
  std::string plural;
  std::string name;
  std::string subresource;
};

// The resource a parsed request addresses, from the same parse the request
// was authorized on; nullopt when it is not a resource path Ferry serves
// (discovery, unknown prefix, /watch/ and /proxy/ prefixes, deeper paths).
std::optional<ResourcePath> ResourcePathOf(const auth::RequestInfo& info);
// Parses a decoded path (tests and tools): ParseRequestInfo + ResourcePathOf.
std::optional<ResourcePath> ParseResourcePath(std::string_view decoded_path);

// Decoded query parameters (last value wins).
std::map<std::string, std::string, std::less<>> ParseQuery(std::string_view query);

}  // namespace ferry::api
