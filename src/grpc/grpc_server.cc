#include "grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include "grpc/inference_service.h"

namespace ferry::grpc {

struct GrpcServer::Impl {
  std::unique_ptr<InferenceService> service;
  std::unique_ptr<::grpc::Server> server;
  int port = 0;
  bool stopped = false;
};

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcServer::~GrpcServer() { Shutdown(std::chrono::milliseconds(0)); }

int GrpcServer::port() const { return impl_->port; }

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                        CatalogFn catalog) {
  auto service = std::make_unique<InferenceService>(
      [catalog = std::move(catalog)](const CallInfo&) {
        return CallTarget{catalog(), {}, {}};
      },
      /*needs_call_info=*/false, options.server_version);
  return Start(options, std::move(service));
}

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                        CallResolver resolver) {
  return Start(options, std::make_unique<InferenceService>(std::move(resolver),
                                                           /*needs_call_info=*/true,
                                                           options.server_version));
}

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                        std::unique_ptr<InferenceService> service) {
  auto impl = std::make_unique<Impl>();
  impl->service = std::move(service);
  std::string address = options.bind_address + ":" + std::to_string(options.port);
  if (options.bind_address.find(':') != std::string::npos) {
    address = "[" + options.bind_address + "]:" + std::to_string(options.port);
  }
  ::grpc::ServerBuilder builder;
  // SO_REUSEPORT would let a second server "bind" a port already in use.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(address, ::grpc::InsecureServerCredentials(), &impl->port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(impl->service.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    if (impl->server != nullptr) impl->server->Shutdown();
    return UnavailableError("cannot listen for gRPC on " + address +
                            " (port in use or address not local); " + options.port_hint);
  }
  impl->service->set_local_port(impl->port);
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

void GrpcServer::Shutdown(std::chrono::milliseconds grace) {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
  impl_->server->Wait();
}

}  // namespace ferry::grpc
