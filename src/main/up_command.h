// `ferry up`: everything in one process — the Kubernetes-compatible API
// (HTTPS, kubeconfig in the data dir), the controller, the model servers and
// the external and cluster-local gateways.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ferry::main {

struct UpFlags {
  std::string data_dir;           // default: $FERRY_DATA_DIR or ~/.ferry
  std::string bind = "127.0.0.1"; // API and gateway listeners
  int api_port = 6443;
  int http_port = 8080;           // external gateway (istio-ingressgateway)
  int internal_port = 8081;       // cluster-local gateway
  // V2 gRPC for both gateways (`:authority` picks the InferenceService); 0 =
  // pick a free port; if not given and busy, gRPC is skipped with a warning.
  int grpc_port = 8082;
  bool grpc_port_explicit = false;
  std::string domain;             // overrides config-domain
  std::string profile = "kubeflow";
  std::string issuer = "https://kubernetes.default.svc.cluster.local";
  int workers = 0;
  // Shown as the gateway Services' load-balancer IP once patched to LoadBalancer
  // (default: this machine's primary address).
  std::string external_address;
  // Idle time before a minReplicas: 0 model is unloaded (Knative's
  // scale-to-zero-grace-period); per ISVC: annotation
  // autoscaling.knative.dev/scale-to-zero-pod-retention-period.
  std::string scale_to_zero_grace = "30s";
  // Directories file:// (and plain-path) storageUris may read (repeatable);
  // none = local paths are refused. The data directory never is.
  std::vector<std::string> allow_local_models;
  // CLAIM=DIR: pvc://CLAIM/path reads DIR/path instead of DATA/pvc/CLAIM/path.
  std::vector<std::string> pvc_claims;
};

// Defined in command_line.cc (with every other subcommand's flags).
void AddUpCommand(CLI::App& app, UpFlags* flags);
int RunUp(const UpFlags& flags);

std::string DefaultDataDir();

}  // namespace ferry::main
