// `ferry serve`: one model behind KServe's custom-runtime contract
// (--model_name, --model_dir, --http_port, --grpc_port), as the kserve-container
// of an InferenceService pod or standalone.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ferry::main {

struct ServeFlags {
  std::string model_name = "model";
  std::string model_dir = "/mnt/models";
  int http_port = 8080;
  int grpc_port = 8081;            // 0 = no gRPC
  bool grpc_port_explicit = false;  // set when --grpc_port was given (bind failure is fatal)
  std::string bind = "0.0.0.0";
  int workers = 0;          // I/O threads; 0 = one per core
  int predict_threads = 0;  // per-model executor threads; 0 = one per core
  size_t max_body_bytes = 64 * 1024 * 1024;
  // Listener limits (http/http_server.h); defaults as HttpServerOptions.
  size_t max_header_bytes = 16 * 1024;
  size_t max_header_count = 100;
  int request_timeout_ms = 30000;
  int idle_timeout_ms = 65000;
  // How long a request may take from arrival to answer before its predict is
  // stopped and it gets 504 (KServe's spec.predictor.timeout); 0 = no limit.
  double predict_timeout_seconds = 300;
  size_t max_connections = 10000;
  int access_log_per_second = 20;
  double drain_seconds = 30;
  // Dynamic batching (runtime/batching_model.h): off unless max_batch_size > 1.
  int max_batch_size = 0;
  double max_batch_delay_ms = 0;  // 0: batch only what queues while a predict runs

  bool operator==(const ServeFlags&) const = default;
};

// Defined in command_line.cc (with every other subcommand's flags).
void AddServeCommand(CLI::App& app, ServeFlags* flags);
// `ferry serve` with a command line in the plain shape KServe's pods and the benchmarks use —
// argv[1] is "serve", then only AddServeCommand's flags, each at most once, as `--name value` or
// `--name=value`, every value non-empty, not starting with '-', and accepted by the option's own
// CLI11 conversion and check — read into *flags without building CLI11's options (half a
// million instructions of `ferry serve`'s start). Returns false, *flags untouched, for anything
// else (--help, typos, repeats, bad values ...), which then takes CLI11's path and its messages.
// Where it returns true, CLI11 reads the same flags (command_line_test).
bool ParseServeFlagsFast(int argc, const char* const* argv, ServeFlags* flags);
int RunServe(const ServeFlags& flags);

}  // namespace ferry::main
