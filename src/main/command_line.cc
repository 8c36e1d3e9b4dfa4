// The command-line flags of every `ferry` subcommand main.cc adds (the client verbs are
// src/cli/commands.cc's): one CLI11 declaration per flag, which also makes `--help`.
//
// Kept in one translation unit on purpose: CLI11's header defines its validator objects
// (ExistingFile, NonNegativeNumber, ...) in every file that includes it, and each copy is
// constructed before main, on every start of every subcommand.
#include <CLI/CLI.hpp>
#include <iterator>
#include <string>
#include <string_view>

#include "main/authz_command.h"
#include "main/export_command.h"
#include "main/kubeconfig_command.h"
#include "main/passwd_command.h"
#include "main/serve_command.h"
#include "main/up_command.h"

namespace ferry::main {

void AddServeCommand(CLI::App& app, ServeFlags* f) {
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve one model directory over KServe V1, V2 (Open Inference Protocol) and MLflow");
  serve->add_option("--model_name,--model-name", f->model_name, "Name the model is served under")
      ->capture_default_str();
  serve
      ->add_option(
          "--model_dir,--model-dir", f->model_dir,
          "Model directory (MLflow model, model.joblib/.pkl, model.bst/.json/.ubj) or file")
      ->capture_default_str();
  serve->add_option("--http_port,--http-port", f->http_port, "HTTP port (0 = pick a free one)")
      ->capture_default_str();
  serve
      ->add_option("--grpc_port,--grpc-port", f->grpc_port,
                   "V2 gRPC port (0 = off; if not given and busy, gRPC is skipped with a warning)")
      ->capture_default_str()
      ->each([f](const std::string&) { f->grpc_port_explicit = true; });
  serve->add_option("--bind", f->bind, "Address to listen on")->capture_default_str();
  serve
      ->add_option("--workers", f->workers,
                   "I/O threads (0 = one per CPU the container may use: the cgroup CPU limit)")
      ->capture_default_str();
  serve
      ->add_option("--predict_threads,--predict-threads", f->predict_threads,
                   "Threads for slow predicts (0 = one per CPU the container may use)")
      ->capture_default_str();
  serve
      ->add_option("--max_body_bytes,--max-body-bytes", f->max_body_bytes,
                   "Largest request body accepted (413 above)")
      ->capture_default_str();
  serve
      ->add_option("--max_header_bytes,--max-header-bytes", f->max_header_bytes,
                   "Largest request head accepted (431 above)")
      ->capture_default_str();
  serve
      ->add_option("--max_header_count,--max-header-count", f->max_header_count,
                   "Most header fields per request (431 above)")
      ->capture_default_str();
  serve
      ->add_option("--request_timeout_ms,--request-timeout-ms", f->request_timeout_ms,
                   "Time to receive a whole request once it starts (408 after; slowloris defence)")
      ->capture_default_str();
  serve
      ->add_option("--predict_timeout_seconds,--predict-timeout-seconds",
                   f->predict_timeout_seconds,
                   "Time a request may take from arrival to answer: past it the predict is "
                   "stopped and the request answered 504 (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve
      ->add_option("--idle_timeout_ms,--idle-timeout-ms", f->idle_timeout_ms,
                   "Keep-alive idle time before a connection is closed")
      ->capture_default_str();
  serve
      ->add_option("--max_connections,--max-connections", f->max_connections,
                   "Open connections beyond this are closed at accept")
      ->capture_default_str();
  serve
      ->add_option("--access_log_rate,--access-log-rate", f->access_log_per_second,
                   "Access-log lines per second (0 = off, -1 = unlimited)")
      ->capture_default_str();
  serve
      ->add_option("--drain_seconds,--drain-seconds", f->drain_seconds,
                   "On SIGTERM, how long in-flight requests may take to finish")
      ->capture_default_str();
  serve
      ->add_option("--max_batch_size,--max-batch-size", f->max_batch_size,
                   "Dynamic batching: merge concurrent compatible requests into one predict of up "
                   "to N rows (0 or 1 = off)")
      ->capture_default_str();
  serve
      ->add_option("--max_batch_delay_ms,--max-batch-delay-ms", f->max_batch_delay_ms,
                   "Dynamic batching: longest a request waits for others to join its batch")
      ->capture_default_str();
}

namespace {

// One `serve` flag as ParseServeFlagsFast reads it: its two spellings (or one) and how its value
// lands in ServeFlags, through the same CLI11 conversion AddServeCommand's option uses.
struct ServeFlag {
  std::string_view name;
  std::string_view alias;  // "" when the flag has one spelling
  bool (*set)(const std::string& value, ServeFlags* f);
};

template <typename T>
bool Convert(const std::string& value, T* out) {
  T converted{};
  if (!CLI::detail::lexical_conversion<T, T>(CLI::results_t{value}, converted)) return false;
  *out = converted;
  return true;
}

template <auto Field>
bool Set(const std::string& value, ServeFlags* f) {
  return Convert(value, &(f->*Field));
}

// Every flag AddServeCommand declares; command_line_test checks the two lists agree.
const ServeFlag kServeFlags[] = {
    {"model_name", "model-name", &Set<&ServeFlags::model_name>},
    {"model_dir", "model-dir", &Set<&ServeFlags::model_dir>},
    {"http_port", "http-port", &Set<&ServeFlags::http_port>},
    {"grpc_port", "grpc-port",
     [](const std::string& v, ServeFlags* f) {
       f->grpc_port_explicit = true;  // AddServeCommand's each(): set once the flag is given
       return Convert(v, &f->grpc_port);
     }},
    {"bind", "", &Set<&ServeFlags::bind>},
    {"workers", "", &Set<&ServeFlags::workers>},
    {"predict_threads", "predict-threads", &Set<&ServeFlags::predict_threads>},
    {"max_body_bytes", "max-body-bytes", &Set<&ServeFlags::max_body_bytes>},
    {"max_header_bytes", "max-header-bytes", &Set<&ServeFlags::max_header_bytes>},
    {"max_header_count", "max-header-count", &Set<&ServeFlags::max_header_count>},
    {"request_timeout_ms", "request-timeout-ms", &Set<&ServeFlags::request_timeout_ms>},
    {"predict_timeout_seconds", "predict-timeout-seconds",
     [](const std::string& v, ServeFlags* f) {
       std::string checked = v;  // CLI::NonNegativeNumber, as the option's check()
       return CLI::NonNegativeNumber(checked).empty() && Convert(v, &f->predict_timeout_seconds);
     }},
    {"idle_timeout_ms", "idle-timeout-ms", &Set<&ServeFlags::idle_timeout_ms>},
    {"max_connections", "max-connections", &Set<&ServeFlags::max_connections>},
    {"access_log_rate", "access-log-rate", &Set<&ServeFlags::access_log_per_second>},
    {"drain_seconds", "drain-seconds", &Set<&ServeFlags::drain_seconds>},
    {"max_batch_size", "max-batch-size", &Set<&ServeFlags::max_batch_size>},
    {"max_batch_delay_ms", "max-batch-delay-ms", &Set<&ServeFlags::max_batch_delay_ms>},
};

}  // namespace

bool ParseServeFlagsFast(int argc, const char* const* argv, ServeFlags* flags) {
  if (argc < 2 || std::string_view(argv[1]) != "serve") return false;
  ServeFlags f = *flags;
  bool given[std::size(kServeFlags)] = {};
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") return false;
    arg.remove_prefix(2);
    size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    size_t k = 0;
    while (k < std::size(kServeFlags) && name != kServeFlags[k].name &&
           (kServeFlags[k].alias.empty() || name != kServeFlags[k].alias)) {
      ++k;
    }
    if (k == std::size(kServeFlags) || given[k]) return false;  // unknown, or given twice
    given[k] = true;
    std::string value;
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);  // "--name=" takes the next argument in CLI11: left to it
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    // An empty value, or one that starts like a flag (a negative number, "--help"), is left to
    // CLI11 too.
    if (value.empty() || value[0] == '-' || !kServeFlags[k].set(value, &f)) return false;
  }
  *flags = std::move(f);
  return true;
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

void AddKubeconfigCommand(CLI::App& app, KubeconfigFlags* f) {
  CLI::App* kc = app.add_subcommand(
      "kubeconfig", "Print the kubeconfig of a running `ferry up` (the admin's, or a user's)");
  kc->add_option("--data-dir,--data_dir", f->data_dir, "State directory of `ferry up`");
  kc->add_option("--user", f->user,
                 "A kubeconfig for this dashboard user (email) instead of the admin: an OIDC "
                 "token as the oauth2-proxy issues it; RBAC decides what it may do");
  kc->add_option("--group", f->groups, "Groups of that user (repeatable)");
  kc->add_option("--ttl", f->ttl, "Lifetime of the user's token (e.g. 1h, 24h)")
      ->capture_default_str();
  kc->add_option("--issuer", f->issuer, "The issuer `ferry up --issuer` uses")
      ->capture_default_str();
}

CLI::App* AddAuthzCommand(CLI::App& app, AuthzFlags* f) {
  CLI::App* authz = app.add_subcommand(
      "authz", "Explain gateway authorization (AuthorizationPolicy, RequestAuthentication)");
  CLI::App* check = authz->add_subcommand(
      "check", "Would a request to URL pass the gateway policies of a running `ferry up`? Why?");
  authz->require_subcommand(1);
  check
      ->add_option("url", f->url,
                   "URL the client calls: http://NAME.NS.DOMAIN/... (external gateway) or "
                   "http://NAME.NS.svc.cluster.local/... (cluster-local gateway)")
      ->required();
  check->add_option("-X,--request", f->method, "HTTP method")->capture_default_str();
  check->add_option("-H,--header", f->headers, "Request header 'Name: value' (repeatable)");
  check->add_option("--token", f->token, "Bearer token (e.g. from `kubectl create token`)");
  check->add_option("--gateway", f->gateway, "external or internal (default: from the URL host)")
      ->check(CLI::IsMember({"external", "internal"}));
  check->add_option("--data-dir,--data_dir", f->data_dir,
                    "State directory of `ferry up` (its kubeconfig is used)");
  check->add_option("--kubeconfig", f->kubeconfig, "Kubeconfig file (default DATA_DIR/kubeconfig)");
  check->add_option("-o,--output", f->output, "json for the raw answer")
      ->check(CLI::IsMember({"json"}));
  return authz;
}

CLI::App* AddPasswdCommand(CLI::App& app, PasswdFlags* f) {
  CLI::App* cmd = app.add_subcommand(
      "passwd",
      "Set the sign-in password of a dashboard / Kubeflow user (DATA_DIR/users); reads it from "
      "the terminal, or the first line of stdin");
  cmd->add_option("email", f->email, "The user's email, e.g. user@example.com")->required();
  cmd->add_option("--data-dir,--data_dir", f->data_dir,
                  "State directory of `ferry up` (default $FERRY_DATA_DIR or ~/.ferry)");
  return cmd;
}

CLI::App* AddExportCommand(CLI::App& app, ExportFlags* f) {
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write the YAML a KServe cluster needs to run this ferry up's models (InferenceServices, "
      "their Secrets and ServiceAccounts, Profiles, your AuthorizationPolicies and "
      "RequestAuthentications)");
  cmd->add_option("--data-dir,--data_dir", f->data_dir,
                  "Data dir of the `ferry up` (its API when running, else its store); default "
                  "$FERRY_DATA_DIR or ~/.ferry");
  cmd->add_option("--kubeconfig", f->kubeconfig, "Read a running ferry up through this kubeconfig");
  cmd->add_option("-n,--namespace", f->name_space, "Only this namespace (default: all)");
  cmd->add_option("--runtime", f->runtime,
                  "Set spec.predictor.model.runtime to NAME (NAME-grpc for grpc-v2 models), "
                  "e.g. ferry for deploy/kserve's runtimes");
  cmd->add_option("--upload-to", f->upload_to,
                  "s3://BUCKET/PREFIX where local (file://) models will be uploaded; their "
                  "storageUri is rewritten and the aws s3 cp command printed");
  cmd->add_option("--s3-endpoint", f->s3_endpoint,
                  "Set serving.kserve.io/s3-endpoint of the exported S3 Secrets (the cluster's "
                  "MinIO/S3, e.g. minio-service.kubeflow:9000)");
  cmd->add_option("-o,--output", f->output, "Write to FILE (mode 0600: it holds Secrets)");
  return cmd;
}

}  // namespace ferry::main
