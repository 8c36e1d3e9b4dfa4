#include "grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "grpc_predict_v2.grpc.pb.h"
#include "serving/executor.h"

namespace ferry::grpc {
namespace {

using protocol::DataType;
using serving::ModelEntry;

// Predicts the first column as INT64, after `delay_ms`.
class FakeModel : public runtime::Model {
 public:
  explicit FakeModel(std::atomic<int>* delay_ms) : delay_ms_(delay_ms) {
    info_.framework = "fake";
    info_.n_features = 2;
    info_.output_datatype = DataType::kInt64;
    info_.methods = {runtime::PredictMethod::kPredict};
  }
  const runtime::ModelInfo& info() const override { return info_; }
  StatusOr<protocol::Tensor> Predict(const protocol::Frame& x,
                                     runtime::PredictMethod) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_->load()));
    protocol::Tensor t;
    t.datatype = DataType::kInt64;
    t.shape = {static_cast<int64_t>(x.rows)};
    t.raw.resize(x.rows * sizeof(int64_t));
    for (size_t r = 0; r < x.rows; ++r)
      t.mutable_data<int64_t>()[r] = static_cast<int64_t>(x.at(r, 0));
    return t;
  }

 private:
  runtime::ModelInfo info_;
  std::atomic<int>* delay_ms_;
};

std::shared_ptr<const ModelEntry> Entry(const std::string& name, ModelEntry::State state,
                                        std::atomic<int>* delay_ms) {
  auto e = std::make_shared<ModelEntry>();
  e->name = name;
  e->state = state;
  if (state == ModelEntry::State::kReady) {
    auto served = std::make_shared<runtime::ServedModel>();
    served->name = name;
    served->model = std::make_unique<FakeModel>(delay_ms);
    served->metadata.name = name;
    served->metadata.platform = "fake";
    served->metadata.inputs = {{"input-0", DataType::kFp64, {-1, 2}, ""}};
    served->metadata.outputs = {{"output-0", DataType::kInt64, {-1}, ""}};
    e->served = std::move(served);
    e->executor = std::make_shared<serving::Executor>(2, 16);
  }
  return e;
}

inference::ModelInferRequest TwoRows(const std::string& model, bool raw) {
  inference::ModelInferRequest req;
  req.set_model_name(model);
  auto* in = req.add_inputs();
  in->set_name("input-0");
  in->set_datatype("FP64");
  in->add_shape(2);
  in->add_shape(2);
  double v[] = {6, 1, 5, 2};
  if (raw) {
    req.add_raw_input_contents(std::string(reinterpret_cast<const char*>(v), sizeof(v)));
  } else {
    for (double d : v) in->mutable_contents()->add_fp64_contents(d);
  }
  return req;
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void Start(int threads = 0) {
    auto catalog = std::make_shared<serving::ModelCatalog>();
    catalog->models = {Entry("m", ModelEntry::State::kReady, &delay_ms_),
                       Entry("loading", ModelEntry::State::kLoading, &delay_ms_)};
    catalog_ = catalog;
    GrpcServerOptions opts;
    opts.bind_address = "127.0.0.1";
    opts.port = 0;
    opts.server_version = "1.2.3";
    opts.threads = threads;
    opts.access_log = access_log_;
    auto s = GrpcServer::Start(opts, [this] { return catalog_; });
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
    stub_ = inference::GRPCInferenceService::NewStub(::grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), ::grpc::InsecureChannelCredentials()));
  }

  std::atomic<int> delay_ms_{0};
  CallLogFn access_log_;
  std::shared_ptr<const serving::ModelCatalog> catalog_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
};

// What the access log gets, copied out of the callback's views.
struct LoggedCall {
  std::string peer_ip, path, request_id, traceparent;
  int grpc_code, http_status;
  size_t response_bytes;
  double seconds;
};

