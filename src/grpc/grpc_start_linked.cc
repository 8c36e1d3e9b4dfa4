// GrpcServer::Start for programs that link the gRPC service directly (its
// unit tests): no module to open.
#include "grpc/grpc_module.h"

namespace ferry::grpc {

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                        CatalogFn catalog) {
  return StartServing(options, std::move(catalog));
}

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                        CallResolver resolver) {
  return StartServing(options, std::move(resolver));
}

}  // namespace ferry::grpc
