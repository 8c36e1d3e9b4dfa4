// GrpcServer: the Open Inference Protocol's gRPC service
// (inference.GRPCInferenceService: ServerLive, ServerReady, ModelReady,
// ServerMetadata, ModelMetadata, ModelInfer; proto/grpc_predict_v2.proto)
// over the same ModelCatalog snapshots the HTTP ModelRouter serves.
//
// Created by `ferry serve` (src/main) after the HTTP listener when
// --grpc_port is set. gRPC's own thread pool runs the handlers; each call
// reads the catalog snapshot `catalog()` returns at its start, so catalog swaps
// never race a request. Predicts run on the gRPC thread (models are
// thread-safe). The server owns its gRPC objects (kept out of this header);
// the catalog function must stay callable until Shutdown() returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "server/model_catalog.h"

namespace ferry::grpc {

struct GrpcServerOptions {
  std::string bind_address = "0.0.0.0";
  int port = 8081;  // 0 = pick a free port (see GrpcServer::port())
  // Largest message received or sent (KServe's default is 8 MiB).
  int max_message_bytes = 64 * 1024 * 1024;
  std::string server_version;  // ServerMetadata.version
};

using CatalogFn = std::function<std::shared_ptr<const server::ModelCatalog>()>;

class GrpcServer {
 public:
  // Binds and starts serving. Unavailable (naming address, port and the fix)
  // when the port cannot be bound.
  static StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                     CatalogFn catalog);
  ~GrpcServer();  // Shutdown(0) if still running
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  int port() const;
  // Stops accepting; calls still running after `grace` are cancelled.
  void Shutdown(std::chrono::milliseconds grace);

  struct Impl;

 private:
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::grpc
