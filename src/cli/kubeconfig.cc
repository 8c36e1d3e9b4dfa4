#include "cli/kubeconfig.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/manifest.h"
#include "common/base64.h"

namespace ferry::cli {
namespace {

using nlohmann::json;

// The entry named `name` of a kubeconfig list (clusters, contexts, users).
const json* Named(const json& config, const char* list, const std::string& name, const char* key) {
  if (!config.contains(list) || !config[list].is_array()) return nullptr;
  for (const auto& item : config[list]) {
    if (item.value("name", "") == name && item.contains(key) && item[key].is_object()) {
      return &item[key];
    }
  }
  return nullptr;
}

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string DefaultDataDir() {
  if (const char* d = std::getenv("FERRY_DATA_DIR")) return d;
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.ferry";
  return ".ferry";
}

std::string KubeconfigPath(const std::string& data_dir, const std::string& kubeconfig) {
  if (!kubeconfig.empty()) return kubeconfig;
  return (data_dir.empty() ? DefaultDataDir() : data_dir) + "/kubeconfig";
}

StatusOr<ClientConfig> LoadKubeconfig(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    return NotFoundError("no kubeconfig at " + path +
                         ": start `ferry up` (it writes DATA_DIR/kubeconfig), or pass "
                         "--data-dir DIR or --kubeconfig FILE");
  }
  return ParseKubeconfig(*text, path);
}

StatusOr<ClientConfig> ParseKubeconfig(const std::string& text, const std::string& source) {
  auto parsed = api::ParseOneManifest(text);
  if (!parsed.ok()) return InvalidArgumentError(source + ": " + parsed.status().message());
  const json& config = *parsed;
  std::string current = config.value("current-context", "");
  const json* context = Named(config, "contexts", current, "context");
  if (context == nullptr) {
    return InvalidArgumentError(source + ": current-context \"" + current +
                                "\" is not among its contexts");
  }
  ClientConfig out;
  out.source = source;
  out.name_space = context->value("namespace", "default");
  const json* cluster = Named(config, "clusters", context->value("cluster", ""), "cluster");
  if (cluster == nullptr || cluster->value("server", "").empty()) {
    return InvalidArgumentError(source + ": the current context's cluster has no server URL");
  }
  out.server = cluster->value("server", "");
  while (!out.server.empty() && out.server.back() == '/') out.server.pop_back();
  out.insecure = cluster->value("insecure-skip-tls-verify", false);
  if (cluster->contains("certificate-authority-data")) {
    if (!Base64Decode((*cluster)["certificate-authority-data"].get<std::string>(), &out.ca_pem)) {
      return InvalidArgumentError(source + ": certificate-authority-data is not base64");
    }
  } else if (cluster->contains("certificate-authority")) {
    ASSIGN_OR_RETURN(out.ca_pem, ReadFile((*cluster)["certificate-authority"].get<std::string>()));
  }
  if (const json* user = Named(config, "users", context->value("user", ""), "user")) {
    out.token = user->value("token", "");
    if (out.token.empty() && user->contains("tokenFile")) {
      ASSIGN_OR_RETURN(out.token, ReadFile((*user)["tokenFile"].get<std::string>()));
      while (!out.token.empty() && std::isspace(static_cast<unsigned char>(out.token.back()))) {
        out.token.pop_back();
      }
    }
  }
  return out;
}

}  // namespace ferry::cli