TEST_F(GrpcServerTest, EveryAnsweredCallReachesTheAccessLog) {
  std::mutex mu;
  std::vector<LoggedCall> logged;
  access_log_ = [&](const CallLogRecord& r) {
    std::lock_guard<std::mutex> lock(mu);
    logged.push_back({std::string(r.peer_ip), std::string(r.path), std::string(r.request_id),
                      std::string(r.traceparent), r.grpc_code, r.http_status, r.response_bytes,
                      r.seconds});
  };
  Start();
  inference::ModelInferResponse ok_res;
  {
    ::grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", "grpc-log-1");
    ctx.AddMetadata("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    ASSERT_TRUE(stub_->ModelInfer(&ctx, TwoRows("m", false), &ok_res).ok());
  }
  delay_ms_ = 30;  // slow enough for the executor: the call is answered from another thread
  {
    ::grpc::ClientContext ctx;
    inference::ModelInferResponse res;
    ASSERT_TRUE(stub_->ModelInfer(&ctx, TwoRows("m", true), &res).ok());
  }
  {
    ::grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", "grpc-log-3");
    inference::ModelInferResponse res;
    ::grpc::Status st = stub_->ModelInfer(&ctx, TwoRows("nope", false), &res);
    ASSERT_EQ(st.error_code(), ::grpc::StatusCode::NOT_FOUND);
  }
  {
    ::grpc::ClientContext ctx;
    inference::ModelReadyRequest req;
    req.set_name("loading");
    inference::ModelReadyResponse res;
    ASSERT_TRUE(stub_->ModelReady(&ctx, req, &res).ok());
  }
  // Each call was logged before its reply started: nothing to wait for.
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(logged.size(), 4u);
  EXPECT_EQ(logged[0].path, "/inference.GRPCInferenceService/ModelInfer");
  EXPECT_EQ(logged[0].peer_ip, "127.0.0.1");
  EXPECT_EQ(logged[0].grpc_code, 0);
  EXPECT_EQ(logged[0].http_status, 200);
  EXPECT_EQ(logged[0].response_bytes, ok_res.ByteSizeLong());
  EXPECT_EQ(logged[0].request_id, "grpc-log-1");
  EXPECT_EQ(logged[0].traceparent.substr(0, 36), "00-0af7651916cd43dd8448eb211c80319c-");
  EXPECT_EQ(logged[0].traceparent.size(), 55u);
  EXPECT_GE(logged[1].seconds, 0.030);  // arrival to reply, the predict's sleep included
  EXPECT_EQ(logged[1].http_status, 200);
  EXPECT_EQ(logged[1].request_id.size(), 36u);  // generated
  EXPECT_EQ(logged[2].grpc_code, static_cast<int>(::grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(logged[2].http_status, 404);  // as the REST route answers NotFound
  EXPECT_EQ(logged[2].request_id, "grpc-log-3");
  EXPECT_GT(logged[2].response_bytes, 0u);  // the error's message
  EXPECT_EQ(logged[3].path, "/inference.GRPCInferenceService/ModelReady");
}

TEST_F(GrpcServerTest, AnswersTheInferenceRpcs) {
  Start();
  {
    ::grpc::ClientContext ctx;
    inference::ServerLiveResponse res;
    ASSERT_TRUE(stub_->ServerLive(&ctx, {}, &res).ok());
    EXPECT_TRUE(res.live());
  }
  {
    ::grpc::ClientContext ctx;
    inference::ServerReadyResponse res;
    ASSERT_TRUE(stub_->ServerReady(&ctx, {}, &res).ok());
    EXPECT_FALSE(res.ready());  // "loading" is not ready
  }
  {
    ::grpc::ClientContext ctx;
    inference::ModelReadyRequest req;
    req.set_name("m");
    inference::ModelReadyResponse res;
    ASSERT_TRUE(stub_->ModelReady(&ctx, req, &res).ok());
    EXPECT_TRUE(res.ready());
  }
  {
    ::grpc::ClientContext ctx;
    inference::ServerMetadataResponse res;
    ASSERT_TRUE(stub_->ServerMetadata(&ctx, {}, &res).ok());
    EXPECT_EQ(res.name(), "ferry");
    EXPECT_EQ(res.version(), "1.2.3");
    // No repository given: the extension is neither advertised nor served.
    EXPECT_EQ(res.extensions_size(), 0);
  }
  {
    ::grpc::ClientContext ctx;
    inference::RepositoryIndexResponse res;
    ::grpc::Status st = stub_->RepositoryIndex(&ctx, {}, &res);
    EXPECT_EQ(st.error_code(), ::grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_NE(st.error_message().find("model_repository_extension"), std::string::npos);
  }
  {
    ::grpc::ClientContext ctx;
    inference::RepositoryModelUnloadRequest req;
    req.set_model_name("m");
    inference::RepositoryModelUnloadResponse res;
    EXPECT_EQ(stub_->RepositoryModelUnload(&ctx, req, &res).error_code(),
              ::grpc::StatusCode::UNIMPLEMENTED);
  }
  {
    ::grpc::ClientContext ctx;
    inference::ModelMetadataRequest req;
    req.set_name("m");
    inference::ModelMetadataResponse res;
    ASSERT_TRUE(stub_->ModelMetadata(&ctx, req, &res).ok());
    ASSERT_EQ(res.inputs_size(), 1);
    EXPECT_EQ(res.inputs(0).name(), "input-0");
    EXPECT_EQ(res.inputs(0).shape_size(), 2);
  }
  {
    ::grpc::ClientContext ctx;
    inference::ModelInferResponse res;
    ::grpc::Status st = stub_->ModelInfer(&ctx, TwoRows("m", false), &res);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(res.model_name(), "m");
    EXPECT_EQ(res.id().size(), 36u);
    ASSERT_EQ(res.outputs_size(), 1);
    EXPECT_EQ(res.outputs(0).datatype(), "INT64");
    ASSERT_EQ(res.outputs(0).contents().int64_contents_size(), 2);
    EXPECT_EQ(res.outputs(0).contents().int64_contents(0), 6);
    EXPECT_EQ(res.outputs(0).contents().int64_contents(1), 5);
  }
}

TEST_F(GrpcServerTest, RawInputGetsRawOutput) {
  Start();
  ::grpc::ClientContext ctx;
  inference::ModelInferResponse res;
  ASSERT_TRUE(stub_->ModelInfer(&ctx, TwoRows("m", true), &res).ok());
  ASSERT_EQ(res.raw_output_contents_size(), 1);
  ASSERT_EQ(res.raw_output_contents(0).size(), 2 * sizeof(int64_t));
  int64_t out[2];
  std::memcpy(out, res.raw_output_contents(0).data(), sizeof(out));
  EXPECT_EQ(out[0], 6);
  EXPECT_EQ(out[1], 5);
  EXPECT_FALSE(res.outputs(0).has_contents());
}

TEST_F(GrpcServerTest, ErrorsAreStatusCodes) {
  Start();
  auto infer = [&](const inference::ModelInferRequest& req) {
    ::grpc::ClientContext ctx;
    inference::ModelInferResponse res;
    return stub_->ModelInfer(&ctx, req, &res);
  };
  ::grpc::Status st = infer(TwoRows("nope", false));
  EXPECT_EQ(st.error_code(), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(st.error_message().find("m, loading"), std::string::npos) << st.error_message();
  EXPECT_EQ(infer(TwoRows("loading", false)).error_code(), ::grpc::StatusCode::UNAVAILABLE);
  auto bad = TwoRows("m", false);
  bad.mutable_inputs(0)->mutable_contents()->add_fp64_contents(7);
  st = infer(bad);
  EXPECT_EQ(st.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("input-0"), std::string::npos) << st.error_message();
}

// A slow model's predicts go to its executor: one completion-queue thread
// still answers a health check while two of them run.
TEST_F(GrpcServerTest, SlowPredictsDoNotBlockOtherCalls) {
  Start(/*threads=*/1);
  delay_ms_ = 400;
  {  // the first predict runs inline and teaches the server the model is slow
    ::grpc::ClientContext ctx;
    inference::ModelInferResponse res;
    ASSERT_TRUE(stub_->ModelInfer(&ctx, TwoRows("m", false), &res).ok());
  }
  std::vector<std::thread> slow;
  std::atomic<int> ok{0};
  for (int i = 0; i < 2; ++i) {
    slow.emplace_back([&] {
      ::grpc::ClientContext ctx;
      inference::ModelInferResponse res;
      if (stub_->ModelInfer(&ctx, TwoRows("m", false), &res).ok()) ++ok;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto t0 = std::chrono::steady_clock::now();
  ::grpc::ClientContext ctx;
  inference::ServerLiveResponse res;
  ASSERT_TRUE(stub_->ServerLive(&ctx, {}, &res).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
  for (auto& t : slow) t.join();
  EXPECT_EQ(ok.load(), 2);
}

TEST_F(GrpcServerTest, ShutdownWithCallsInFlight) {
  Start();
  delay_ms_ = 300;
  {
    ::grpc::ClientContext ctx;
    inference::ModelInferResponse res;
    ASSERT_TRUE(stub_->ModelInfer(&ctx, TwoRows("m", false), &res).ok());
  }
  std::thread call([&] {
    ::grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    inference::ModelInferResponse res;
    stub_->ModelInfer(&ctx, TwoRows("m", false), &res);  // OK or cancelled: it must end
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // The predict on the model's executor still has ~200 ms to run: Shutdown
  // waits for its reply (to the cancelled call) before closing the queues.
  auto t0 = std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::milliseconds(0));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
  call.join();
  server_.reset();
  // Nothing of the server is touched after it is gone (the executor lives on
  // with the catalog): a late reply here used to abort in gRPC's core.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
}

TEST(GrpcServer, PortInUseNamesTheFix) {
  GrpcServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  auto first =
      GrpcServer::Start(opts, [] { return std::shared_ptr<const serving::ModelCatalog>(); });
  ASSERT_TRUE(first.ok());
  opts.port = (*first)->port();
  auto second =
      GrpcServer::Start(opts, [] { return std::shared_ptr<const serving::ModelCatalog>(); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("--grpc_port"), std::string::npos);
}

// The resolver sees the call (path, authority, metadata); its denial is the
// call's status, with its trailers.
TEST(GrpcServer, ResolverDenialCarriesTrailers) {
  // Written on the server's thread, read here after the reply: the reply
  // travels through the socket, which ThreadSanitizer does not see as a
  // hand-off, so the mutex makes it explicit.
  std::mutex mu;
  std::string seen_path, seen_authority, seen_token;
  CallResolver resolver = [&](const CallInfo& call, ResolveSink* sink) {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen_path = std::string(call.path);
      seen_authority = std::string(call.authority);
      for (const auto& [k, v] : call.metadata) {
        if (k == "authorization") seen_token = std::string(v);
      }
    }
    CallTarget t;
    t.status = PermissionDeniedError("RBAC: access denied");
    t.trailers = {{"www-authenticate", "Bearer realm=\"x\""}};
    sink->Resolved(std::move(t));
  };
  GrpcServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  auto server = GrpcServer::Start(opts, resolver);
  ASSERT_TRUE(server.ok());
  ::grpc::ChannelArguments args;
  args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, "iris.ns.example.com");
  auto stub = inference::GRPCInferenceService::NewStub(
      ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                  ::grpc::InsecureChannelCredentials(), args));
  ::grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer t0k");
  inference::ModelInferResponse res;
  ::grpc::Status st = stub->ModelInfer(&ctx, TwoRows("m", false), &res);
  EXPECT_EQ(st.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(), "RBAC: access denied");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen_path, "/inference.GRPCInferenceService/ModelInfer");
  EXPECT_EQ(seen_authority, "iris.ns.example.com");
  EXPECT_EQ(seen_token, "Bearer t0k");
  auto trailers = ctx.GetServerTrailingMetadata();
  auto it = trailers.find("www-authenticate");
  ASSERT_NE(it, trailers.end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), "Bearer realm=\"x\"");
}

// A resolver may park a call and answer it later from another thread (the
// gateway waiting on an ext-authz server): the server's one thread keeps
// answering other calls meanwhile, and the parked call completes through
// Post() on that thread.
TEST(GrpcServer, ParkedResolutionHoldsNoThread) {
  std::atomic<int> delay{0};
  auto catalog = std::make_shared<serving::ModelCatalog>();
  catalog->models = {Entry("m", ModelEntry::State::kReady, &delay)};
  std::shared_ptr<const serving::ModelCatalog> shared = catalog;
  std::mutex mu;
  std::condition_variable parked_cv;
  ResolveSink* parked = nullptr;
  CallResolver resolver = [&](const CallInfo& call, ResolveSink* sink) {
    if (call.authority.substr(0, 4) == "slow") {
      std::lock_guard<std::mutex> lock(mu);
      parked = sink;
      parked_cv.notify_all();
      return;  // answered later
    }
    sink->Resolved(CallTarget{shared, {}, {}});
  };
  GrpcServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.threads = 1;
  auto server = GrpcServer::Start(opts, resolver);
  ASSERT_TRUE(server.ok());
  auto stub_for = [&](const std::string& authority) {
    ::grpc::ChannelArguments args;
    args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, authority);
    return inference::GRPCInferenceService::NewStub(
        ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                    ::grpc::InsecureChannelCredentials(), args));
  };
  auto slow = stub_for("slow.ns.example.com");
  auto fast = stub_for("fast.ns.example.com");
  ::grpc::ClientContext slow_ctx;
  inference::ModelInferResponse slow_res;
  ::grpc::Status slow_status;
  std::thread slow_call(
      [&] { slow_status = slow->ModelInfer(&slow_ctx, TwoRows("m", false), &slow_res); });
  {
    std::unique_lock<std::mutex> lock(mu);
    parked_cv.wait(lock, [&] { return parked != nullptr; });
  }
  for (int i = 0; i < 3; ++i) {  // the only thread is free while one call is parked
    ::grpc::ClientContext ctx;
    inference::ModelInferResponse res;
    ASSERT_TRUE(fast->ModelInfer(&ctx, TwoRows("m", false), &res).ok());
    EXPECT_EQ(res.outputs(0).contents().int64_contents(0), 6);
  }
  std::thread resumer([&] {
    ResolveSink* sink = parked;
    sink->Post([sink, shared] { sink->Resolved(CallTarget{shared, {}, {}}); });
  });
  resumer.join();
  slow_call.join();
  ASSERT_TRUE(slow_status.ok()) << slow_status.error_message();
  EXPECT_EQ(slow_res.outputs(0).contents().int64_contents(1), 5);
}

}  // namespace
}  // namespace ferry::grpc
