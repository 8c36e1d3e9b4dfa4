// The connection frames each request into the HttpRequest the last one left behind (its
// buffers reused across keep-alive requests, http_connection.h): nothing of an earlier request
// — headers, body, query, method — may show in a later one, whichever parser (the fast one or
// Beast's) frames either, and whether the handler leaves the request in place or moves it out
// and back (as ModelRouter does). And a response sent with SendFrom comes back to its handler
// for reuse, every answer on the wire whole.
#include <gtest/gtest.h>

#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "http/http_server.h"
#include "http/http_server_test_util.h"

namespace ferry::http {
namespace {

// Answers inline with everything it saw of the request, one field per line.
class DescribingHandler : public HttpHandler {
 public:
  explicit DescribingHandler(bool move_out_and_back) : move_(move_out_and_back) {}
  void Handle(HttpRequest& req, Responder responder) override {
    std::string d = "method=" + req.method + "\ntarget=" + req.target +
                    "\npath=" + std::string(req.path) + "\nquery=" + std::string(req.query) +
                    "\nkeep_alive=" + (req.keep_alive ? "1" : "0") + "\n";
    for (const auto& [k, v] : req.headers) d += "header " + k + "=" + v + "\n";
    d += "body=" + req.body + "\n";
    if (move_) {
      HttpRequest taken = std::move(req);
      responder.Send(HttpResponse::Text(200, d));
      req = std::move(taken);
    } else {
      responder.Send(HttpResponse::Text(200, d));
    }
  }

 private:
  bool move_;
};

class HttpServerReuseTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    handler_ = std::make_unique<DescribingHandler>(GetParam());
    server_ = StartOneThreadServer(handler_.get());
    ASSERT_NE(server_, nullptr);
  }
  std::unique_ptr<DescribingHandler> handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_P(HttpServerReuseTest, NothingOfAnEarlierRequestShowsInTheNext) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  const std::string long_value(200, 'v');
  // 1: fast path, many long headers, a body and a query.
  auto r = ReadResponsesAfter(
      fd,
      "POST /v2/models/some-long-model-name/infer?debug=1&x=2 HTTP/1.1\r\nHost: h\r\n"
      "Content-Type: application/json\r\nX-First: " +
          long_value +
          "\r\nX-Second: two\r\nX-Third: three\r\nContent-Length: 21\r\n\r\n"
          "{\"inputs\": [1, 2, 3]}");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(BodyOf(r[0]),
            "method=POST\ntarget=/v2/models/some-long-model-name/infer?debug=1&x=2\n"
            "path=/v2/models/some-long-model-name/infer\nquery=debug=1&x=2\nkeep_alive=1\n"
            "header host=h\nheader content-type=application/json\nheader x-first=" +
                long_value +
                "\nheader x-second=two\nheader x-third=three\nheader content-length=21\n"
                "body={\"inputs\": [1, 2, 3]}\n");
  // 2: fast path, fewer and shorter headers, no body, no query.
  r = ReadResponsesAfter(fd, "GET /b HTTP/1.1\r\nHost: h2\r\n\r\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(BodyOf(r[0]),
            "method=GET\ntarget=/b\npath=/b\nquery=\nkeep_alive=1\n"
            "header host=h2\nbody=\n");
  // 3: fast path, a header and a body of its own.
  r = ReadResponsesAfter(
      fd, "PUT /c?q HTTP/1.1\r\nHost: h3\r\nX-Only-Three: 3\r\nContent-Length: 4\r\n\r\nbody");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(BodyOf(r[0]),
            "method=PUT\ntarget=/c?q\npath=/c\nquery=q\nkeep_alive=1\n"
            "header host=h3\nheader x-only-three=3\nheader content-length=4\n"
            "body=body\n");
  // 4 and 5 pipelined: a chunked body (Beast frames it) after the fast path, then a fast-path
  // request with no header but Host and no body after Beast's.
  const std::string pipelined =
      "POST /d HTTP/1.1\r\nHost: h4\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "DELETE /e HTTP/1.1\r\nHost: h5\r\n\r\n";
  ::send(fd, pipelined.data(), pipelined.size(), 0);
  r = ReadResponses(fd, 2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(BodyOf(r[0]),
            "method=POST\ntarget=/d\npath=/d\nquery=\nkeep_alive=1\n"
            "header host=h4\nheader transfer-encoding=chunked\nbody=abc\n");
  EXPECT_EQ(BodyOf(r[1]),
            "method=DELETE\ntarget=/e\npath=/e\nquery=\nkeep_alive=1\n"
            "header host=h5\nbody=\n");
  // 5: HTTP/1.0 (Beast) after the fast path: its own keep-alive reading, nothing else.
  r = ReadResponsesAfter(fd, "GET /f HTTP/1.0\r\nHost: h6\r\n\r\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(BodyOf(r[0]),
            "method=GET\ntarget=/f\npath=/f\nquery=\nkeep_alive=0\n"
            "header host=h6\nbody=\n");
  ::close(fd);
}

INSTANTIATE_TEST_SUITE_P(LeftInPlaceOrMovedOutAndBack, HttpServerReuseTest,
                         ::testing::Values(false, true));

// Answers every request from one HttpResponse with SendFrom: after each send the response is
// the handler's again, its body empty and, from the second answer on, holding the storage of
// the body the listener wrote before.
class ReusingHandler : public HttpHandler {
 public:
  void Handle(HttpRequest& req, Responder responder) override {
    r_.status = 200;
    r_.content_type.assign("text/plain");
    r_.headers.clear();
    r_.headers.emplace_back("X-Answer", std::to_string(++answers_));
    r_.body.assign("the answer to " + std::string(req.path) + " is long enough for the heap");
    responder.SendFrom(r_);
    after_.push_back({r_.body.empty(), r_.body.capacity()});
  }
  std::vector<std::pair<bool, size_t>> after_;  // (body empty, body capacity) after each send

