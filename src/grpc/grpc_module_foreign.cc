// A gRPC module as another build of Ferry would make it: the right entry
// point, another interface hash. tests/e2e/test_grpc_module.py installs it to
// provoke the loader's refusal (grpc_module_loader.cc).
#include "grpc/grpc_module.h"

extern "C" __attribute__((visibility("default"))) const ferry::grpc::GrpcModule*
ferry_grpc_module_v1() {
  static const ferry::grpc::GrpcModule module = [] {
    ferry::grpc::GrpcModule m;
    m.interface_hash = "0000000000000000";
    return m;
  }();
  return &module;
}
