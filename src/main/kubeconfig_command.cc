#include "main/kubeconfig_command.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/token_signer.h"
#include "controller/isvc_spec.h"
#include "main/up_command.h"

namespace ferry::main {
namespace {

// The admin kubeconfig with its user (token) replaced by `name` and `token`.
std::string WithUser(const std::string& kubeconfig, const std::string& name,
                     const std::string& token) {
  std::string out;
  std::istringstream in(kubeconfig);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "    user: ferry-admin") line = "    user: " + name;
    if (line == "- name: ferry-admin") line = "- name: " + name;
    if (line.rfind("    token: ", 0) == 0) line = "    token: " + token;
    out += line + "\n";
  }
  return out;
}

}  // namespace

int RunKubeconfig(const KubeconfigFlags& f) {
  std::string dir = f.data_dir.empty() ? DefaultDataDir() : f.data_dir;
  std::ifstream in(dir + "/kubeconfig");
  if (!in) {
    std::fprintf(stderr,
                 "ferry kubeconfig: no %s/kubeconfig; start `ferry up --data-dir %s` first\n",
                 dir.c_str(), dir.c_str());
    return 1;
  }
  std::stringstream admin;
  admin << in.rdbuf();
  if (f.user.empty()) {
    std::cout << admin.str();
    return 0;
  }
  int64_t ttl_ms = controller::ParseDurationMs(f.ttl);
  if (ttl_ms < 1000) {
    std::fprintf(stderr, "ferry kubeconfig: --ttl %s is not a duration of at least 1s (e.g. 24h)\n",
                 f.ttl.c_str());
    return 1;
  }
  auto signer = api::CreateRs256Signer(dir + "/serviceaccount.key");
  if (!signer.ok()) {
    std::fprintf(stderr, "ferry kubeconfig: %s\n", signer.status().message().c_str());
    return 1;
  }
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  nlohmann::json claims = {{"iss", f.issuer},
                           {"sub", f.user},
                           {"aud", "kubeflow-oidc-authservice"},
                           {"email", f.user},
                           {"email_verified", true},
                           {"name", f.user},
                           {"iat", now},
                           {"nbf", now},
                           {"exp", now + ttl_ms / 1000}};
  if (!f.groups.empty()) claims["groups"] = f.groups;
  auto token = (*signer)->Sign(claims);
  if (!token.ok()) {
    std::fprintf(stderr, "ferry kubeconfig: %s\n", token.status().message().c_str());
    return 1;
  }
  std::cout << WithUser(admin.str(), f.user, *token);
  return 0;
}

}  // namespace ferry::main
