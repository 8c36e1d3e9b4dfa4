#include "logger/http_pipeline.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "logger/event.h"

namespace ferry::logger {
namespace {

// A receiver on 127.0.0.1: per accepted connection, reads `requests` whole HTTP requests
// (Content-Length bodies), keeps their bytes, then writes `answer` (all the answers at once, as
// a pipelining server may) and closes.
class Receiver {
 public:
  Receiver() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Receiver() {
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/log"; }
  int port() const { return port_; }

  // Serves connections in turn: connection i reads plan[i].first requests, answers plan[i].second.
  void Serve(std::vector<std::pair<int, std::string>> plan) {
    thread_ = std::thread([this, plan] {
      for (const auto& [requests, answer] : plan) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string in;
        int seen = 0;
        size_t pos = 0;
        char buf[4096];
        while (seen < requests) {
          size_t end = in.find("\r\n\r\n", pos);
          if (end != std::string::npos) {
            size_t cl = in.find("Content-Length: ", pos);
            size_t body = cl < end ? std::stoul(in.substr(cl + 16)) : 0;
            if (in.size() >= end + 4 + body) {
              pos = end + 4 + body;
              ++seen;
              continue;
            }
          }
          ssize_t n = recv(c, buf, sizeof(buf), 0);
          if (n <= 0) break;
          in.append(buf, static_cast<size_t>(n));
        }
        received_.push_back(in);
        send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
        close(c);
      }
    });
  }
  // What each connection carried (valid after Join).
  const std::vector<std::string>& received() const { return received_; }
  void Join() { thread_.join(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::vector<std::string> received_;
};

std::vector<Event> Events(const std::string& url, int n) {
  LoggerSpec spec;
  spec.url = url;
  EventSource src{"iris", "team", "predictor", "default", "pod"};
  auto target = MakeEventTarget(spec, src);
  std::vector<Event> out;
  for (int i = 0; i < n; ++i) {
    CallInfo call = ReadCall(spec, {{"content-type", "application/json"}}, "id-" +
                             std::to_string(i));
    out.push_back(BuildEvent(target, call, i % 2 == 1, "{\"n\":" + std::to_string(i) + "}"));
  }
  return out;
}

std::vector<const Event*> Pointers(const std::vector<Event>& events) {
  std::vector<const Event*> out;
  for (const Event& e : events) out.push_back(&e);
  return out;
}

TEST(PipelineClientTest, OneWriteManyAnswersOfEveryShape) {
  Receiver r;
  std::string answers =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"
      "HTTP/1.1 400 Bad Request\r\nCONTENT-LENGTH: 3\r\n\r\nbad";
  r.Serve({{6, answers}});
  HttpTarget t;
  ASSERT_TRUE(ParseHttpTarget(r.url(), &t));
  std::vector<Event> events = Events(r.url(), 6);
  PipelineClient client(std::chrono::seconds(10));
  std::vector<SendOutcome> out = client.Send(t, Pointers(events));
  r.Join();
  ASSERT_EQ(out.size(), 6u);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(out[i].ok) << i << " " << out[i].detail;
  EXPECT_FALSE(out[4].ok);
  EXPECT_TRUE(out[4].retryable);
  EXPECT_EQ(out[4].detail, "HTTP 503");
  EXPECT_FALSE(out[5].ok);
  EXPECT_FALSE(out[5].retryable);
  // The wire: every event a whole request with the shared and its own headers, in order.
  ASSERT_EQ(r.received().size(), 1u);
  const std::string& wire = r.received()[0];
  std::string host = "Host: 127.0.0.1:" + std::to_string(r.port()) + "\r\n";
  size_t at = 0;
  for (int i = 0; i < 6; ++i) {
    size_t start = wire.find("POST /log HTTP/1.1\r\n", at);
    ASSERT_EQ(start, at) << i;
    size_t end = wire.find("\r\n\r\n", start);
    std::string head = wire.substr(start, end + 4 - start);
    std::string body = "{\"n\":" + std::to_string(i) + "}";
    for (const std::string& line :
         {host, std::string("Content-Length: ") + std::to_string(body.size()) + "\r\n",
          std::string("\r\nCe-Id: id-") + std::to_string(i) + "\r\n",
          std::string("Ce-Type: org.kubeflow.serving.inference.") +
              (i % 2 ? "response" : "request") + "\r\n",
          std::string("Ce-Specversion: 1.0\r\n"), std::string("Ce-Inferenceservicename: iris\r\n"),
          std::string("Content-Type: application/json\r\n")}) {
      EXPECT_NE(head.find(line), std::string::npos) << i << ": " << line;
    }
    EXPECT_EQ(wire.substr(end + 4, body.size()), body);
    at = end + 4 + body.size();
  }
  EXPECT_EQ(at, wire.size());
}

TEST(PipelineClientTest, ConnectionClosedMidBatchIsReopenedForTheRest) {
  Receiver r;
  // The first connection answers one request and closes; the second takes the other two.
  r.Serve({{3, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
           {2, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
               "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"}});
  HttpTarget t;
  ASSERT_TRUE(ParseHttpTarget(r.url(), &t));
  std::vector<Event> events = Events(r.url(), 3);
  PipelineClient client(std::chrono::seconds(10));
  std::vector<SendOutcome> out = client.Send(t, Pointers(events));
  r.Join();
  ASSERT_EQ(out.size(), 3u);
  for (const SendOutcome& o : out) EXPECT_TRUE(o.ok) << o.detail;
  ASSERT_EQ(r.received().size(), 2u);
  EXPECT_NE(r.received()[1].find("Ce-Id: id-1\r\n"), std::string::npos);
  EXPECT_NE(r.received()[1].find("Ce-Id: id-2\r\n"), std::string::npos);
  EXPECT_EQ(r.received()[1].find("Ce-Id: id-0\r\n"), std::string::npos);
}

TEST(PipelineClientTest, ManyAnswersArriveInPiecesAndAreAllMatched) {
  // 40 answers due: the sender lets them gather between reads; each still matches its event.
  Receiver r;
  std::string answers;
  for (int i = 0; i < 40; ++i) {
    answers += i == 17 ? "HTTP/1.1 500 Oops\r\nContent-Length: 1\r\n\r\nx"
                       : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";
  }
  r.Serve({{40, answers}});
  HttpTarget t;
  ASSERT_TRUE(ParseHttpTarget(r.url(), &t));
  std::vector<Event> events = Events(r.url(), 40);
  PipelineClient client(std::chrono::seconds(10));
  std::vector<SendOutcome> out = client.Send(t, Pointers(events));
  r.Join();
  ASSERT_EQ(out.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(out[i].ok, i != 17) << i;
    EXPECT_EQ(out[i].retryable, i == 17) << i;
  }
}

TEST(PipelineClientTest, ReceiverDownIsRetryable) {
  std::string url;
  {
    Receiver gone;  // a port that was just listening and is closed now
    url = gone.url();
  }
  HttpTarget t;
  ASSERT_TRUE(ParseHttpTarget(url, &t));
  std::vector<Event> events = Events(url, 2);
  PipelineClient client(std::chrono::seconds(10));
  std::vector<SendOutcome> out = client.Send(t, Pointers(events));
  ASSERT_EQ(out.size(), 2u);
  for (const SendOutcome& o : out) {
    EXPECT_FALSE(o.ok);
    EXPECT_TRUE(o.retryable);
    EXPECT_NE(o.detail.find("connect"), std::string::npos) << o.detail;
  }
}

}  // namespace
}  // namespace ferry::logger
