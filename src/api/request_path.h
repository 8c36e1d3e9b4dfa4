// Parses Kubernetes REST paths and query strings. Internal to ferry_api.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

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

// nullopt when `path` is not a resource path (discovery, unknown prefix).
std::optional<ResourcePath> ParseResourcePath(std::string_view path);

// Decoded query parameters (last value wins).
std::map<std::string, std::string, std::less<>> ParseQuery(std::string_view query);

}  // namespace ferry::api
