// The gRPC module: libferry_grpc.so holds the gRPC service (grpc_server.cc,
// inference_service.cc, tensor_codec.cc, the generated protobuf code) and
// links gRPC, protobuf and abseil, which the `ferry` binary does not. The
// binary opens it on the first GrpcServer::Start (grpc_module_loader.cc), so
// `ferry serve --grpc_port 0`, `ferry --version` and every CLI command map
// none of those 45 libraries; `ferry serve` opens it after the model is ready
// (the gRPC port opens then anyway), `ferry up` when its listeners start.
//
// Unlike a runtime backend (runtime/backend.h), the module has no copy of
// Ferry's own code: its references to serving, protocol, runtime and common
// bind at dlopen (RTLD_NOW) to the binary's definitions, which the binary
// exports (src/main/exports.list). One copy means one deadline thread-local,
// one executor and one metrics registry for REST and gRPC alike. What a
// module from another build could get wrong is checked before any of its
// code runs: the compiler and a hash of the headers whose types cross
// (GrpcModule::interface_hash, computed by CMake).
//
// Threads: the loader opens the module once (a mutex); Start is thread-safe.
#pragma once

#include <cstdint>
#include <memory>

#include "common/status.h"
#include "grpc/grpc_module_hash.h"  // generated: FERRY_GRPC_INTERFACE_HASH
#include "grpc/grpc_server.h"

namespace ferry::grpc {

inline constexpr uint32_t kGrpcModuleVersion = 1;
inline constexpr char kGrpcModuleSymbol[] = "ferry_grpc_module_v1";
inline constexpr char kGrpcModuleFile[] = "libferry_grpc.so";

struct GrpcModule {
  uint32_t version = kGrpcModuleVersion;
  const char* compiler = __VERSION__;
  const char* interface_hash = FERRY_GRPC_INTERFACE_HASH;
  StatusOr<std::unique_ptr<GrpcServer>> (*start_catalog)(const GrpcServerOptions&,
                                                         CatalogFn) = nullptr;
  StatusOr<std::unique_ptr<GrpcServer>> (*start_resolver)(const GrpcServerOptions&,
                                                          CallResolver) = nullptr;
};

// The server itself (grpc_server.cc): what GrpcServer::Start calls, through
// the module in the binary and directly in tests.
StatusOr<std::unique_ptr<GrpcServer>> StartServing(const GrpcServerOptions& options,
                                                   CatalogFn catalog);
StatusOr<std::unique_ptr<GrpcServer>> StartServing(const GrpcServerOptions& options,
                                                   CallResolver resolver);

}  // namespace ferry::grpc

// The one symbol the module exports (grpc_module_entry.cc).
extern "C" const ferry::grpc::GrpcModule* ferry_grpc_module_v1();
