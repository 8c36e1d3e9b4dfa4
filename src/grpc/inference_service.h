// InferenceService: the generated inference.GRPCInferenceService::Service
// implemented over ModelCatalog snapshots (see grpc_server.h for the threading
// and ownership rules). Every RPC first asks the CallResolver where it goes
// (routing, policies); a non-OK answer becomes the call's status. Internal to
// ferry_grpc.
#pragma once

#include <string>

#include "grpc/grpc_server.h"
#include "grpc_predict_v2.grpc.pb.h"

namespace ferry::grpc {

class InferenceService final : public inference::GRPCInferenceService::Service {
 public:
  // needs_call_info = false: the resolver ignores CallInfo, so none is built.
  InferenceService(CallResolver resolver, bool needs_call_info, std::string version)
      : resolver_(std::move(resolver)),
        needs_call_info_(needs_call_info),
        version_(std::move(version)) {}
  void set_local_port(int port) { local_port_ = port; }

  ::grpc::Status ServerLive(::grpc::ServerContext*, const inference::ServerLiveRequest*,
                            inference::ServerLiveResponse* res) override;
  ::grpc::Status ServerReady(::grpc::ServerContext*, const inference::ServerReadyRequest*,
                             inference::ServerReadyResponse* res) override;
  ::grpc::Status ModelReady(::grpc::ServerContext*, const inference::ModelReadyRequest* req,
                            inference::ModelReadyResponse* res) override;
  ::grpc::Status ServerMetadata(::grpc::ServerContext*, const inference::ServerMetadataRequest*,
                                inference::ServerMetadataResponse* res) override;
  ::grpc::Status ModelMetadata(::grpc::ServerContext*, const inference::ModelMetadataRequest* req,
                               inference::ModelMetadataResponse* res) override;
  ::grpc::Status ModelInfer(::grpc::ServerContext*, const inference::ModelInferRequest* req,
                            inference::ModelInferResponse* res) override;

 private:
  // The call's target; on a non-OK status its trailers are already set on `ctx`.
  CallTarget Resolve(::grpc::ServerContext* ctx, std::string_view method) const;

  CallResolver resolver_;
  bool needs_call_info_;
  std::string version_;
  int local_port_ = 0;
};

}  // namespace ferry::grpc
