#include "server/http_parse.h"

#include "server/http_message.h"

#include <string>

#include <gtest/gtest.h>

namespace ferry::server {
namespace {

HttpServerOptions Small() {
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  o.max_body_bytes = 64;
  o.max_header_count = 10;
  return o;
}

TEST(HttpParseTest, PipelinedAbsoluteFormAndChunked) {
  std::string bytes =
      "POST http://a.b.svc.cluster.local/v2/models/a/infer?x=1 HTTP/1.1\r\nHost: a\r\n"
      "Content-Length: 2\r\n\r\n{}"
      "POST /v1/models/m:predict HTTP/1.1\r\nHOST: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n";
  auto p = ParseHttpRequests(bytes, Small());
  ASSERT_EQ(p.error, FrameError::kNone) << p.detail;
  ASSERT_EQ(p.requests.size(), 2u);
  EXPECT_EQ(p.consumed, bytes.size());
  EXPECT_EQ(p.requests[0].path, "/v2/models/a/infer");
  EXPECT_EQ(p.requests[0].query, "x=1");
  EXPECT_EQ(p.requests[0].body, "{}");
  EXPECT_EQ(p.requests[1].Header("host"), "h");
  EXPECT_EQ(p.requests[1].body, "abc");
}

TEST(HttpParseTest, IncompleteRequestIsNotConsumed) {
  auto p = ParseHttpRequests("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nabc", Small());
  EXPECT_EQ(p.error, FrameError::kNone);
  EXPECT_TRUE(p.requests.empty());
  EXPECT_EQ(p.consumed, 0u);
}

TEST(HttpParseTest, Limits) {
  EXPECT_EQ(ParseHttpRequests("GET / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", Small()).error,
            FrameError::kBodyTooLarge);
  EXPECT_EQ(ParseHttpRequests("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n",
                              Small())
                .error,
            FrameError::kHeaderTooLarge);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 11; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(ParseHttpRequests(many + "\r\n", Small()).error, FrameError::kHeaderTooLarge);
  EXPECT_EQ(ParseHttpRequests("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                              Small())
                .error,
            FrameError::kMalformed);
  EXPECT_EQ(ParseHttpRequests("NOT HTTP\r\n\r\n", Small()).error, FrameError::kMalformed);
}

TEST(HttpParseTest, VersionKeepAliveAndLowerCasedNames) {
  auto p = ParseHttpRequests(
      "GET /a HTTP/1.0\r\nX-Mixed-Case: V\r\n\r\n"
      "GET /b HTTP/1.1\r\nConnection: close\r\n\r\n"
      "GET /c HTTP/1.1\r\n\r\n",
      Small());
  ASSERT_EQ(p.requests.size(), 3u);
  EXPECT_FALSE(p.requests[0].keep_alive);
  EXPECT_EQ(p.requests[0].Header("x-mixed-case"), "V");
  EXPECT_FALSE(p.requests[1].keep_alive);
  EXPECT_TRUE(p.requests[2].keep_alive);
  EXPECT_EQ(p.requests[2].method, "GET");
}

TEST(ResponseHeadTest, FramingHeadersAreTheListeners) {
  HttpResponse r = HttpResponse::Json(200, "{}");
  r.headers.emplace_back("X-A", "1");
  r.headers.emplace_back("content-length", "999");
  r.headers.emplace_back("Connection", "upgrade");
  std::string out;
  internal::AppendResponseHead(r, 11, true, "Fri, 27 Nov 2026 14:00:00 GMT", &out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nServer: ferry\r\nDate: Fri, 27 Nov 2026 14:00:00 GMT\r\n"
            "Content-Type: application/json\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n");
  out.clear();
  internal::AppendResponseHead(r, 11, false, "d", &out);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  out.clear();
  internal::AppendResponseHead(r, 10, true, "d", &out);
  EXPECT_EQ(out.rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
  out.clear();
  HttpResponse nm{304, "", {}, ""};
  internal::AppendResponseHead(nm, 11, true, "d", &out);
  EXPECT_EQ(out, "HTTP/1.1 304 Not Modified\r\nServer: ferry\r\nDate: d\r\n\r\n");
  EXPECT_FALSE(internal::ResponseHasBody(204));
  EXPECT_TRUE(internal::ResponseHasBody(404));
}

}  // namespace
}  // namespace ferry::server
