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
#include "serving/request_context.h"

namespace ferry::grpc {

// One answered call, for the access log (views valid during the callback only).
struct CallLogRecord {
  std::string_view peer_ip;  // "127.0.0.1", "::1"
  std::string_view path;     // "/inference.GRPCInferenceService/ModelInfer"
  int grpc_code = 0;         // the call's gRPC status code
  int http_status = 200;     // that code as the REST route answers it (serving::HttpStatusFor)
  size_t response_bytes = 0;  // the response message, or an error's message
  double seconds = 0;         // from the call's arrival to the start of its reply
  std::string_view request_id;
  std::string_view traceparent;
};
// Called once per answered call, on the thread that answers it (a completion-queue thread or a
// model's executor), so it must be thread-safe; a call cancelled before its answer is not logged.
using CallLogFn = std::function<void(const CallLogRecord&)>;

// A ModelInfer of a served model answered with an error: the model's metrics key
// (serving::Metrics::ModelCounters::model), the code as the REST route answers it, a text naming
// the gRPC code and the message, and the call's context. What the REST router's ErrorSink hears
// (server/model_router.h), for the InferenceService's log (`kubectl logs`). Thread-safe.
using CallErrorFn = std::function<void(const std::string& model_key, int http_status,
                                       std::string_view error, const serving::RequestContext&)>;

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
  // The access log (REST's format: server/access_log.h); none when empty.
  CallLogFn access_log;
  // Failed inferences of served models; none when empty.
  CallErrorFn error_log;
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
