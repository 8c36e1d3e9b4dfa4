#include "http/http_parse.h"

#include "http/http_message.h"

#include <string>

#include <gtest/gtest.h>

namespace ferry::http {
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

// A request Ferry must refuse, followed by a second request hidden where a
// lenient parser would find it: the refusal must come before any request is
// parsed, so the hidden one never is.
constexpr char kHidden[] = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";

ParsedRequests WithHidden(const std::string& head, const std::string& body = "") {
  return ParseHttpRequests(head + body + kHidden, Small());
}

void ExpectRefused(const std::string& head, FrameError want, const std::string& body = "") {
  auto p = WithHidden(head, body);
  EXPECT_EQ(p.error, want) << head << " -> " << p.detail;
  EXPECT_TRUE(p.requests.empty()) << head;
}

TEST(HttpFramingTest, TransferEncodingWhoseLastCodingIsNotChunkedIs400) {
  for (const char* te : {"xchunked", "chunked, identity", "gzip", "identity", "chunked;x=1",
                         "chunked x", "", "chunkedx", "\"chunked\""}) {
    ExpectRefused(
        std::string("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ") + te + "\r\n\r\n",
        FrameError::kMalformed);
  }
  // Spread over two fields, the list is the same.
  ExpectRefused("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
                FrameError::kMalformed);
  auto p = WithHidden("POST /a HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n");
  EXPECT_NE(p.detail.find("does not end with chunked"), std::string::npos) << p.detail;
}

TEST(HttpFramingTest, ChunkedAppliedTwiceIs400) {
  ExpectRefused("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                FrameError::kMalformed, "0\r\n\r\n");
  ExpectRefused(
      "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      FrameError::kMalformed, "0\r\n\r\n");
  // A second field line, even one that would add nothing, is refused.
  ExpectRefused("POST /a HTTP/1.1\r\nTransfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n",
                FrameError::kMalformed, "0\r\n\r\n");
}

TEST(HttpFramingTest, OtherCodingBeforeChunkedIs501) {
  ExpectRefused("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                FrameError::kNotImplemented, "0\r\n\r\n");
  ExpectRefused("POST /a HTTP/1.1\r\nTransfer-Encoding: identity, chunked\r\n\r\n",
                FrameError::kNotImplemented, "0\r\n\r\n");
}

TEST(HttpFramingTest, TransferEncodingWithContentLengthIs400InEitherOrder) {
  // CL.TE and TE.CL, with the TE spellings smuggling payloads use.
  for (const char* te : {"chunked", "Chunked", "xchunked", "chunked, identity", "\tchunked"}) {
    std::string field = std::string("Transfer-Encoding:") + (te[0] == '\t' ? "" : " ") + te;
    ExpectRefused("POST /a HTTP/1.1\r\nContent-Length: 5\r\n" + field + "\r\n\r\n",
                  FrameError::kMalformed, "0\r\n\r\n");
    ExpectRefused("POST /a HTTP/1.1\r\n" + field + "\r\nContent-Length: 5\r\n\r\n",
                  FrameError::kMalformed, "0\r\n\r\n");
  }
  auto p = WithHidden(
      "POST /a HTTP/1.1\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\n", "abc");
  EXPECT_NE(p.detail.find("both Transfer-Encoding and Content-Length"), std::string::npos);
}

TEST(HttpFramingTest, TransferEncodingInHttp10Is400) {
  ExpectRefused("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", FrameError::kMalformed,
                "0\r\n\r\n");
}

TEST(HttpFramingTest, WellFormedChunkedStillParses) {
  auto p = ParseHttpRequests(
      "POST /a HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n1\r\nx\r\n0\r\n\r\n"
      "POST /b HTTP/1.1\r\nTransfer-Encoding:\t, chunked ,\r\n\r\n1\r\ny\r\n0\r\n\r\n" +
          std::string(kHidden),
      Small());
  ASSERT_EQ(p.error, FrameError::kNone) << p.detail;
  ASSERT_EQ(p.requests.size(), 3u);
  EXPECT_EQ(p.requests[0].body, "x");
  EXPECT_EQ(p.requests[1].body, "y");
  EXPECT_EQ(p.requests[2].path, "/smuggled");
}

TEST(HttpFramingTest, ContentLengthMustBeOneDecimalNumber) {
  for (const char* cl :
       {"5, 6", "5, 5", "5,", "+5", "-1", "5a", "0x5", "5 5", "", "99999999999999999999999"}) {
    ExpectRefused(std::string("POST /a HTTP/1.1\r\nContent-Length: ") + cl + "\r\n\r\n",
                  FrameError::kMalformed, "abcde");
  }
  ExpectRefused("POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                FrameError::kMalformed, "abcde");
  ExpectRefused("POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                FrameError::kMalformed, "abcdef");
  auto p = ParseHttpRequests("POST /a HTTP/1.1\r\nContent-Length: 005\r\n\r\nabcde", Small());
  ASSERT_EQ(p.requests.size(), 1u) << p.detail;
  EXPECT_EQ(p.requests[0].body, "abcde");
}

TEST(HttpFramingTest, ObsFoldIs400) {
  ExpectRefused("GET /a HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n", FrameError::kMalformed);
  ExpectRefused("GET /a HTTP/1.1\r\nX-A: one\r\n\ttwo\r\n\r\n", FrameError::kMalformed);
  ExpectRefused("GET /a HTTP/1.1\r\nX-A:\r\n two\r\n\r\n", FrameError::kMalformed);
  ExpectRefused("GET /a HTTP/1.1\r\nX-A:  \r\n two\r\n\r\n", FrameError::kMalformed);
  ExpectRefused("POST /a HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n",
                FrameError::kMalformed, "0\r\n\r\n");
  // Whitespace before the first field is a folded start line.
  ExpectRefused("GET /a HTTP/1.1\r\n Host: h\r\n\r\n", FrameError::kMalformed);
  auto p = WithHidden("GET /a HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n");
  EXPECT_NE(p.detail.find("folding"), std::string::npos) << p.detail;
  // Trailing whitespace in a value is not a fold.
  p = ParseHttpRequests("GET /a HTTP/1.1\r\nX-A: one \t\r\nX-B:\r\n\r\n", Small());
  ASSERT_EQ(p.requests.size(), 1u) << p.detail;
  EXPECT_EQ(p.requests[0].Header("x-a"), "one");
}

TEST(HttpFramingTest, ControlCharactersAndBareCrInTheHeadAre400) {
  for (const char* head :
       {"GET /a HTTP/1.1\r\nX-A: a\rb\r\n\r\n", "GET /a HTTP/1.1\rX-A: a\r\n\r\n",
        "GET /a HTTP/1.1\r\nX-A: a\r\n\rX-B: b\r\n\r\n",
        "GET /a HTTP/1.1\r\nX-A: a\nX-B: b\r\n\r\n", "GET /a HTTP/1.1\r\nX\rA: a\r\n\r\n",
        "GET /a\r HTTP/1.1\r\n\r\n",
        "GET /a HTTP/1.1\r\nX-A: a\x01"
        "b\r\n\r\n",
        "GET /a HTTP/1.1\r\nX-A: \x7f\r\n\r\n"}) {
    ExpectRefused(head, FrameError::kMalformed);
  }
  ExpectRefused(std::string("GET /a HTTP/1.1\r\nX-A: a") + '\0' + "b\r\n\r\n",
                FrameError::kMalformed);
  auto p = ParseHttpRequests("GET /a HTTP/1.1\r\nX-A: a\tb \xc3\xa9\r\n\r\n", Small());
  ASSERT_EQ(p.requests.size(), 1u) << p.detail;  // HTAB and obs-text are field content
}

TEST(HttpFramingTest, FieldNameMustBeATokenRightBeforeTheColon) {
  ExpectRefused("POST /a HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n", FrameError::kMalformed,
                "0\r\n\r\n");
  ExpectRefused("GET /a HTTP/1.1\r\nHost\t: h\r\n\r\n", FrameError::kMalformed);
  ExpectRefused("GET /a HTTP/1.1\r\nX(A): h\r\n\r\n", FrameError::kMalformed);
  ExpectRefused("GET /a HTTP/1.1\r\n: h\r\n\r\n", FrameError::kMalformed);
}

TEST(HttpFramingTest, MethodMustBeAKnownToken) {
  for (const char* line : {"G(T /a HTTP/1.1", "get /a HTTP/1.1", "BREW /a HTTP/1.1",
                           "GET\t/a HTTP/1.1", " GET /a HTTP/1.1", "GE\x01T /a HTTP/1.1"}) {
    ExpectRefused(std::string(line) + "\r\nHost: h\r\n\r\n", FrameError::kMalformed);
  }
  auto p = WithHidden("BREW /a HTTP/1.1\r\n\r\n");
  EXPECT_NE(p.detail.find("unknown method"), std::string::npos) << p.detail;
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    EXPECT_EQ(ParseHttpRequests(std::string(m) + " /a HTTP/1.1\r\n\r\n", Small()).requests.size(),
              1u)
        << m;
  }
}

TEST(HttpFramingTest, TargetWithSpacesControlsOrNonAsciiIs400) {
  for (const char* line : {"GET /a b HTTP/1.1", "GET /a\x01 HTTP/1.1", "GET /a\x7f HTTP/1.1",
                           "GET /\xc3\xa9 HTTP/1.1", "GET  /a HTTP/1.1", "GET /a\tb HTTP/1.1"}) {
    ExpectRefused(std::string(line) + "\r\nHost: h\r\n\r\n", FrameError::kMalformed);
  }
}

TEST(HttpFramingTest, ChunkedTrailersAreDropped) {
  auto p = ParseHttpRequests(
      "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\nx\r\n0\r\nAuthorization: Bearer smuggled\r\nHost: other\r\n\r\n",
      Small());
  ASSERT_EQ(p.requests.size(), 1u) << p.detail;
  EXPECT_EQ(p.requests[0].body, "x");
  EXPECT_FALSE(p.requests[0].HasHeader("authorization"));
  EXPECT_EQ(p.requests[0].headers.size(), 2u);
  ExpectRefused("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", FrameError::kMalformed,
                "0\r\nX-A: a\r\n b\r\n\r\n");
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

// The status line, Server and Date are kept per thread between heads: each head still has its
// own status, version and date.
TEST(ResponseHeadTest, EachHeadHasItsOwnStatusVersionAndDate) {
  struct Case {
    int status;
    unsigned version;
    const char* date;
    const char* start;
  };
  const Case cases[] = {
      {200, 11, "Mon, 07 Dec 2026 10:00:00 GMT", "HTTP/1.1 200 OK\r\n"},
      {200, 11, "Mon, 07 Dec 2026 10:00:00 GMT", "HTTP/1.1 200 OK\r\n"},
      {404, 11, "Mon, 07 Dec 2026 10:00:00 GMT", "HTTP/1.1 404 Not Found\r\n"},
      {404, 11, "Mon, 07 Dec 2026 10:00:01 GMT", "HTTP/1.1 404 Not Found\r\n"},
      {404, 10, "Mon, 07 Dec 2026 10:00:01 GMT", "HTTP/1.0 404 Not Found\r\n"},
      {200, 11, "Mon, 07 Dec 2026 10:00:01 GMT", "HTTP/1.1 200 OK\r\n"},
  };
  for (const Case& c : cases) {
    HttpResponse r = HttpResponse::Text(c.status, "body!");
    std::string out;
    internal::AppendResponseHead(r, c.version, true, c.date, &out);
    std::string want = std::string(c.start) + "Server: ferry\r\nDate: " + c.date +
                       "\r\nContent-Type: text/plain\r\n" +
                       (c.version == 10 ? "Connection: keep-alive\r\n" : "") +
                       "Content-Length: 5\r\n\r\n";
    EXPECT_EQ(out, want);
  }
}

// The head is gathered in pieces of a fixed-size writer: a response with more headers than it
// holds at once still comes out whole and in order, framing lines last.
TEST(ResponseHeadTest, ManyHeadersInOrder) {
  HttpResponse r = HttpResponse::Text(503, "busy");
  std::string want_headers;
  for (int i = 0; i < 40; ++i) {
    r.headers.emplace_back("X-H" + std::to_string(i), std::string(i, 'v'));
    want_headers += "X-H" + std::to_string(i) + ": " + std::string(i, 'v') + "\r\n";
  }
  std::string out = "prefix|";
  internal::AppendResponseHead(r, 11, false, "d", &out);
  EXPECT_EQ(out, "prefix|HTTP/1.1 503 Service Unavailable\r\nServer: ferry\r\nDate: d\r\n"
                 "Content-Type: text/plain\r\n" + want_headers +
                 "Connection: close\r\nContent-Length: 4\r\n\r\n");
}

}  // namespace
}  // namespace ferry::http
