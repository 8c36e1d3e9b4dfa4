#include "main/serve_command.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "main/runtimes.h"
#include "runtime/loader.h"
#include "server/http_server.h"
#include "server/model_router.h"

namespace ferry::main {

void AddServeCommand(CLI::App& app, ServeFlags* f) {
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve one model directory over KServe V1, V2 (Open Inference Protocol) and MLflow");
  serve->add_option("--model_name,--model-name", f->model_name, "Name the model is served under")
      ->capture_default_str();
  serve->add_option("--model_dir,--model-dir", f->model_dir,
                    "Model directory (MLflow model, model.joblib/.pkl, model.bst/.json/.ubj) or file")
      ->capture_default_str();
  serve->add_option("--http_port,--http-port", f->http_port, "HTTP port (0 = pick a free one)")
      ->capture_default_str();
  serve->add_option("--grpc_port,--grpc-port", f->grpc_port, "gRPC port (reserved)")
      ->capture_default_str();
  serve->add_option("--bind", f->bind, "Address to listen on")->capture_default_str();
  serve->add_option("--workers", f->workers, "I/O threads (0 = one per core)")
      ->capture_default_str();
  serve->add_option("--predict_threads,--predict-threads", f->predict_threads,
                    "Threads for slow predicts (0 = one per core)")
      ->capture_default_str();
  serve->add_option("--max_body_bytes,--max-body-bytes", f->max_body_bytes,
                    "Largest request body accepted (413 above)")
      ->capture_default_str();
  serve->add_option("--access_log_rate,--access-log-rate", f->access_log_per_second,
                    "Access-log lines per second (0 = off, -1 = unlimited)")
      ->capture_default_str();
  serve->add_option("--drain_seconds,--drain-seconds", f->drain_seconds,
                    "On SIGTERM, how long in-flight requests may take to finish")
      ->capture_default_str();
}

namespace {

// Blocks SIGTERM/SIGINT in every thread (call before starting any), so
// sigwait() in main receives them.
sigset_t BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int PortFromEnv(int flag_value) {
  // Knative/KServe set PORT for the container; an explicit flag wins.
  const char* port = std::getenv("PORT");
  if (port != nullptr && flag_value == 8080) return std::atoi(port);
  return flag_value;
}

}  // namespace

int RunServe(const ServeFlags& flags) {
  sigset_t signals = BlockShutdownSignals();
  auto t0 = std::chrono::steady_clock::now();

  server::Metrics metrics;
  server::AccessLog access_log(flags.access_log_per_second);
  server::ModelRouterOptions router_opts;
  router_opts.server_version = FERRY_VERSION;
  server::ModelRouter router(router_opts, &metrics, &access_log);

  auto entry = std::make_shared<server::ModelEntry>();
  entry->name = flags.model_name;
  entry->counters = metrics.Register(flags.model_name);
  auto catalog = std::make_shared<server::ModelCatalog>();
  catalog->models.push_back(entry);
  router.SetCatalog(catalog);

  server::HttpServerOptions http;
  http.bind_address = flags.bind;
  http.port = static_cast<uint16_t>(PortFromEnv(flags.http_port));
  http.io_threads = flags.workers;
  http.max_body_bytes = flags.max_body_bytes;
  auto listener = server::HttpServer::Create(http, &router);
  if (!listener.ok()) {
    std::fprintf(stderr, "ferry serve: %s\n", listener.status().message().c_str());
    return 1;
  }
  (*listener)->Start();
  std::fprintf(stderr, "ferry serve: listening on http://%s:%u (live; loading model '%s' from %s)\n",
               flags.bind.c_str(), (*listener)->port(), flags.model_name.c_str(),
               flags.model_dir.c_str());

  runtime::RuntimeRegistry registry = BuildRuntimeRegistry();
  auto served = runtime::LoadModelDir(registry, flags.model_dir, flags.model_name);
  if (!served.ok()) {
    std::fprintf(stderr, "ferry serve: cannot load model '%s': %s\n", flags.model_name.c_str(),
                 served.status().message().c_str());
    (*listener)->Drain(std::chrono::milliseconds(0));
    return 1;
  }
  for (const auto& w : (*served)->warnings) std::fprintf(stderr, "ferry serve: warning: %s\n", w.c_str());
  // Publish a new entry (entries are immutable once in a catalog).
  auto ready = std::make_shared<server::ModelEntry>();
  ready->name = flags.model_name;
  ready->counters = entry->counters;
  ready->served = std::shared_ptr<const runtime::ServedModel>(std::move(served).value());
  int threads = flags.predict_threads > 0
                    ? flags.predict_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ready->executor = std::make_shared<server::Executor>(threads, 1024);
  ready->state = server::ModelEntry::State::kReady;
  ready->counters->load_seconds = ready->served->load_seconds;
  ready->counters->loaded = 1;
  auto ready_catalog = std::make_shared<server::ModelCatalog>();
  ready_catalog->models.push_back(ready);
  router.SetCatalog(ready_catalog);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "ferry serve: model '%s' ready in %.1f ms: %s\n", flags.model_name.c_str(), ms,
               ready->served->source.c_str());

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "ferry serve: %s received, draining (up to %.0f s)\n",
               sig == SIGTERM ? "SIGTERM" : "SIGINT", flags.drain_seconds);
  (*listener)->Drain(std::chrono::milliseconds(static_cast<int64_t>(flags.drain_seconds * 1000)));
  std::fprintf(stderr, "ferry serve: stopped\n");
  return 0;
}

}  // namespace ferry::main
