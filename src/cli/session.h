// Session: what every client verb needs — the API client from the
// kubeconfig, discovery, the namespace to use, and manifest reading.
// Internal to ferry_cli.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/cli.h"

namespace ferry::cli {

struct Session {
  std::unique_ptr<ApiClient> client;
  Discovery discovery;
  std::string name_space;  // -n, else the kubeconfig context's

  static StatusOr<Session> Open(const CliFlags& flags);
  // KIND NAME or KIND/NAME from positional args (name may be empty).
  Status ResolveArgs(const std::vector<std::string>& args, Resource* resource,
                     std::string* name) const;
  std::string NamespaceOf(const nlohmann::json& object) const;
};

// One manifest document with the file it came from.
struct Manifest {
  nlohmann::json object;
  std::string source;
};

// Reads -f files ("-" = stdin), every document; List kinds are expanded.
StatusOr<std::vector<Manifest>> ReadManifests(const std::vector<std::string>& files);

// GET `path` expecting 2xx JSON.
StatusOr<nlohmann::json> GetJson(ApiClient& client, const std::string& path,
                                 const std::string& accept = "application/json");

}  // namespace ferry::cli
