#include "http/http_server.h"

#include <gtest/gtest.h>

#include "http/http_server_test_util.h"

namespace ferry::http {
namespace {

TEST_F(HttpServerTest, ManyPipelinedRequestsInOneWriteAnswerInOrder) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string raw;
  const int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    if (i % 3 == 0) {
      raw += "POST /p" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok";
    } else if (i % 3 == 1) {
      raw += "POST /p" + std::to_string(i) +
             " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nc\r\n0\r\n\r\n";
    } else {
      raw += "GET /p" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    }
  }
  ASSERT_EQ(::send(fd, raw.data(), raw.size(), 0), static_cast<ssize_t>(raw.size()));
  auto responses = ReadResponses(fd, kRequests);
  ASSERT_EQ(responses.size(), static_cast<size_t>(kRequests));
  for (int i = 0; i < kRequests; ++i) {
    std::string want = " /p" + std::to_string(i) + " q= body=" +
                       (i % 3 == 0 ? "ok" : (i % 3 == 1 ? "c" : ""));
    EXPECT_NE(responses[i].find(want), std::string::npos) << i << ": " << responses[i];
    EXPECT_EQ(responses[i].find("Connection: close"), std::string::npos);
  }
  ::close(fd);
}

TEST_F(HttpServerTest, RequestSplitAcrossWritesAndPipelinedTail) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  // One request in three pieces, the last piece also carrying the start of
  // the next request, which completes later.
  const std::string parts[] = {"POST /a HTTP/1.1\r\nHo", "st: h\r\nContent-Length: 5\r\n\r\nab",
                               "cdeGET /b HTTP/1.1\r\n", "Host: h\r\n\r\n"};
  for (const auto& p : parts) {
    ASSERT_EQ(::send(fd, p.data(), p.size(), 0), static_cast<ssize_t>(p.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  auto responses = ReadResponses(fd, 2);
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_NE(responses[0].find("POST /a q= body=abcde"), std::string::npos) << responses[0];
  EXPECT_NE(responses[1].find("GET /b q= body="), std::string::npos) << responses[1];
  ::close(fd);
}

// python's http.client writes the header section and the body with two sends: the whole header
// section waits for its body on the fast path (ParseCommonRequest's `need`), on every request of
// the connection, and a body in several pieces is put together.
TEST_F(HttpServerTest, BodySentAfterItsHeaderSectionIsAnswered) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 3; ++i) {
    const std::string parts[] = {"POST /split HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
                                 "ab", "cd" + std::to_string(i)};
    for (const auto& p : parts) {
      ASSERT_EQ(::send(fd, p.data(), p.size(), 0), static_cast<ssize_t>(p.size()));
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
    auto responses = ReadResponses(fd, 1);
    ASSERT_EQ(responses.size(), 1u) << "round " << i;
    EXPECT_NE(responses[0].find("POST /split q= body=abcd" + std::to_string(i)),
              std::string::npos)
        << responses[0];
  }
  ::close(fd);
}

// The client leaves after part of a body the fast path was waiting for: refused as Beast's read
// refuses a partial message, not closed without an answer.
TEST_F(HttpServerTest, EofInsideABodyWaitedForIs400) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  const std::string part = "POST /cut HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab";
  ASSERT_EQ(::send(fd, part.data(), part.size(), 0), static_cast<ssize_t>(part.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::shutdown(fd, SHUT_WR);
  std::string answer = ReadToEof(fd);
  EXPECT_NE(answer.find("HTTP/1.1 400"), std::string::npos) << answer;
  EXPECT_NE(answer.find("partial message"), std::string::npos) << answer;
  ::close(fd);
}

TEST_F(HttpServerTest, SlowAnswerThenPipelinedAndKeepAlive) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string raw = "GET /slow HTTP/1.1\r\nHost: h\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  auto responses = ReadResponses(fd, 2);
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_NE(responses[0].find("slow"), std::string::npos);
  EXPECT_NE(responses[1].find("GET /after"), std::string::npos);
  raw = "GET /again HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  responses = ReadResponses(fd, 1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_NE(responses[0].find("GET /again"), std::string::npos);
  ::close(fd);
}

// Its own server: the fixture's 300 ms request timeout also bounds a write
// that must wait for the client, and a sanitizer build's client reads 8 MB
// slower than that.
TEST(HttpServerLargeTest, LargeResponseThenNextRequest) {
  EchoHandler handler;
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.io_threads = 2;
  opts.request_timeout = std::chrono::seconds(20);
  auto server = HttpServer::Create(opts, &handler);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  (*server)->Start();
  int fd = Connect((*server)->port());
  ASSERT_GE(fd, 0);
  std::string raw = "GET /big HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  auto responses = ReadResponses(fd, 2);
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_NE(responses[0].find("Content-Length: 8388611\r\n"), std::string::npos);
  EXPECT_EQ(responses[0].substr(responses[0].size() - 4), "bend");
  EXPECT_NE(responses[1].find("GET /next"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, HeadAndHttp10Framing) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string raw = "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  std::string out;
  char buf[4096];
  while (out.find("GET /g") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, n);
  }
  // HEAD: the GET's Content-Length, no body; the next response follows at once.
  size_t second = out.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << out;
  std::string head = out.substr(0, second);
  EXPECT_NE(head.find("Content-Length: 16\r\n\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  ::close(fd);

  fd = Connect(server_->port());
  raw = "GET /old HTTP/1.0\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  out.clear();
  for (;;) {  // HTTP/1.0 without keep-alive: the server closes after answering
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, n);
  }
  EXPECT_EQ(out.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("GET /old q= body="), std::string::npos);
  ::close(fd);

  fd = Connect(server_->port());
  raw = "GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  auto responses = (::send(fd, raw.data(), raw.size(), 0), ReadResponses(fd, 1));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_NE(responses[0].find("Connection: keep-alive\r\n"), std::string::npos) << responses[0];
  raw = "GET /ka2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  responses = (::send(fd, raw.data(), raw.size(), 0), ReadResponses(fd, 1));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_NE(responses[0].find("GET /ka2"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, SlowBodyAfterKeepAliveRequestGets408) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  // A served request first, so the deadline of the next one comes from the
  // re-armed (lazy) timer rather than a fresh connection's.
  std::string first = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, first.data(), first.size(), 0);
  auto responses = ReadResponses(fd, 1);
  ASSERT_EQ(responses.size(), 1u);
  std::string partial = "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc";
  ::send(fd, partial.data(), partial.size(), 0);
  auto t0 = std::chrono::steady_clock::now();
  responses = ReadResponses(fd, 1);
  auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_NE(responses[0].find("408"), std::string::npos) << responses[0];
  EXPECT_GE(waited, std::chrono::milliseconds(200));
  EXPECT_LT(waited, std::chrono::milliseconds(3000));
  ::close(fd);
}

TEST_F(HttpServerTest, AnswersAndKeepsAlive) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string r = Exchange(fd, "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_NE(r.find("200 OK"), std::string::npos);
  EXPECT_NE(r.find("GET /a q=x=1 body="), std::string::npos);
  r = Exchange(fd, "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_NE(r.find("POST /b q= body=abc"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, PipelinedRequestsAnswerInOrder) {
  int fd = Connect(server_->port());
  std::string r = Exchange(fd,
                           "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"
                           "GET /fast HTTP/1.1\r\nHost: h\r\n\r\n",
                           2);
  size_t slow = r.find("slow"), fast = r.find("GET /fast");
  ASSERT_NE(slow, std::string::npos);
  ASSERT_NE(fast, std::string::npos);
  EXPECT_LT(slow, fast);
  ::close(fd);
}

TEST_F(HttpServerTest, StreamsChunks) {
  int fd = Connect(server_->port());
  std::string raw = "GET /stream HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, n);
  }
  EXPECT_NE(out.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(out.find("{\"event\": 0}"), std::string::npos);
  EXPECT_NE(out.find("{\"event\": 2}"), std::string::npos);
  EXPECT_NE(out.find("\r\n0\r\n\r\n"), std::string::npos);
  ::close(fd);
}

TEST(HttpServerTlsTest, ServesHttps) {
  std::string dir = ::testing::TempDir() + "/ferry-tls";
  std::string cmd = "mkdir -p " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout " +
                    dir + "/key.pem -out " + dir +
                    "/cert.pem -days 1 -subj /CN=127.0.0.1 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EchoHandler handler;
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.io_threads = 1;
  opts.tls_cert_file = dir + "/cert.pem";
  opts.tls_key_file = dir + "/key.pem";
  auto s = HttpServer::Create(opts, &handler);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  (*s)->Start();
  std::string curl = "curl -sk --http1.1 https://127.0.0.1:" + std::to_string((*s)->port()) +
                     "/tls?x=2 > " + dir + "/out.txt";
  ASSERT_EQ(std::system(curl.c_str()), 0);
  std::ifstream in(dir + "/out.txt");
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(body, "GET /tls q=x=2 body=");
  HttpServerOptions bad = opts;
  bad.tls_key_file = dir + "/missing.pem";
  EXPECT_FALSE(HttpServer::Create(bad, &handler).ok());
}

TEST_F(HttpServerTest, DrainFinishesInFlightRequest) {
  int fd = Connect(server_->port());
  std::string raw = "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  server_->Drain(std::chrono::milliseconds(2000));
  char buf[1024];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  ASSERT_GT(n, 0);
  std::string r(buf, n);
  EXPECT_NE(r.find("200 OK"), std::string::npos);
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  ::close(fd);
  EXPECT_LT(Connect(server_->port()), 0);  // no longer accepting
}

// A handler that answers later, like the gateway parking a request on an
// ext-authz call: it keeps the Responder and watches for the client leaving.
class ParkingHandler : public HttpHandler {
 public:
  void Handle(HttpRequest& req, Responder responder) override {
    std::lock_guard<std::mutex> lock(mu);
    std::ostringstream id;
    id << std::this_thread::get_id();
    parked.push_back({std::string(req.path), id.str(), responder});
    responder.WatchClientGone([this, path = std::string(req.path)] {
      std::lock_guard<std::mutex> lock(mu);
      gone.push_back(path);
      cv.notify_all();
    });
    cv.notify_all();
  }
  struct Parked {
    std::string path, thread;
    Responder responder;
  };
  template <typename Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), pred);
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Parked> parked;
  std::vector<std::string> gone;
};

class HttpServerParkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions opts;
    opts.bind_address = "127.0.0.1";
    opts.port = 0;
    opts.io_threads = 1;
    auto s = HttpServer::Create(opts, &handler_);
    ASSERT_TRUE(s.ok());
    server_ = std::move(s).value();
    server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Drain(std::chrono::milliseconds(0));
    std::lock_guard<std::mutex> lock(handler_.mu);
    handler_.parked.clear();
  }
  ParkingHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerParkTest, ClientGoneWhileParkedIsNoticedAndTheLateAnswerIsDropped) {
  int fd = Connect(server_->port());
  std::string raw = "GET /parked HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  ASSERT_TRUE(handler_.WaitFor([&] { return handler_.parked.size() == 1; }));
  EXPECT_EQ(server_->in_flight(), 1);
  ::close(fd);
  ASSERT_TRUE(handler_.WaitFor([&] { return handler_.gone.size() == 1; }));
  EXPECT_EQ(handler_.gone[0], "/parked");
  handler_.parked[0].responder.Send(HttpResponse::Text(200, "too late"));
  for (int i = 0; i < 1000 && server_->in_flight() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server_->in_flight(), 0);
  // The listener still serves.
  int again = Connect(server_->port());
  ::send(again, raw.data(), raw.size(), 0);
  ASSERT_TRUE(handler_.WaitFor([&] { return handler_.parked.size() == 2; }));
  handler_.parked[1].responder.Send(HttpResponse::Text(200, "ok"));
  auto got = ReadResponses(again, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("ok"), std::string::npos);
  ::close(again);
}

