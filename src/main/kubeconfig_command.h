// `ferry kubeconfig`: prints the admin kubeconfig `ferry up` wrote, or, with
// --user, a kubeconfig for a dashboard user (an OIDC ID token with the same
// claims the built-in oauth2-proxy/Dex issues at sign-in: iss, aud
// kubeflow-oidc-authservice, sub and email = the user, groups), signed with
// the data directory's key — like `kubeadm kubeconfig user`, only whoever can
// read the data directory (the admin) can mint one. What the user may then do
// is what RBAC bindings give that email.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ferry::main {

struct KubeconfigFlags {
  std::string data_dir;             // default: $FERRY_DATA_DIR or ~/.ferry
  std::string user;                 // empty: the admin kubeconfig
  std::vector<std::string> groups;  // the token's groups claim
  std::string ttl = "24h";          // token lifetime
  std::string issuer = "https://kubernetes.default.svc.cluster.local";  // as `ferry up --issuer`
};

// Defined in command_line.cc (with every other subcommand's flags).
void AddKubeconfigCommand(CLI::App& app, KubeconfigFlags* flags);
int RunKubeconfig(const KubeconfigFlags& flags);

}  // namespace ferry::main
