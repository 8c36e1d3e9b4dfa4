// The read after an inline answer (plain_read.h): the connection queues it without a recv and
// waits for the socket's next epoll edge. These tests send what the client has next — another
// request, a FIN — while the handler is still answering on the I/O thread, so those bytes
// arrive between the recv that emptied the socket and the queued read: a read that missed
// their edge would never answer (the client's receive timeout ends the test with fewer
// answers or without the EOF).
#include <gtest/gtest.h>

#include <cerrno>

#include "http/http_server.h"
#include "http/http_server_test_util.h"

namespace ferry::http {
namespace {

// Answers inline, on the I/O thread; "/hold" first blocks that thread for 30 ms, long enough
// for the client's next bytes to arrive before the answer is written.
class InlineHandler : public HttpHandler {
 public:
  void Handle(HttpRequest& req, Responder responder) override {
    if (req.path == "/hold") std::this_thread::sleep_for(std::chrono::milliseconds(30));
    responder.Send(HttpResponse::Text(200, std::string(req.path)));
  }
};

class HttpServerReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions opts;
    opts.bind_address = "127.0.0.1";
    opts.port = 0;
    opts.io_threads = 1;  // every connection on one thread: a missed edge cannot hide
    auto s = HttpServer::Create(opts, &handler_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    server_->Start();
  }
  void Send(int fd, const std::string& raw) {
    ASSERT_EQ(::send(fd, raw.data(), raw.size(), 0), static_cast<ssize_t>(raw.size()));
  }
  InlineHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerReadTest, RequestSentWhileTheAnswerIsComputedIsAnswered) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 5; ++i) {
    Send(fd, "GET /hold HTTP/1.1\r\nHost: h\r\n\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the handler holds now
    Send(fd, "GET /next" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n");
    auto responses = ReadResponses(fd, 2);
    ASSERT_EQ(responses.size(), 2u) << "round " << i;
    EXPECT_NE(responses[0].find("/hold"), std::string::npos) << responses[0];
    EXPECT_NE(responses[1].find("/next" + std::to_string(i)), std::string::npos)
        << responses[1];
  }
  ::close(fd);
}

TEST_F(HttpServerReadTest, FinSentWhileTheAnswerIsComputedClosesTheConnection) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  Send(fd, "GET /hold HTTP/1.1\r\nHost: h\r\n\r\n");
  ::shutdown(fd, SHUT_WR);  // arrives while the handler holds
  auto responses = ReadResponses(fd, 1);
  ASSERT_EQ(responses.size(), 1u);
  char byte;
  errno = 0;
  // The server noticed the FIN and closed: EOF, not the 5 s receive timeout (-1, EAGAIN) that
  // the 65 s keep-alive idle timeout would leave.
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0) << "errno " << errno;
  ::close(fd);
}

// The FIN in the same epoll edge as the request: the client sends its request and shuts
// down its side while the I/O thread is blocked by another connection's handler, so one
// epoll event carries both. The recv takes the request (fewer bytes than asked, as when the
// socket is empty), the answer is inline, and the next read skips its recv: only the idle
// probe (kHalfCloseProbe) sees the FIN, and the connection must close well before the
// client's 5 s receive timeout (not after the 65 s keep-alive idle timeout).
TEST_F(HttpServerReadTest, FinInTheSameEdgeAsTheRequestClosesTheConnection) {
  int b = Connect(server_->port());
  ASSERT_GE(b, 0);
  Send(b, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(ReadResponses(b, 1).size(), 1u);  // b is idle now, its next read queued
  int a = Connect(server_->port());
  ASSERT_GE(a, 0);
  Send(a, "GET /hold HTTP/1.1\r\nHost: h\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a's handler holds the thread
  Send(b, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  ::shutdown(b, SHUT_WR);
  auto responses = ReadResponses(b, 1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_NE(responses[0].find("/b"), std::string::npos) << responses[0];
  auto start = std::chrono::steady_clock::now();
  char byte;
  errno = 0;
  EXPECT_EQ(::recv(b, &byte, 1, 0), 0) << "errno " << errno;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_EQ(ReadResponses(a, 1).size(), 1u);
  ::close(a);
  ::close(b);
}

// The probe only looks: a keep-alive connection idle past it still serves its next request.
TEST_F(HttpServerReadTest, IdleProbeKeepsALiveConnection) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 3; ++i) {
    Send(fd, "GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n");
    auto responses = ReadResponses(fd, 1);
    ASSERT_EQ(responses.size(), 1u) << "round " << i;
    EXPECT_NE(responses[0].find("/r" + std::to_string(i)), std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // past kHalfCloseProbe
  }
  ::close(fd);
}

// Many connections on the one I/O thread, each client sending its next request at once or
// after a short, varying pause, sometimes before it has read the previous answer: every
// interleaving of edges, reads and inline answers must answer every request.
TEST_F(HttpServerReadTest, ConcurrentKeepAliveClientsAreAllAnswered) {
  constexpr int kClients = 6;
  constexpr int kRounds = 150;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      int fd = Connect(server_->port());
      if (fd < 0) return;
      for (int i = 0; i < kRounds; ++i) {
        std::string a = "GET /a" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
        std::string b = "GET /b" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
        ::send(fd, a.data(), a.size(), 0);
        if ((i + c) % 3 == 0) {
          // The next request before reading the answer, after 0-99 µs.
          std::this_thread::sleep_for(std::chrono::microseconds((i * 37 + c * 11) % 100));
          ::send(fd, b.data(), b.size(), 0);
          if (ReadResponses(fd, 2).size() != 2) break;
          answered += 2;
        } else {
          if (ReadResponses(fd, 1).size() != 1) break;
          ++answered;
        }
      }
      ::close(fd);
    });
  }
  for (auto& t : clients) t.join();
  int want = 0;
  for (int c = 0; c < kClients; ++c) {
    for (int i = 0; i < kRounds; ++i) want += (i + c) % 3 == 0 ? 2 : 1;
  }
  EXPECT_EQ(answered.load(), want);
}

// A new connection's first read tries a recv at once; here it often finds the first request
// already there, and the second one arrives moments later, while that first recv's completion
// waits in the scheduler behind an epoll_wait that may take the second request's edge. The
// answer to the first must then not wait for another edge.
TEST_F(HttpServerReadTest, TwoQuickRequestsOnNewConnectionsAreBothAnswered) {
  int answered = 0;
  constexpr int kConnections = 300;
  for (int i = 0; i < kConnections; ++i) {
    int fd = Connect(server_->port());
    ASSERT_GE(fd, 0);
    timeval tv{1, 0};  // bounds a failure, not a timing assertion
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    Send(fd, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    Send(fd, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    answered += static_cast<int>(ReadResponses(fd, 2).size());
    ::close(fd);
  }
  EXPECT_EQ(answered, 2 * kConnections);
}

}  // namespace
}  // namespace ferry::http
