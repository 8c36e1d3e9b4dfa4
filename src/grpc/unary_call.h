// UnaryCall: one unary RPC on gRPC's asynchronous (completion-queue) server
// API, answered inline by an InferenceService handler on the thread that
// polls the queue. GrpcServer (grpc_server.cc) runs one such thread per
// queue; there is no hand-off between an I/O thread and a handler pool, which
// is what a one-row predict of a few microseconds cannot afford.
//
// Life of a call object: Arm() asks gRPC for the next call of its method
// (the object is the tag). The first completion (ok) arms a fresh object for
// the next call and runs the handler, which calls Finish (ModelInfer may do
// so later, from the model's executor); the second completion deletes it, as
// does a completion with ok=false (server shutting down). Objects re-arm only
// while their Queue is open (Queue::mu), so nothing is queued on a completion
// queue after its Shutdown(). Internal to ferry_grpc.
#pragma once

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>

#include "grpc/inference_service.h"
#include "grpc_predict_v2.grpc.pb.h"

namespace ferry::grpc {

using AsyncService = inference::GRPCInferenceService::AsyncService;

// A completion-queue tag: every tag GrpcServer's queues see is one of these.
class CallTag {
 public:
  virtual ~CallTag() = default;
  virtual void Proceed(bool ok) = 0;
};

// One server completion queue and whether it still takes new requests.
struct Queue {
  std::unique_ptr<::grpc::ServerCompletionQueue> cq;
  std::mutex mu;
  bool open = true;  // guarded by mu; false once Shutdown() began
};

template <typename Req, typename Resp>
class UnaryCall final : public CallTag, public Completion {
 public:
  using RequestFn = void (AsyncService::*)(::grpc::ServerContext*, Req*,
                                           ::grpc::ServerAsyncResponseWriter<Resp>*,
                                           ::grpc::CompletionQueue*, ::grpc::ServerCompletionQueue*,
                                           void*);
  // A handler answers with its return value, or (deferred) through Finish().
  using HandleFn = ::grpc::Status (InferenceService::*)(::grpc::ServerContext*, const Req*, Resp*);
  using DeferredFn = void (InferenceService::*)(::grpc::ServerContext*, const Req*, Resp*,
                                                Completion*);
  struct Method {
    AsyncService* service;
    InferenceService* handlers;
    RequestFn request;
    HandleFn handle = nullptr;  // one of these two
    DeferredFn deferred = nullptr;
  };

  // Starts waiting for the next call of `method` on `queue` (no-op once the
  // queue is closed).
  static void Arm(const Method& method, Queue* queue) {
    std::lock_guard<std::mutex> lock(queue->mu);
    if (!queue->open) return;
    auto* call = new UnaryCall(method, queue);
    (method.service->*method.request)(&call->ctx_, &call->req_, &call->writer_, queue->cq.get(),
                                      queue->cq.get(), call);
  }

  void Proceed(bool ok) override {
    if (!ok || finishing_) {
      delete this;
      return;
    }
    Arm(method_, queue_);
    if (method_.deferred != nullptr) {
      // May finish on another thread, which may then see the completion and
      // delete this call: nothing here touches `this` afterwards.
      (method_.handlers->*method_.deferred)(&ctx_, &req_, &resp_, this);
    } else {
      Finish((method_.handlers->*method_.handle)(&ctx_, &req_, &resp_));
    }
  }

  void Finish(::grpc::Status status) override {
    finishing_ = true;
    if (status.ok()) {
      writer_.Finish(resp_, status, this);
    } else {
      writer_.FinishWithError(status, this);
    }
  }

  void KeepAlive(std::shared_ptr<const server::ModelCatalog> catalog) override {
    keep_alive_ = std::move(catalog);
  }

 private:
  UnaryCall(const Method& method, Queue* queue) : method_(method), queue_(queue) {}

  static google::protobuf::ArenaOptions InlineBlock(char* block, size_t size) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = size;
    return options;
  }

  Method method_;
  Queue* queue_;
  bool finishing_ = false;  // the next completion is Finish's
  std::shared_ptr<const server::ModelCatalog> keep_alive_;
  ::grpc::ServerContext ctx_;
  // The request and response, parsed and built in an arena whose first block
  // is part of this object: a one-row call's messages cost no malloc/free.
  alignas(8) char block_[2048];
  google::protobuf::Arena arena_{InlineBlock(block_, sizeof(block_))};
  Req& req_ = *google::protobuf::Arena::CreateMessage<Req>(&arena_);
  Resp& resp_ = *google::protobuf::Arena::CreateMessage<Resp>(&arena_);
  ::grpc::ServerAsyncResponseWriter<Resp> writer_{&ctx_};
};

}  // namespace ferry::grpc