 private:
  HttpResponse r_;
  int answers_ = 0;
};

TEST(HttpServerSendFromTest, ResponseComesBackEmptyWithTheLastBodysStorage) {
  ReusingHandler handler;
  auto s = StartOneThreadServer(&handler);
  ASSERT_NE(s, nullptr);
  int fd = Connect(s->port());
  ASSERT_GE(fd, 0);
  const std::string pipelined =
      "GET /one HTTP/1.1\r\nHost: h\r\n\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, pipelined.data(), pipelined.size(), 0);
  auto r = ReadResponses(fd, 2);
  auto third = ReadResponsesAfter(fd, "GET /three HTTP/1.1\r\nHost: h\r\n\r\n");
  r.insert(r.end(), third.begin(), third.end());
  ASSERT_EQ(r.size(), 3u);
  const char* paths[] = {"/one", "/two", "/three"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(BodyOf(r[i]),
              "the answer to " + std::string(paths[i]) + " is long enough for the heap");
    EXPECT_NE(r[i].find("X-Answer: " + std::to_string(i + 1) + "\r\n"), std::string::npos) << r[i];
    EXPECT_NE(r[i].find("Content-Type: text/plain\r\n"), std::string::npos) << r[i];
  }
  // A HEAD answer keeps no body on the wire; the next GET is whole.
  const std::string head_request = "HEAD /four HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, head_request.data(), head_request.size(), 0);
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    ASSERT_GT(n, 0);
    head.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(BodyOf(head), "");
  auto five = ReadResponsesAfter(fd, "GET /five HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(five.size(), 1u);
  EXPECT_EQ(BodyOf(five[0]), "the answer to /five is long enough for the heap");
  ::close(fd);
  s->Drain(std::chrono::milliseconds(0));
  ASSERT_GE(handler.after_.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(handler.after_[i].first) << i;
  EXPECT_GT(handler.after_[1].second, 15u);  // the first answer's storage came back
  EXPECT_GT(handler.after_[2].second, 15u);
}

// Answers /N with N bytes (a letter per answer) from one reused HttpResponse: a small body goes
// out in one buffer with the head, a larger one after it; either way the bytes on the wire are
// the head and then exactly that body, and the next answer shows nothing of the last.
class SizedHandler : public HttpHandler {
 public:
  void Handle(HttpRequest& req, Responder responder) override {
    r_.status = 200;
    r_.content_type.assign("text/plain");
    r_.headers.clear();
    r_.body.assign(std::stoul(std::string(req.path.substr(1))), static_cast<char>('a' + n_++ % 26));
    responder.SendFrom(r_);
  }

 private:
  HttpResponse r_;
  int n_ = 0;
};

TEST(HttpServerSendFromTest, BodiesOfEverySizeGoOutWhole) {
  SizedHandler handler;
  auto s = StartOneThreadServer(&handler);
  ASSERT_NE(s, nullptr);
  int fd = Connect(s->port());
  ASSERT_GE(fd, 0);
  const size_t sizes[] = {0, 1, 300, 4095, 4096, 4097, 5, 200000, 17, 4096, 0, 64};
  for (size_t i = 0; i < std::size(sizes); ++i) {
    auto r =
        ReadResponsesAfter(fd, "GET /" + std::to_string(sizes[i]) + " HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(r.size(), 1u) << sizes[i];
    EXPECT_EQ(BodyOf(r[0]), std::string(sizes[i], static_cast<char>('a' + i % 26))) << sizes[i];
    EXPECT_NE(r[0].find("Content-Length: " + std::to_string(sizes[i]) + "\r\n"), std::string::npos)
        << r[0].substr(0, 200);
  }
  ::close(fd);
}

}  // namespace
}  // namespace ferry::http