TEST_F(HttpServerParkTest, PostRunsOnTheConnectionsThreadAndPipelinedRequestsWait) {
  int fd = Connect(server_->port());
  std::string raw = "GET /first HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  ASSERT_TRUE(handler_.WaitFor([&] { return handler_.parked.size() == 1; }));
  // A pipelined request while the first is parked: the client is still there.
  std::string second = "GET /second HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, second.data(), second.size(), 0);
  std::string posted_on;
  std::mutex mu;
  Responder first = handler_.parked[0].responder;
  std::thread resumer([&] {
    first.Post([&, first] {
      std::ostringstream id;
      id << std::this_thread::get_id();
      {
        std::lock_guard<std::mutex> lock(mu);
        posted_on = id.str();
      }
      first.Send(HttpResponse::Text(200, "first"));
    });
  });
  resumer.join();
  ASSERT_TRUE(handler_.WaitFor([&] { return handler_.parked.size() == 2; }));
  handler_.parked[1].responder.Send(HttpResponse::Text(200, "second"));
  auto got = ReadResponses(fd, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0].find("first"), std::string::npos);
  EXPECT_NE(got[1].find("second"), std::string::npos);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(posted_on, handler_.parked[0].thread);
  }
  std::lock_guard<std::mutex> lock(handler_.mu);
  EXPECT_TRUE(handler_.gone.empty());
  ::close(fd);
}

// A handler's thread may keep a Responder past the server's destruction (a listener replaced
// while a slow predict finishes): using and releasing it then is safe and the answer is
// dropped. Under `make sanitize` this is a heap-use-after-free if the connection's io_context
// or the server's counts die with the HttpServer.
TEST_F(HttpServerParkTest, ResponderOutlivesTheServer) {
  int fd = Connect(server_->port());
  std::string raw = "GET /held HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  ASSERT_TRUE(handler_.WaitFor([&] { return handler_.parked.size() == 1; }));
  Responder held = handler_.parked[0].responder;
  handler_.parked.clear();
  server_.reset();
  std::thread late([held = std::move(held)]() mutable {
    held.StartStream(HttpResponse::Json(200, ""));
    held.WriteChunk("{}");
    held.EndStream();
    held.Send(HttpResponse::Text(200, "too late"));
    held.Post([] { ADD_FAILURE() << "ran after the server was destroyed"; });
    held.WatchClientGone([] {});
    Responder last = std::move(held);  // the connection's last reference goes here
  });
  late.join();
  // The client sees the connection closed with no answer.
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  EXPECT_EQ(n, 0) << std::string(buf, n > 0 ? n : 0);
  ::close(fd);
}

}  // namespace
}  // namespace ferry::http

namespace ferry::http {
namespace {
TEST(HttpRequestTest, ViewsSurviveMoveAndCopy) {
  HttpRequest a;
  a.target = "/metrics?x=1";  // short: lives in the SSO buffer
  SplitTarget(a.target, &a.path, &a.query);
  HttpRequest b(std::move(a));
  EXPECT_EQ(b.path, "/metrics");
  EXPECT_EQ(b.query, "x=1");
  HttpRequest c = b;
  b.target.assign(100, 'z');
  EXPECT_EQ(c.path, "/metrics");
  EXPECT_EQ(c.query, "x=1");
}
}  // namespace
}  // namespace ferry::http
