#include "main/up_command.h"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "main/signals.h"
#include "main/up_process.h"

namespace ferry::main {

std::string DefaultDataDir() {
  if (const char* d = std::getenv("FERRY_DATA_DIR")) return d;
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.ferry";
  return ".ferry";
}

void AddUpCommand(CLI::App& app, UpFlags* f) {
  CLI::App* up = app.add_subcommand(
      "up", "Run the API server, controller, model servers and gateways in one process");
  up->add_option("--data-dir,--data_dir", f->data_dir,
                 "State directory (store, certificates, kubeconfig, models); default "
                 "$FERRY_DATA_DIR or ~/.ferry");
  up->add_option("--bind", f->bind, "Address the API and gateways listen on")
      ->capture_default_str();
  up->add_option("--api-port,--api_port", f->api_port, "HTTPS API port (0 = pick)")
      ->capture_default_str();
  up->add_option("--http-port,--http_port", f->http_port,
                 "External gateway port (istio-ingressgateway; 0 = pick)")
      ->capture_default_str();
  up->add_option("--internal-port,--internal_port", f->internal_port,
                 "Cluster-local gateway port (*.svc.cluster.local; 0 = pick)")
      ->capture_default_str();
  up->add_option("--domain", f->domain,
                 "Domain of external URLs (sets Knative's config-domain; default example.com)");
  up->add_option("--profile", f->profile, "kubeflow (Kubeflow's default Istio policies) or none")
      ->check(CLI::IsMember({"kubeflow", "none"}))
      ->capture_default_str();
  up->add_option("--issuer", f->issuer, "Issuer of ServiceAccount tokens (kubectl create token)")
      ->capture_default_str();
  up->add_option("--external-address,--external_address", f->external_address,
                 "Load-balancer IP shown on gateway Services of type LoadBalancer (default: this "
                 "machine's primary address)");
  up->add_option("--scale-to-zero-grace", f->scale_to_zero_grace,
                 "Idle time before a minReplicas: 0 model is unloaded (e.g. 30s, 2m; per "
                 "InferenceService: annotation "
                 "autoscaling.knative.dev/scale-to-zero-pod-retention-period)")
      ->capture_default_str();
  up->add_option("--grpc-port,--grpc_port", f->grpc_port,
                 "V2 gRPC port for both gateways: the :authority selects the InferenceService "
                 "like Host does (0 = pick; if not given and busy, gRPC is skipped)")
      ->capture_default_str()
      ->each([f](const std::string&) { f->grpc_port_explicit = true; });
  up->add_option("--workers", f->workers, "I/O threads per listener (0 = one per core)")
      ->capture_default_str();
  up->add_option("--allow-local-models,--allow_local_models", f->allow_local_models,
                 "Directory whose models file:// (and plain-path) storageUris may read; "
                 "repeatable. Without it local paths are refused. The data directory is never "
                 "readable, even below an allowed directory")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  up->add_option("--pvc", f->pvc_claims,
                 "CLAIM=DIR: pvc://CLAIM/path reads DIR/path (default DATA/pvc/CLAIM/path); "
                 "repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

int RunUp(const UpFlags& flags) {
  // Everything created from here on (store, WAL, keys, models) is private.
  ::umask(077);
  sigset_t signals = BlockShutdownSignals();
  UpProcess up(flags);
  if (Status built = up.Build(); !built.ok()) {
    std::fprintf(stderr, "ferry up: %s\n", built.message().c_str());
    return 1;
  }
  up.Announce();
  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "ferry up: shutting down\n");
  up.Shutdown();
  return 0;
}

}  // namespace ferry::main
