// GrpcServer: the Open Inference Protocol's gRPC service
// (inference.GRPCInferenceService: ServerLive, ServerReady, ModelReady,
// ServerMetadata, ModelMetadata, ModelInfer and the repository extension's
// RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload;
// proto/grpc_predict_v2.proto)
// over the same ModelCatalog snapshots the HTTP ModelRouter serves.
//
// Created by `ferry serve` (src/main) after the HTTP listener when
// --grpc_port is set, with a CatalogFn; and by `ferry up` with a CallResolver
// that routes each call by its `:authority` (like Host on the HTTP gateways)
// and runs the gateway's policies on its metadata (ingress/grpc_ingress.h).
// gRPC's asynchronous API runs underneath: `threads` threads, each polling
// its own completion queue, answer calls inline (routing, policies, predict)
// with no hand-off to another thread; each call reads the catalog the
// function/resolver gives at its start, so catalog swaps never race a
// request. Fast predicts run on those threads (models are thread-safe),
// slow ones on the model's executor; a resolver waiting on a network peer
// (ext-authz, JWKS) parks the call and holds no thread. The server owns its
// gRPC objects (kept out of this header); the catalog function / resolver
// must stay callable until Shutdown() returns, and Shutdown() waits for
// resolutions still pending (the resolver's owner ends them first).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "serving/model_catalog.h"
#include "serving/model_repository.h"

namespace ferry::grpc {

struct GrpcServerOptions {
  std::string bind_address = "0.0.0.0";
  int port = 8081;  // 0 = pick a free port (see GrpcServer::port())
  // Largest message received or sent (KServe's default is 8 MiB).
  int max_message_bytes = 64 * 1024 * 1024;
  std::string server_version;  // ServerMetadata.version
  // The model repository extension (RepositoryIndex, RepositoryModelLoad/Unload; advertised in
  // ServerMetadata) when set; else those RPCs answer UNIMPLEMENTED. Not owned; must outlive
  // Shutdown().
  serving::ModelRepository* repository = nullptr;
  // Threads answering calls (one completion queue each); 0 = one per core,
  // at least 2.
  int threads = 0;
  // How to pick another port, for the bind error.
  std::string port_hint =
      "choose another port with --grpc_port=N, or --grpc_port=0 to disable gRPC";
};

using CatalogFn = std::function<std::shared_ptr<const serving::ModelCatalog>()>;

// One incoming call as a resolver sees it (views valid during the call only).
struct CallInfo {
  std::string_view path;       // "/inference.GRPCInferenceService/ModelInfer"
  std::string_view authority;  // ":authority", port included when the client sent one
  // Client metadata (lower-case keys; binary "-bin" entries left out).
  std::span<const std::pair<std::string_view, std::string_view>> metadata;
  std::string_view peer_ip;  // "127.0.0.1", "::1"
  int local_port = 0;
};

// Where a call goes: the catalog to serve it from, or the status to answer
// with (plus trailing metadata such as www-authenticate for a denial).
struct CallTarget {
  std::shared_ptr<const serving::ModelCatalog> catalog;
  Status status;  // non-OK: answered with this code and message
  std::vector<std::pair<std::string, std::string>> trailers;
};

// How a resolver answers a call: Resolved() exactly once — at once, from
// inside the resolver (the common case), or later from any thread. A
// resolver that waits (the gateway's ext-authz or JWKS) returns at once and
// resumes on one of the server's threads through Post().
class ResolveSink {
 public:
  virtual void Resolved(CallTarget target) = 0;
  // Runs `fn` on one of the server's completion-queue threads.
  virtual void Post(std::function<void()> fn) = 0;

 protected:
  ~ResolveSink() = default;
};
// The CallInfo views are valid during the resolver call only: a resolver
// that answers later copies what it needs.
using CallResolver = std::function<void(const CallInfo&, ResolveSink*)>;

// A running server. In the `ferry` binary the code behind Start lives in
// libferry_grpc.so (grpc_module.h), opened on the first Start, so gRPC,
// protobuf and abseil are mapped only by a process that serves gRPC; tests
// link it directly (grpc_start_linked.cc).
class GrpcServer {
 public:
  // Binds and starts serving. Unavailable (naming address, port and the fix)
  // when the port cannot be bound; FailedPrecondition (naming the file and
  // the fix) when the gRPC module is missing or from another build.
  static StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                     CatalogFn catalog);
  // Every call is first resolved (routing + policy) by `resolver`.
  static StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                     CallResolver resolver);
  virtual ~GrpcServer() = default;  // Shutdown(0) if still running
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  virtual int port() const = 0;
  // Stops accepting; calls still running after `grace` are cancelled. Returns
  // once predicts already on a model's executor have replied (each stops at
  // its model's timeout).
  virtual void Shutdown(std::chrono::milliseconds grace) = 0;

 protected:
  GrpcServer() = default;
};

}  // namespace ferry::grpc
