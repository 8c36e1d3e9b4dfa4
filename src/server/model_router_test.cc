// Where ModelRouter runs a predict (serving/executor.h states the rule): once a model's predicts
// are measured slow, the next one goes to the model's executor, and the I/O thread it came in on
// keeps answering other connections meanwhile. The test holds that predict until another
// connection on the same (only) I/O thread has been answered: run inline, it would block that
// thread, the other answer would never come (the client's receive timeout ends the wait) and the
// test fails.
#include "server/model_router.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/http_server.h"
#include "http/http_server_test_util.h"
#include "serving/model_catalog.h"

namespace ferry::server {
namespace {

// Predict 1 takes 2 ms (the moving average, 0 before, is then far above the 250 µs inline
// threshold); predict 2 waits until Release().
class HeldModel : public runtime::Model {
 public:
  HeldModel() {
    info_.framework = "held";
    info_.methods = {runtime::PredictMethod::kPredict};
  }
  const runtime::ModelInfo& info() const override { return info_; }
  StatusOr<protocol::Tensor> Predict(const protocol::Frame& x,
                                     runtime::PredictMethod) const override {
    int call;
    {
      std::unique_lock<std::mutex> lock(mu_);
      call = ++calls_;
      cv_.notify_all();
      if (call == 2) cv_.wait(lock, [&] { return released_; });
    }
    if (call == 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    protocol::Tensor t;
    t.datatype = protocol::DataType::kInt64;
    t.shape = {static_cast<int64_t>(x.rows)};
    t.raw.assign(x.rows * sizeof(int64_t), 0);
    return t;
  }
  // Waits (bounded) until `n` predicts have started.
  bool WaitForCalls(int n) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_ >= n; });
  }
  void Release() const {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  runtime::ModelInfo info_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable int calls_ = 0;
  mutable bool released_ = false;
};

TEST(ModelRouterDispatch, SlowModelRunsOnTheExecutorAndTheIoThreadAnswersOthers) {
  serving::Metrics metrics;
  AccessLog access_log(0);
  ModelRouter router(ModelRouterOptions{}, &metrics, &access_log);
  auto model = std::make_unique<HeldModel>();
  const HeldModel* held = model.get();
  auto served = std::make_shared<runtime::ServedModel>();
  served->name = "held";
  served->model = std::move(model);
  auto entry = std::make_shared<serving::ModelEntry>();
  entry->name = "held";
  entry->state = serving::ModelEntry::State::kReady;
  entry->served = std::move(served);
  entry->counters = metrics.Register("held");
  entry->executor = std::make_shared<serving::Executor>(1, 16);
  auto catalog = std::make_shared<serving::ModelCatalog>();
  catalog->models.push_back(entry);
  router.SetCatalog(catalog);

  http::HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.io_threads = 1;  // both connections on the one I/O thread
  auto server = http::HttpServer::Create(opts, &router);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  (*server)->Start();
  struct ReleaseAtExit {
    const HeldModel* m;
    ~ReleaseAtExit() { m->Release(); }
  } release_at_exit{held};

  const std::string predict =
      "POST /v1/models/held:predict HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
      "Content-Length: 25\r\n\r\n{\"instances\": [[1.0, 2]]}";
  int slow = http::Connect((*server)->port());
  int other = http::Connect((*server)->port());
  ASSERT_GE(slow, 0);
  ASSERT_GE(other, 0);
  // Predict 1 (inline: no average yet) answers and makes the model's average slow.
  auto first = http::ReadResponsesAfter(slow, predict);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_NE(first[0].find("200 OK"), std::string::npos) << first[0];
  EXPECT_GT(entry->ewma_predict_us.load(), serving::kInlineThresholdUs);

  // Predict 2 starts and is held; the other connection is answered meanwhile.
  ASSERT_EQ(::send(slow, predict.data(), predict.size(), 0), static_cast<ssize_t>(predict.size()));
  ASSERT_TRUE(held->WaitForCalls(2));
  auto health = http::ReadResponsesAfter(other, "GET /v2/health/live HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(health.size(), 1u) << "the I/O thread was blocked by the held predict";
  EXPECT_NE(health[0].find("200 OK"), std::string::npos) << health[0];

  held->Release();
  auto second = http::ReadResponses(slow, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].find("200 OK"), std::string::npos) << second[0];
  ::close(slow);
  ::close(other);
}

// Holds what the router answered (inline, on the caller's thread here). SendFrom leaves the
// response as the listener does (it takes only the body).
class CapturingSink : public http::ResponseSink {
 public:
  void Send(http::HttpResponse r) override { answers.push_back(std::move(r)); }
  void SendFrom(http::HttpResponse& r) override {
    answers.push_back(r);
    r.body.clear();
  }
  void StartStream(http::HttpResponse head) override { Send(std::move(head)); }
  bool WriteChunk(std::string) override { return true; }
  void EndStream() override {}
  std::vector<http::HttpResponse> answers;
};

http::HttpRequest Request(std::string method, std::string target, std::string body) {
  http::HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  http::SplitTarget(req.target, &req.path, &req.query);
  req.headers = {{"host", "h"}, {"content-type", "application/json; charset=utf-8"}};
  req.body = std::move(body);
  return req;
}

// Handle only borrows the listener's request: an answer given inside it leaves the request,
// buffers and all, where the listener had it (it frames the connection's next request into
// them); a request that waits (here: parked with the activator while its model loads) takes its
// body and a copy of the rest, and is answered from them whatever the listener frames next.
TEST(ModelRouterHandle, TheRequestIsOnlyBorrowedUnlessAnsweredLater) {
  serving::Metrics metrics;
  AccessLog access_log(0);
  ModelRouter router(ModelRouterOptions{}, &metrics, &access_log);
  auto entry = std::make_shared<serving::ModelEntry>();
  entry->name = "lazy";
  entry->state = serving::ModelEntry::State::kLoading;
  entry->counters = metrics.Register("lazy");
  auto catalog = std::make_shared<serving::ModelCatalog>();
  catalog->models.push_back(entry);
  router.SetCatalog(catalog);
  ModelRouter::Resume parked;
  router.SetActivator([&](const serving::ModelEntry&, ModelRouter::Resume resume) {
    parked = std::move(resume);
    return true;
  });
  auto sink = std::make_shared<CapturingSink>();

  http::HttpRequest req = Request("GET", "/v2/health/live?x=1", std::string(200, 'b'));
  const char* body = req.body.data();
  router.Handle(req, http::Responder(sink));
  ASSERT_EQ(sink->answers.size(), 1u);
  EXPECT_EQ(sink->answers[0].status, 200);
  EXPECT_EQ(req.body.data(), body);  // the same buffer, not a copy
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/v2/health/live?x=1");
  EXPECT_EQ(req.path, "/v2/health/live");
  EXPECT_EQ(req.query, "x=1");
  EXPECT_EQ(req.headers.size(), 2u);

  req = Request("POST", "/v2/models/lazy/infer", std::string(200, 'i'));
  router.Handle(req, http::Responder(sink));
  ASSERT_TRUE(parked) << "the request was not parked";
  EXPECT_EQ(sink->answers.size(), 1u);
  EXPECT_TRUE(req.body.empty());
  parked(nullptr, "gave up");
  ASSERT_EQ(sink->answers.size(), 2u);
  EXPECT_EQ(sink->answers[1].status, 503);

  // Parked again; the listener frames another request into its own meanwhile.
  parked = nullptr;
  req = Request("POST", "/v2/models/lazy/infer", std::string(200, 'i'));
  router.Handle(req, http::Responder(sink));
  ASSERT_TRUE(parked);
  req = Request("GET", "/v2/health/live", "");
  auto failed = std::make_shared<serving::ModelEntry>();
  failed->name = "lazy";
  failed->counters = entry->counters;
  failed->state = serving::ModelEntry::State::kFailed;
  failed->failure = "boom";
  auto resumed = std::make_shared<serving::ModelCatalog>();
  resumed->models.push_back(failed);
  parked(resumed, "");
  ASSERT_EQ(sink->answers.size(), 3u);
  EXPECT_EQ(sink->answers[2].status, 503);  // routed as /v2/models/lazy/infer, not the new one
  EXPECT_NE(sink->answers[2].body.find("boom"), std::string::npos) << sink->answers[2].body;
}

// Every answer carries the request's x-request-id, also when the call and its id storage are
// reused from one request to the next.
TEST(ModelRouterHandle, EveryAnswerCarriesItsRequestId) {
  serving::Metrics metrics;
  AccessLog access_log(0);
  ModelRouter router(ModelRouterOptions{}, &metrics, &access_log);
  router.SetCatalog(std::make_shared<serving::ModelCatalog>());
  auto sink = std::make_shared<CapturingSink>();
  std::set<std::string> generated;
  for (int i = 0; i < 6; ++i) {
    http::HttpRequest req = Request("GET", "/v2/health/live", "");
    if (i % 2 == 1) req.headers.emplace_back("x-request-id", "client-id-" + std::to_string(i));
    router.Handle(req, http::Responder(sink));
    ASSERT_EQ(sink->answers.size(), static_cast<size_t>(i + 1));
    const auto& headers = sink->answers.back().headers;
    ASSERT_EQ(headers.size(), 1u);
    EXPECT_EQ(headers[0].first, "x-request-id");
    if (i % 2 == 1) {
      EXPECT_EQ(headers[0].second, "client-id-" + std::to_string(i));
    } else {
      EXPECT_EQ(headers[0].second.size(), 36u) << headers[0].second;
      generated.insert(headers[0].second);
    }
  }
  EXPECT_EQ(generated.size(), 3u);
}

}  // namespace
}  // namespace ferry::server
