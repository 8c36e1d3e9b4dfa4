// The Beast-free framing of common requests against Beast's path: what it takes it frames
// identically, and every request it declines — each refusal of http_parse_test.cc among them —
// gets Beast's answer, byte for byte, from ParseHttpRequests.
#include "http/http_fast_parse.h"

#include <gtest/gtest.h>

#include <string>

#include "http/http_parse.h"
#include "http/http_parse_test_util.h"

namespace ferry::http {
namespace {

using internal::ParseCommonRequest;
using testing::SmallLimits;

void ExpectSame(const ParsedRequests& a, const ParsedRequests& b, const std::string& bytes) {
  EXPECT_EQ(a.error, b.error) << bytes;
  EXPECT_EQ(a.detail, b.detail) << bytes;
  EXPECT_EQ(a.consumed, b.consumed) << bytes;
  ASSERT_EQ(a.requests.size(), b.requests.size()) << bytes;
  for (size_t i = 0; i < a.requests.size(); ++i) {
    testing::ExpectSameFields(a.requests[i], b.requests[i], bytes);
  }
}

// Framed without Beast, as Beast frames it.
void ExpectFast(const std::string& bytes, size_t requests = 1) {
  HttpRequest req;
  EXPECT_NE(ParseCommonRequest(bytes, SmallLimits(), &req), 0u) << bytes;
  ParsedRequests fast = ParseHttpRequests(bytes, SmallLimits());
  EXPECT_EQ(fast.requests.size(), requests) << bytes;
  ExpectSame(fast, ParseHttpRequests(bytes, SmallLimits(), false), bytes);
}

// Declined; ParseHttpRequests answers exactly as Beast alone does.
void ExpectDeclined(const std::string& bytes) {
  HttpRequest req;
  EXPECT_EQ(ParseCommonRequest(bytes, SmallLimits(), &req), 0u) << bytes;
  EXPECT_TRUE(req.method.empty() && req.headers.empty()) << "declined but wrote: " << bytes;
  ExpectSame(ParseHttpRequests(bytes, SmallLimits()), ParseHttpRequests(bytes, SmallLimits(), false),
             bytes);
}

constexpr char kPost[] =
    "POST /v2/models/iris/infer HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
    "Accept-Encoding: identity\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n"
    "{\"a\"}";

TEST(ParseCommonRequest, FramesCommonRequestsAsBeastDoes) {
  ExpectFast(kPost);
  ExpectFast("GET /v2/health/ready?x=1&y HTTP/1.1\r\nHost: h\r\n\r\n");
  ExpectFast("GET http://host:80/v2?q HTTP/1.1\r\n\r\n");
  ExpectFast("DELETE /a HTTP/1.1\r\nX-Empty:\r\nX-Ows: \t v a\tl \t\r\nconnection: Close\r\n\r\n");
  ExpectFast("HEAD / HTTP/1.1\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  ExpectFast("PUT /p HTTP/1.1\r\nCONTENT-LENGTH: 2\r\n\r\nhi");
  ExpectFast("OPTIONS * HTTP/1.1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n");
  ExpectFast(std::string(kPost) + "PATCH /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", 2);
}

TEST(ParseCommonRequest, HandsEveryRefusalAndOddityToBeast) {
  // Request line: version, method, target.
  ExpectDeclined("GET / HTTP/1.0\r\n\r\n");
  ExpectDeclined("GET / HTTP/2.0\r\n\r\n");
  ExpectDeclined("get / HTTP/1.1\r\n\r\n");
  ExpectDeclined("FOO / HTTP/1.1\r\n\r\n");
  ExpectDeclined("CONNECT h:443 HTTP/1.1\r\n\r\n");
  ExpectDeclined("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n");
  ExpectDeclined("GET  / HTTP/1.1\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\n\r\n");
  ExpectDeclined("\r\nGET / HTTP/1.1\r\n\r\n");
  // Fields: folding, bare LF, bytes outside the plain grammar, names.
  ExpectDeclined("GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX-A: 1\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX-A: 1\r\n\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX-A: caf\xc3\xa9\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX-A: a\x01z\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX-A: a\x7fz\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX-A : 1\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\n: 1\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX(A): 1\r\n\r\n");
  // Framing fields.
  ExpectDeclined("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
  ExpectDeclined("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\nx");
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: 01\r\n\r\nx");
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx");
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\nx");
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\nx");
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\nx");
  ExpectDeclined("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nProxy-Connection: close\r\n\r\n");
  // Limits: body, field count, header bytes.
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n" + std::string(65, 'x'));
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 9; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  ExpectDeclined(many + "\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX-Big: " + std::string(1000, 'b') + "\r\n\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nX-Big: " + std::string(1100, 'b') + "\r\n\r\n");
  // Incomplete: header or body still to come.
  ExpectDeclined("GET / HTTP/1.1\r\nHost: h\r\n");
  ExpectDeclined("GET / HTTP/1.1\r\nHost: h\r\n\r");
  ExpectDeclined("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc");
  ExpectDeclined("");
}

// Framing into a request that still holds an earlier one (the connection reuses its buffers):
// the result is what a fresh request gets, nothing of the earlier one left.
TEST(ParseCommonRequest, ReusedRequestKeepsNothingOfTheEarlierOne) {
  const std::string first =
      "POST /v2/models/iris/infer?verbose=1 HTTP/1.1\r\nHost: h\r\nX-A: " +
      std::string(40, 'a') + "\r\nX-B: b\r\nX-C: c\r\nContent-Length: 5\r\n\r\nhello";
  const std::string second = "GET /x HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n";
  const std::string third = "PUT /y?z HTTP/1.1\r\nX-Long-Name-Here: v\r\nContent-Length: 2\r\n\r\nok";
  HttpRequest reused;
  for (const std::string* bytes : {&first, &second, &third, &first}) {
    HttpRequest fresh;
    ASSERT_NE(ParseCommonRequest(*bytes, SmallLimits(), &fresh), 0u) << *bytes;
    ASSERT_EQ(ParseCommonRequest(*bytes, SmallLimits(), &reused), bytes->size()) << *bytes;
    ParsedRequests a, b;
    a.requests.push_back(fresh);
    b.requests.push_back(reused);
    ExpectSame(a, b, *bytes);
  }
  // A declined request leaves the earlier one untouched.
  ASSERT_EQ(ParseCommonRequest("GET / HTTP/1.0\r\n\r\n", SmallLimits(), &reused), 0u);
  EXPECT_EQ(reused.body, "hello");
  EXPECT_EQ(reused.query, "verbose=1");
}

// `need`: the size of the whole request when only its body is short; 0 for anything else.
TEST(ParseCommonRequest, NeedIsTheWholeSizeOnlyWhenTheBodyIsShort) {
  const std::string head = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n";
  HttpRequest req;
  size_t need = 99;
  EXPECT_EQ(ParseCommonRequest(head + "abc", SmallLimits(), &req, nullptr, &need), 0u);
  EXPECT_EQ(need, head.size() + 10);
  EXPECT_TRUE(req.method.empty());  // untouched
  EXPECT_EQ(ParseCommonRequest(head, SmallLimits(), &req, nullptr, &need), 0u);
  EXPECT_EQ(need, head.size() + 10);
  // The header section not whole yet, the body over the limit (64 here: Beast answers 413), a
  // header section the fast path declines (Beast decides): 0.
  EXPECT_EQ(ParseCommonRequest(head.substr(0, head.size() - 1), SmallLimits(), &req, nullptr, &need),
            0u);
  EXPECT_EQ(need, 0u);
  need = 99;
  EXPECT_EQ(ParseCommonRequest("POST /p HTTP/1.1\r\nContent-Length: 65\r\n\r\nab", SmallLimits(),
                               &req, nullptr, &need),
            0u);
  EXPECT_EQ(need, 0u);
  need = 99;
  EXPECT_EQ(ParseCommonRequest("POST /p HTTP/1.1\r\nContent-Length: 5\r\nUpgrade: x\r\n\r\nab",
                               SmallLimits(), &req, nullptr, &need),
            0u);
  EXPECT_EQ(need, 0u);
  need = 99;
  EXPECT_EQ(ParseCommonRequest(head + "0123456789", SmallLimits(), &req, nullptr, &need),
            head.size() + 10);
  EXPECT_EQ(need, 0u);
  EXPECT_EQ(req.body, "0123456789");
}

}  // namespace
}  // namespace ferry::http
