// UnaryCall: one unary RPC on gRPC's asynchronous (completion-queue) server
// API, answered inline by an InferenceService handler on the thread that
// polls the queue. GrpcServer (grpc_server.cc) runs one such thread per
// queue; there is no hand-off between an I/O thread and a handler pool, which
// is what a one-row predict of a few microseconds cannot afford.
//
// Life of a call object: Arm() asks gRPC for the next call of its method
// (the object is the tag). The first completion (ok) arms a fresh object for
// the next call and asks the resolver where the call goes (routing,
// policies); the resolver answers through Resolved() — at once, or later
// after parking the call (it then comes back through Post(), a gRPC alarm on
// the call's queue) — and the handler runs and calls Finish (ModelInfer may
// do so later, from the model's executor); the second completion deletes the
// object, as does a completion with ok=false (server shutting down). Objects
// re-arm only while their Queue is open (Queue::mu), so nothing is queued on
// a completion queue after its Shutdown(). A call counts as pending on its
// Queue until its Finish has started the reply: GrpcServer::Shutdown waits
// for those before it shuts the queue down (gRPC aborts on an operation
// started on a queue that is shut down). Internal to ferry_grpc.
#pragma once

#include <google/protobuf/arena.h>
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
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

// One server completion queue, whether it still takes new requests, and the
// calls (parked resolutions, executor predicts) that have yet to start their
// reply.
struct Queue {
  std::unique_ptr<::grpc::ServerCompletionQueue> cq;
  std::mutex mu;
  std::condition_variable settled;  // signalled when `deferred` drops to 0
  bool open = true;                 // guarded by mu; false once Shutdown() began
  int deferred = 0;                 // guarded by mu
  std::atomic<uint64_t> handoff{0};  // released by PostedTask::Post, acquired by the poller
};

// Runs a function on a queue's polling thread: an alarm that is due at once.
class PostedTask final : public CallTag {
 public:
  static void Post(Queue* queue, std::function<void()> fn) {
    auto* task = new PostedTask(std::move(fn));
    queue->handoff.fetch_add(1, std::memory_order_release);
    task->alarm_.Set(queue->cq.get(), gpr_now(GPR_CLOCK_MONOTONIC), task);
  }
  void Proceed(bool) override {
    std::function<void()> fn = std::move(fn_);
    delete this;
    fn();
  }

 private:
  explicit PostedTask(std::function<void()> fn) : fn_(std::move(fn)) {}
  std::function<void()> fn_;
  ::grpc::Alarm alarm_;
};

template <typename Req, typename Resp>
class UnaryCall final : public CallTag, public Completion, public ResolveSink {
 public:
  using RequestFn = void (AsyncService::*)(::grpc::ServerContext*, Req*,
                                           ::grpc::ServerAsyncResponseWriter<Resp>*,
                                           ::grpc::CompletionQueue*, ::grpc::ServerCompletionQueue*,
                                           void*);
  // A handler answers with its return value, or (deferred) through Finish().
  using HandleFn = ::grpc::Status (InferenceService::*)(::grpc::ServerContext*, const Req*, Resp*,
                                                        const CallTarget&);
  using DeferredFn = void (InferenceService::*)(::grpc::ServerContext*, const Req*, Resp*,
                                                Completion*, CallTarget);
  struct Method {
    AsyncService* service;
    InferenceService* handlers;
    const char* name;  // the RPC, e.g. "ModelInfer"
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
    // Loaded even when !ok: a cancelled call's Finish completes with ok=false
    // and the acquire is what orders the handler's writes before the delete.
    bool finishing = finishing_.load(std::memory_order_acquire);
    if (!ok || finishing) {
      delete this;
      return;
    }
    if (method_.handlers->logs_calls()) arrived_ = std::chrono::steady_clock::now();
    Arm(method_, queue_);
    {
      std::lock_guard<std::mutex> lock(queue_->mu);
      ++queue_->deferred;
    }
    // May resolve and finish on another thread, which may then see the
    // completion and delete this call: nothing here touches `this` afterwards.
    context_ = InferenceService::ContextOf(&ctx_);
    method_.handlers->Resolve(&ctx_, method_.name, context_, this);
  }

  void Resolved(CallTarget target) override {
    ::grpc::Status admitted = method_.handlers->Admit(&ctx_, &target);
    if (!admitted.ok()) return Finish(std::move(admitted));
    if (method_.deferred != nullptr) {
      (method_.handlers->*method_.deferred)(&ctx_, &req_, &resp_, this, std::move(target));
    } else {
      Finish((method_.handlers->*method_.handle)(&ctx_, &req_, &resp_, target));
    }
  }

  void Post(std::function<void()> fn) override { PostedTask::Post(queue_, std::move(fn)); }

  void Finish(::grpc::Status status) override {
    // Logged before the reply starts: afterwards `this` may be gone.
    if (method_.handlers->logs_calls()) {
      method_.handlers->LogCall(&ctx_, method_.name, status,
                                status.ok() ? resp_.ByteSizeLong() : 0, arrived_, context_);
    }
    // Read before the hand-off below: nothing of `this` is read after the release store
    // except inside gRPC's own Finish.
    Queue* queue = queue_;
    // Finish may run on a model's executor thread and the completion on the
    // queue's: the release/acquire pair hands the call over explicitly (gRPC's
    // own hand-off happens inside its core, where ThreadSanitizer cannot see it).
    finishing_.store(true, std::memory_order_release);
    // Once the reply is started, the completion may delete `this` at once.
    if (status.ok()) {
      writer_.Finish(resp_, status, this);
    } else {
      writer_.FinishWithError(status, this);
    }
    std::lock_guard<std::mutex> lock(queue->mu);
    if (--queue->deferred == 0) queue->settled.notify_all();
  }

  void KeepAlive(std::shared_ptr<const serving::ModelCatalog> catalog) override {
    keep_alive_ = std::move(catalog);
  }
  const serving::RequestContext& context() const override { return context_; }

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
  std::atomic<bool> finishing_{false};  // the next completion is Finish's
  std::chrono::steady_clock::time_point arrived_;  // for the access log
  std::shared_ptr<const serving::ModelCatalog> keep_alive_;
  serving::RequestContext context_;
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
