#include "grpc/grpc_server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <thread>

#include "grpc/grpc_module.h"
#include "grpc/inference_service.h"
#include "grpc/unary_call.h"

namespace ferry::grpc {

namespace {

struct Impl {
  std::unique_ptr<InferenceService> handlers;
  AsyncService service;
  std::vector<std::unique_ptr<Queue>> queues;
  std::unique_ptr<::grpc::Server> server;
  std::vector<std::thread> threads;
  int port = 0;
  bool stopped = false;
};

// Calls of one method waiting to be matched per queue: a burst of new calls
// finds a waiting object instead of gRPC's pending-call list.
constexpr int kInferCallsArmed = 16;

template <typename Req, typename Resp>
void ArmMethod(Impl* impl, Queue* queue, const char* name,
               typename UnaryCall<Req, Resp>::RequestFn request,
               typename UnaryCall<Req, Resp>::HandleFn handle) {
  typename UnaryCall<Req, Resp>::Method method{&impl->service, impl->handlers.get(), name, request,
                                               handle};
  UnaryCall<Req, Resp>::Arm(method, queue);
}

void ArmAll(Impl* impl, Queue* q) {
  using namespace inference;  // NOLINT(build/namespaces): the message pairs
  using S = AsyncService;
  using H = InferenceService;
  ArmMethod<ServerLiveRequest, ServerLiveResponse>(impl, q, "ServerLive", &S::RequestServerLive,
                                                   &H::ServerLive);
  ArmMethod<ServerReadyRequest, ServerReadyResponse>(impl, q, "ServerReady", &S::RequestServerReady,
                                                     &H::ServerReady);
  ArmMethod<ModelReadyRequest, ModelReadyResponse>(impl, q, "ModelReady", &S::RequestModelReady,
                                                   &H::ModelReady);
  ArmMethod<ServerMetadataRequest, ServerMetadataResponse>(
      impl, q, "ServerMetadata", &S::RequestServerMetadata, &H::ServerMetadata);
  ArmMethod<ModelMetadataRequest, ModelMetadataResponse>(
      impl, q, "ModelMetadata", &S::RequestModelMetadata, &H::ModelMetadata);
  UnaryCall<ModelInferRequest, ModelInferResponse>::Method infer{
      &impl->service, impl->handlers.get(), "ModelInfer", &S::RequestModelInfer,
      nullptr,        &H::ModelInfer};
  for (int i = 0; i < kInferCallsArmed; ++i) {
    UnaryCall<ModelInferRequest, ModelInferResponse>::Arm(infer, q);
  }
  ArmMethod<RepositoryIndexRequest, RepositoryIndexResponse>(
      impl, q, "RepositoryIndex", &S::RequestRepositoryIndex, &H::RepositoryIndex);
  UnaryCall<RepositoryModelLoadRequest, RepositoryModelLoadResponse>::Arm(
      {&impl->service, impl->handlers.get(), "RepositoryModelLoad", &S::RequestRepositoryModelLoad,
       nullptr, &H::RepositoryModelLoad},
      q);
  UnaryCall<RepositoryModelUnloadRequest, RepositoryModelUnloadResponse>::Arm(
      {&impl->service, impl->handlers.get(), "RepositoryModelUnload",
       &S::RequestRepositoryModelUnload, nullptr, &H::RepositoryModelUnload},
      q);
}

// One thread's loop: every tag is a CallTag; Next() is false once the queue
// is shut down and drained. The acquire pairs with PostedTask::Post's release:
// a task built on another thread is handed over inside gRPC's core, where
// ThreadSanitizer cannot see it.
void Poll(Queue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->cq->Next(&tag, &ok)) {
    queue->handoff.load(std::memory_order_acquire);
    static_cast<CallTag*>(tag)->Proceed(ok);
  }
}

int ThreadCount(const GrpcServerOptions& options) {
  if (options.threads > 0) return options.threads;
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(cores, 2);
}

class Server final : public GrpcServer {
 public:
  explicit Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
  ~Server() override { Shutdown(std::chrono::milliseconds(0)); }
  int port() const override { return impl_->port; }
  void Shutdown(std::chrono::milliseconds grace) override;

 private:
  std::unique_ptr<Impl> impl_;
};

StatusOr<std::unique_ptr<GrpcServer>> StartService(const GrpcServerOptions& options,
                                                   std::unique_ptr<InferenceService> service);

}  // namespace

StatusOr<std::unique_ptr<GrpcServer>> StartServing(const GrpcServerOptions& options,
                                                   CatalogFn catalog) {
  auto service = std::make_unique<InferenceService>(
      [catalog = std::move(catalog)](const CallInfo&, ResolveSink* sink) {
        sink->Resolved(CallTarget{catalog(), {}, {}});
      },
      /*needs_call_info=*/false, options.server_version, options.repository);
  return StartService(options, std::move(service));
}

StatusOr<std::unique_ptr<GrpcServer>> StartServing(const GrpcServerOptions& options,
                                                   CallResolver resolver) {
  return StartService(options, std::make_unique<InferenceService>(std::move(resolver),
                                                                  /*needs_call_info=*/true,
                                                                  options.server_version,
                                                                  options.repository));
}

namespace {

StatusOr<std::unique_ptr<GrpcServer>> StartService(const GrpcServerOptions& options,
                                                   std::unique_ptr<InferenceService> service) {
  // abseil's debug-build deadlock detector walks a lock graph on every gRPC
  // mutex operation; gRPC's own mutexes are not ours to debug in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto impl = std::make_unique<Impl>();
  impl->handlers = std::move(service);
  impl->handlers->set_access_log(options.access_log);
  impl->handlers->set_error_log(options.error_log);
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
  builder.RegisterService(&impl->service);
  int threads = ThreadCount(options);
  for (int i = 0; i < threads; ++i) {
    impl->queues.push_back(std::make_unique<Queue>());
    impl->queues.back()->cq = builder.AddCompletionQueue();
  }
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    if (impl->server != nullptr) impl->server->Shutdown();
    for (auto& q : impl->queues) {
      q->cq->Shutdown();
      Poll(q.get());
    }
    return UnavailableError("cannot listen for gRPC on " + address +
                            " (port in use or address not local); " + options.port_hint);
  }
  impl->handlers->set_local_port(impl->port);
  for (auto& q : impl->queues) {
    ArmAll(impl.get(), q.get());
    impl->threads.emplace_back(Poll, q.get());
  }
  return std::unique_ptr<GrpcServer>(new Server(std::move(impl)));
}

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  // Calls still running after `grace` are cancelled; armed requests complete
  // with ok=false and are deleted by the polling threads.
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
  // A predict still running on a model's executor, or a resolution still
  // parked, replies through its queue (to a cancelled call, ok=false): the
  // queue stays up until it has. Each such predict is bounded by its model's
  // timeout; parked resolutions are ended by their owner's shutdown.
  for (auto& q : impl_->queues) {
    std::unique_lock<std::mutex> lock(q->mu);
    q->settled.wait(lock, [&] { return q->deferred == 0; });
    q->open = false;
    q->cq->Shutdown();
  }
  for (auto& t : impl_->threads) t.join();
}

}  // namespace
}  // namespace ferry::grpc
