// InferenceService: the inference.GRPCInferenceService handlers over
// ModelCatalog snapshots (see grpc_server.h for the threading and ownership
// rules). GrpcServer's completion-queue threads call them inline and
// concurrently (unary_call.h). Every RPC first asks the CallResolver where it
// goes (routing, policies: Resolve, possibly answered later); a non-OK answer
// becomes the call's status (Admit), else the handler runs with the target.
// Internal to ferry_grpc.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>
#include <memory>
#include <string>

#include "grpc/grpc_server.h"
#include "grpc_predict_v2.pb.h"
#include "serving/request_context.h"

namespace ferry::grpc {

// How ModelInfer answers: Finish() exactly once, from the calling thread or,
// for a predict handed to the model's executor, from an executor thread.
class Completion {
 public:
  virtual ~Completion() = default;
  virtual void Finish(::grpc::Status status) = 0;
  // Kept until the call is over (the catalog an executor task refers to).
  virtual void KeepAlive(std::shared_ptr<const serving::ModelCatalog> catalog) = 0;
  // The call's x-request-id and trace context (lives as long as the call).
  virtual const serving::RequestContext& context() const = 0;
};

class InferenceService final {
 public:
  // needs_call_info = false: the resolver ignores CallInfo, so none is built.
  // `repository` may be null (the repository RPCs then answer UNIMPLEMENTED).
  InferenceService(CallResolver resolver, bool needs_call_info, std::string version,
                   serving::ModelRepository* repository)
      : resolver_(std::move(resolver)),
        needs_call_info_(needs_call_info),
        version_(std::move(version)),
        repository_(repository) {}
  void set_local_port(int port) { local_port_ = port; }
  void set_access_log(CallLogFn log) { access_log_ = std::move(log); }
  void set_error_log(CallErrorFn log) { error_log_ = std::move(log); }

  // Writes the access-log record of a call of RPC `method` answered with `status` (no-op when
  // there is no access log). `response_bytes` is the response message's size when OK.
  void LogCall(::grpc::ServerContext* ctx, std::string_view method, const ::grpc::Status& status,
               size_t response_bytes, std::chrono::steady_clock::time_point arrived,
               const serving::RequestContext& context) const;
  bool logs_calls() const { return static_cast<bool>(access_log_); }
  bool needs_call_info() const { return needs_call_info_; }

  // The call's context from its x-request-id / traceparent / tracestate
  // metadata; the x-request-id is also set as initial metadata, so every
  // answer (errors included) carries it.
  static serving::RequestContext ContextOf(::grpc::ServerContext* ctx);
  // Asks the resolver where the call of RPC `method` goes; the answer comes
  // through `sink` (maybe later, from another thread). The resolver sees the
  // call's metadata with `context`'s identity in place of the client's.
  void Resolve(::grpc::ServerContext* ctx, std::string_view method,
               const serving::RequestContext& context, ResolveSink* sink) const;
  // OK when the handler should run with `target`; else the call's status
  // (its trailers are then set on `ctx`).
  ::grpc::Status Admit(::grpc::ServerContext* ctx, CallTarget* target) const;

  ::grpc::Status ServerLive(::grpc::ServerContext*, const inference::ServerLiveRequest*,
                            inference::ServerLiveResponse* res, const CallTarget& target);
  ::grpc::Status ServerReady(::grpc::ServerContext*, const inference::ServerReadyRequest*,
                             inference::ServerReadyResponse* res, const CallTarget& target);
  ::grpc::Status ModelReady(::grpc::ServerContext*, const inference::ModelReadyRequest* req,
                            inference::ModelReadyResponse* res, const CallTarget& target);
  ::grpc::Status ServerMetadata(::grpc::ServerContext*, const inference::ServerMetadataRequest*,
                                inference::ServerMetadataResponse* res, const CallTarget& target);
  ::grpc::Status ModelMetadata(::grpc::ServerContext*, const inference::ModelMetadataRequest* req,
                               inference::ModelMetadataResponse* res, const CallTarget& target);
  // Predicts inline when the model is fast and the batch small, else on the
  // model's executor (like the HTTP route); answers through `done`.
  void ModelInfer(::grpc::ServerContext*, const inference::ModelInferRequest* req,
                  inference::ModelInferResponse* res, Completion* done, CallTarget target);

  // The model repository extension over serving::ModelRepository (same answers as REST's
  // /v2/repository/...); load and unload finish from the repository's thread.
  ::grpc::Status RepositoryIndex(::grpc::ServerContext*, const inference::RepositoryIndexRequest* req,
                                 inference::RepositoryIndexResponse* res, const CallTarget& target);
  void RepositoryModelLoad(::grpc::ServerContext*, const inference::RepositoryModelLoadRequest* req,
                           inference::RepositoryModelLoadResponse* res, Completion* done,
                           CallTarget target);
  void RepositoryModelUnload(::grpc::ServerContext*,
                             const inference::RepositoryModelUnloadRequest* req,
                             inference::RepositoryModelUnloadResponse* res, Completion* done,
                             CallTarget target);

 private:
  CallResolver resolver_;
  bool needs_call_info_;
  std::string version_;
  serving::ModelRepository* repository_;
  int local_port_ = 0;
  CallLogFn access_log_;
  CallErrorFn error_log_;
};

}  // namespace ferry::grpc
