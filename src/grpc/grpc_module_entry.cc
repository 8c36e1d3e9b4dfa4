// libferry_grpc.so's entry point (grpc_module.h).
#include "grpc/grpc_module.h"

extern "C" __attribute__((visibility("default"))) const ferry::grpc::GrpcModule*
ferry_grpc_module_v1() {
  static const ferry::grpc::GrpcModule module = [] {
    ferry::grpc::GrpcModule m;
    m.start_catalog = [](const ferry::grpc::GrpcServerOptions& o, ferry::grpc::CatalogFn c) {
      return ferry::grpc::StartServing(o, std::move(c));
    };
    m.start_resolver = [](const ferry::grpc::GrpcServerOptions& o, ferry::grpc::CallResolver r) {
      return ferry::grpc::StartServing(o, std::move(r));
    };
    return m;
  }();
  return &module;
}
