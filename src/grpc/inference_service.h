// InferenceService: the generated inference.GRPCInferenceService::Service
// implemented over ModelCatalog snapshots (see grpc_server.h for the threading
// and ownership rules). Internal to ferry_grpc.
#pragma once

#include <string>

#include "grpc/grpc_server.h"
#include "grpc_predict_v2.grpc.pb.h"

namespace ferry::grpc {

class InferenceService final : public inference::GRPCInferenceService::Service {
 public:
  InferenceService(CatalogFn catalog, std::string version)
      : catalog_(std::move(catalog)), version_(std::move(version)) {}

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
  CatalogFn catalog_;
  std::string version_;
};

}  // namespace ferry::grpc
