#include "main/serve_command.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "common/cpu_limit.h"
#include "grpc/grpc_server.h"
#include "http/http_server.h"
#include "main/grpc_access_log.h"
#include "main/runtimes.h"
#include "main/signals.h"
#include "runtime/batching_model.h"
#include "runtime/loader.h"
#include "server/access_log.h"
#include "server/model_router.h"
#include "serving/directory_repository.h"
#include "storage/storage_initializer.h"

namespace ferry::main {

namespace {

int PortFromEnv(int flag_value) {
  // Knative/KServe set PORT for the container; an explicit flag wins.
  const char* port = std::getenv("PORT");
  if (port != nullptr && flag_value == 8080) return std::atoi(port);
  return flag_value;
}

// KServe runtime-container environment (deploy/kserve/, docs/kubernetes.md).

bool DirMissingOrEmpty(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return true;
  return std::filesystem::is_directory(dir, ec) && std::filesystem::is_empty(dir, ec);
}

// A pod without a storage-initializer (storageHelper disabled, or a plain
// Deployment) still gets STORAGE_URI; like KServe's python model server, fetch
// it into --model_dir first so the runtime works either way. Returns 0 or the
// storage initializer's exit code (its error names URI, endpoint and fix).
int FetchStorageUriIfEmpty(const std::string& model_dir) {
  const char* uri = std::getenv("STORAGE_URI");
  if (uri == nullptr || *uri == '\0' || !DirMissingOrEmpty(model_dir)) return 0;
  std::fprintf(stderr, "ferry serve: %s is missing or empty; downloading STORAGE_URI=%s\n",
               model_dir.c_str(), uri);
  return storage::RunStorageInitializer({uri, model_dir}, std::cerr, std::cerr);
}

// KServe/Knative describe the pod in the environment; Ferry serves every
// protocol on every port, so these only go to the log for operators.
void LogKServeEnv() {
  const char* service = std::getenv("K_SERVICE");
  const char* protocol = std::getenv("PROTOCOL_VERSION");
  if (service == nullptr && protocol == nullptr) return;
  std::fprintf(stderr,
               "ferry serve: KServe pod (K_SERVICE=%s, PROTOCOL_VERSION=%s); serving V1, "
               "V2 and MLflow REST on every port\n",
               service ? service : "-", protocol ? protocol : "-");
}

// V2 gRPC (src/grpc).

// KServe passes --grpc_port explicitly, so a port it cannot bind is fatal;
// the implicit default (8081) is skipped with a warning instead, so several
// local `ferry serve`s can run side by side. Null when gRPC is off.
StatusOr<std::unique_ptr<grpc::GrpcServer>> StartGrpc(const ServeFlags& flags,
                                                      const server::ModelRouter& router,
                                                      serving::ModelRepository* repository,
                                                      server::AccessLog* access_log, int cpus) {
  if (flags.grpc_port == 0) return std::unique_ptr<grpc::GrpcServer>();
  grpc::GrpcServerOptions opts;
  opts.access_log = GrpcAccessLog(access_log);
  opts.bind_address = flags.bind;
  opts.port = flags.grpc_port;
  opts.threads = std::max(cpus, 2);
  opts.max_message_bytes = static_cast<int>(std::min<size_t>(flags.max_body_bytes, INT32_MAX));
  opts.server_version = FERRY_VERSION;
  opts.repository = repository;
  auto server = grpc::GrpcServer::Start(opts, [&router] { return router.catalog(); });
  if (!server.ok() && !flags.grpc_port_explicit) {
    std::fprintf(stderr, "ferry serve: warning: gRPC disabled: %s\n",
                 server.status().message().c_str());
    return std::unique_ptr<grpc::GrpcServer>();
  }
  return server;
}

// Wraps the model in a BatchingModel when --max_batch_size > 1; returns the
// executor size batching wants (0 when off).
int EnableBatching(const ServeFlags& flags, runtime::ServedModel* served, int cpus) {
  if (flags.max_batch_size <= 1) return 0;
  runtime::BatchingOptions o;
  o.max_batch_size = flags.max_batch_size;
  o.max_concurrent_batches = cpus;
  o.max_delay = std::chrono::microseconds(
      static_cast<int64_t>(std::max(0.0, flags.max_batch_delay_ms) * 1000));
  int threads = runtime::EnableBatching(served, o);
  std::fprintf(stderr,
               "ferry serve: dynamic batching on: up to %d rows per predict, %.3g ms delay\n",
               flags.max_batch_size, flags.max_batch_delay_ms);
  return threads;
}

// The HTTP listener of `ferry serve`, started (live before the model loads: KServe's liveness).
StatusOr<std::unique_ptr<http::HttpServer>> StartHttp(const ServeFlags& flags,
                                                      http::HttpHandler* handler, int io_threads) {
  http::HttpServerOptions http;
  http.bind_address = flags.bind;
  http.port = static_cast<uint16_t>(PortFromEnv(flags.http_port));
  http.io_threads = io_threads;
  http.max_body_bytes = flags.max_body_bytes;
  http.max_header_bytes = flags.max_header_bytes;
  http.max_header_count = flags.max_header_count;
  http.request_timeout = std::chrono::milliseconds(flags.request_timeout_ms);
  http.idle_timeout = std::chrono::milliseconds(flags.idle_timeout_ms);
  http.max_connections = flags.max_connections;
  ASSIGN_OR_RETURN(auto listener, http::HttpServer::Create(http, handler));
  listener->Start();
  return listener;
}

// Loads the model directory `dir` as `name` (with the batcher when asked): the ready entry to
// publish, counted under `counters`. Also how the model repository (re)loads a model.
StatusOr<std::shared_ptr<serving::ModelEntry>> LoadEntry(const ServeFlags& flags,
                                                         const runtime::RuntimeRegistry& registry,
                                                         const std::string& name,
                                                         const std::filesystem::path& dir,
                                                         serving::Metrics::ModelCounters* counters,
                                                         int cpus, int predict_threads) {
  auto served = runtime::LoadModelDir(registry, dir, name);
  if (!served.ok()) {
    return Status(served.status().code(),
                  "cannot load model '" + name + "': " + served.status().message());
  }
  // A model of a repository is named in its warnings; the one model's are as they always were.
  std::string about = dir == std::filesystem::path(flags.model_dir) ? "" : "model '" + name + "': ";
  for (const auto& w : (*served)->warnings) {
    std::fprintf(stderr, "ferry serve: warning: %s%s\n", about.c_str(), w.c_str());
  }
  int batch_threads = EnableBatching(flags, served->get(), cpus);
  // A new entry (entries are immutable once in a catalog).
  auto ready = std::make_shared<serving::ModelEntry>();
  ready->name = name;
  ready->timeout = std::chrono::milliseconds(
      static_cast<int64_t>(std::llround(flags.predict_timeout_seconds * 1000)));
  ready->counters = counters;
  ready->served = std::shared_ptr<const runtime::ServedModel>(std::move(served).value());
  // Batching callers block until their batch is done: the pool bounds the batch.
  ready->executor =
      std::make_shared<serving::Executor>(std::max(predict_threads, batch_threads), 1024);
  ready->state = serving::ModelEntry::State::kReady;
  ready->counters->load_seconds = ready->served->load_seconds;
  ready->counters->loaded = 1;
  return ready;
}

// Fetches STORAGE_URI when the model directory is empty, then loads the one model.
StatusOr<std::shared_ptr<serving::ModelEntry>> LoadModel(const ServeFlags& flags,
                                                         const runtime::RuntimeRegistry& registry,
                                                         serving::Metrics::ModelCounters* counters,
                                                         int cpus, int predict_threads) {
  LogKServeEnv();
  if (FetchStorageUriIfEmpty(flags.model_dir) != 0) {
    return UnavailableError("cannot load model '" + flags.model_name +
                            "': STORAGE_URI download failed (above)");
  }
  return LoadEntry(flags, registry, flags.model_name, flags.model_dir, counters, cpus,
                   predict_threads);
}

// A model repository (KServe's multi-model layout) at start-up: every model loaded, each
// logged; false when none is ready.
bool LoadRepository(const ServeFlags& flags, serving::DirectoryRepository& repository) {
  int ready = repository.LoadAll();
  for (const auto& e : repository.Index(false)) {
    std::fprintf(stderr, "ferry serve: model '%s': %s%s%s\n", e.name.c_str(), e.state.c_str(),
                 e.reason.empty() ? "" : ": ", e.reason.c_str());
  }
  std::fprintf(stderr, "ferry serve: model repository %s: %d of %zu models ready\n",
               flags.model_dir.c_str(), ready, repository.Index(false).size());
  return ready > 0;
}

// A catalog of the one model `entry`.
std::shared_ptr<const serving::ModelCatalog> CatalogOf(std::shared_ptr<serving::ModelEntry> entry) {
  auto catalog = std::make_shared<serving::ModelCatalog>();
  catalog->models.push_back(std::move(entry));
  return catalog;
}

}  // namespace

// Steps: thread counts → router with a loading placeholder (one model) or none (a model
// repository) → HTTP listener (live) → model load, or every model of the repository → ready catalog → gRPC listener (its open port is the readiness signal) → wait for a signal →
// drain both listeners within one grace period (reverse of their start).
int RunServe(const ServeFlags& flags) {
  sigset_t signals = BlockShutdownSignals();
  auto t0 = std::chrono::steady_clock::now();
  // Thread pools follow the container's CPU limit, not the node's cores.
  const EffectiveCpus cpus = DetectEffectiveCpus();
  const int io_threads = flags.workers > 0 ? flags.workers : cpus.cpus;
  const int predict_threads = flags.predict_threads > 0 ? flags.predict_threads : cpus.cpus;
  std::fprintf(stderr, "ferry serve: %s: %d I/O threads, %d predict threads\n",
               cpus.Describe().c_str(), io_threads, predict_threads);

  serving::Metrics metrics;
  server::AccessLog access_log(flags.access_log_per_second);
  server::ModelRouterOptions router_opts;
  router_opts.server_version = FERRY_VERSION;
  server::ModelRouter router(router_opts, &metrics, &access_log);
  const runtime::RuntimeRegistry registry = BuildRuntimeRegistry(predict_threads);
  // One directory per model (runtime/loader.h says when): every model under its directory's
  // name. Otherwise the one model, exactly as before, named --model_name.
  const bool multi = runtime::IsModelRepository(registry, flags.model_dir);
  serving::DirectoryRepository repository(
      {flags.model_dir, multi ? "" : flags.model_name},
      [&](const std::string& name, const std::filesystem::path& dir,
          serving::Metrics::ModelCounters* counters) {
        return LoadEntry(flags, registry, name, dir, counters, cpus.cpus, predict_threads);
      },
      [&router](std::shared_ptr<const serving::ModelCatalog> c) { router.SetCatalog(c); },
      &metrics);
  router.SetRepository(&repository);
  serving::Metrics::ModelCounters* counters = nullptr;
  if (!multi) {
    auto loading = std::make_shared<serving::ModelEntry>();
    loading->name = flags.model_name;
    loading->counters = counters = metrics.Register(flags.model_name);
    router.SetCatalog(CatalogOf(loading));
  }

  auto listener = StartHttp(flags, &router, io_threads);
  if (!listener.ok()) {
    std::fprintf(stderr, "ferry serve: %s\n", listener.status().message().c_str());
    return 1;
  }
  std::fprintf(stderr, "ferry serve: listening on http://%s:%u (live; loading %s%s%s from %s)\n",
               flags.bind.c_str(), (*listener)->port(), multi ? "a model repository" : "model '",
               multi ? "" : flags.model_name.c_str(), multi ? "" : "'", flags.model_dir.c_str());
  std::string source = "model repository " + flags.model_dir;
  if (multi) {
    if (!LoadRepository(flags, repository)) {
      std::fprintf(stderr, "ferry serve: no model of %s loaded (reasons above)\n",
                   flags.model_dir.c_str());
      (*listener)->Drain(std::chrono::milliseconds(0));
      return 1;
    }
  } else {
    auto ready = LoadModel(flags, registry, counters, cpus.cpus, predict_threads);
    if (!ready.ok()) {
      std::fprintf(stderr, "ferry serve: %s\n", ready.status().message().c_str());
      (*listener)->Drain(std::chrono::milliseconds(0));
      return 1;
    }
    source = (*ready)->served->source;
    repository.Adopt(*ready);
    router.SetCatalog(CatalogOf(*ready));
  }
  // The gRPC port opens only now, with the model loaded: an open port is the
  // readiness signal where only that port can be probed (KServe's ferry-grpc
  // runtime: Knative probes the one declared h2c port over TCP).
  auto grpc_server = StartGrpc(flags, router, &repository, &access_log, cpus.cpus);
  if (!grpc_server.ok()) {
    std::fprintf(stderr, "ferry serve: %s\n", grpc_server.status().message().c_str());
    (*listener)->Drain(std::chrono::milliseconds(0));
    return 1;
  }
  if (*grpc_server) {
    std::fprintf(stderr, "ferry serve: gRPC (inference.GRPCInferenceService) on %s:%d\n",
                 flags.bind.c_str(), (*grpc_server)->port());
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (multi) {
    std::fprintf(stderr, "ferry serve: model repository ready in %.1f ms: %s\n", ms,
                 source.c_str());
  } else {
    std::fprintf(stderr, "ferry serve: model '%s' ready in %.1f ms: %s\n",
                 flags.model_name.c_str(), ms, source.c_str());
  }

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "ferry serve: %s received, draining (up to %.0f s)\n",
               sig == SIGTERM ? "SIGTERM" : "SIGINT", flags.drain_seconds);
  auto drain = std::chrono::milliseconds(static_cast<int64_t>(flags.drain_seconds * 1000));
  // Both drains share one grace period.
  std::thread grpc_stop([&] {
    if (*grpc_server) (*grpc_server)->Shutdown(drain);
  });
  (*listener)->Drain(drain);
  grpc_stop.join();
  std::fprintf(stderr, "ferry serve: stopped\n");
  return 0;
}

}  // namespace ferry::main
