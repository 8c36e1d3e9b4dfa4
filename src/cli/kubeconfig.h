// Kubeconfig reading for Ferry's client verbs (`ferry get`, `apply`, ...):
// the current context's server URL, CA, token and namespace. Handles what
// `ferry up` writes and the usual kubeconfig variants (certificate-authority
// file, insecure-skip-tls-verify, tokenFile). Pure; any thread.
#pragma once

#include <string>

#include "common/status.h"

namespace ferry::cli {

struct ClientConfig {
  std::string server;                  // https://127.0.0.1:6443
  std::string ca_pem;                  // empty: system CAs
  bool insecure = false;               // insecure-skip-tls-verify
  std::string token;                   // bearer token
  std::string name_space = "default";  // the context's namespace
  std::string source;                  // the kubeconfig path (for error messages)
};

// The data dir `ferry up` uses by default: $FERRY_DATA_DIR, else ~/.ferry.
std::string DefaultDataDir();
// `kubeconfig` when set, else <data_dir or DefaultDataDir()>/kubeconfig.
std::string KubeconfigPath(const std::string& data_dir, const std::string& kubeconfig);

StatusOr<ClientConfig> LoadKubeconfig(const std::string& path);
// The same, from kubeconfig text (tests).
StatusOr<ClientConfig> ParseKubeconfig(const std::string& text, const std::string& source);

}  // namespace ferry::cli
