#include "server/http_parse.h"

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

}  // namespace
}  // namespace ferry::server
