// RepeatFramer against ParseCommonRequest: whatever it remembers and whatever the request it
// frames into holds, it accepts and declines the same bytes, to the same request and length.
#include "http/http_repeat_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/http_parse_test_util.h"

namespace ferry::http {
namespace {

using internal::ParseCommonRequest;
using internal::RepeatFramer;
using testing::SmallLimits;


void ExpectSameRequest(const HttpRequest& x, const HttpRequest& y, const std::string& bytes) {
  testing::ExpectSameFields(x, y, bytes);
  // path and query are views into the request's own target (or the literal "/").
  auto inside = [&](std::string_view v) {
    return v.empty() || (v.data() >= y.target.data() &&
                         v.data() + v.size() <= y.target.data() + y.target.size());
  };
  EXPECT_TRUE(inside(y.path) || y.path == "/") << bytes;
  EXPECT_TRUE(inside(y.query)) << bytes;
}

// Frames `bytes` with `framer` into `*reused` and checks it against a fresh ParseCommonRequest.
// `repeat`: whether it must come from the remembered header section.
void Check(RepeatFramer& framer, const std::string& bytes, HttpRequest* reused,
           bool repeat = false) {
  HttpRequest fresh;
  const size_t want = ParseCommonRequest(bytes, SmallLimits(), &fresh);
  const HttpRequest before = *reused;
  const size_t got = framer.Frame(bytes, SmallLimits(), reused);
  ASSERT_EQ(got, want) << bytes;
  if (want == 0) {
    ExpectSameRequest(before, *reused, bytes);  // untouched
    return;
  }
  ExpectSameRequest(fresh, *reused, bytes);
  if (repeat) {
    EXPECT_TRUE(framer.repeated()) << bytes;
  }
}

std::string Post(const std::string& body, const std::string& after = "") {
  return "POST /v2/models/iris/infer?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
         "Accept-Encoding: identity\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + after + "Content-Type: application/json\r\n\r\n" +
         body;
}

TEST(RepeatFramer, RepeatedHeaderSectionsFrameAsParseCommonRequest) {
  RepeatFramer framer;
  HttpRequest req;
  const std::vector<std::string> inputs = {
      Post("{\"a\": 1}"),
      Post("{\"a\": 2}"),                                // same header section
      Post("{\"a\": 22}"),                               // same digits count
      Post(std::string(12, 'x')),                        // one more digit
      Post("y"),                                         // one fewer: the fields after it move back
      Post(""),                                          // Content-Length: 0
      Post(std::string(12, 'z'), "X-After: after\r\n"),  // a new field
      Post("q", "X-After: after\r\n"),
      "GET /v2/health/ready HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /v2/health/ready HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET http://host:80 HTTP/1.1\r\nConnection: close\r\n\r\n",  // path: the literal "/"
      "GET http://host:80 HTTP/1.1\r\nConnection: close\r\n\r\n",
      "GET /p?a=b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
      "GET /p?a=b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /p?a=b HTTP/1.1\r\n",  // pipelined
      Post("{\"a\": 1}"),
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    // Odd ones repeat the header section before them (but for the Content-Length digits).
    Check(framer, inputs[i], &req, i % 2 == 1 || (i >= 2 && i <= 5));
  }
}

// The request framed into may hold anything a handler left: moved from, or changed.
TEST(RepeatFramer, WritesWhatTheRequestNoLongerHolds) {
  RepeatFramer framer;
  HttpRequest req;
  const std::string bytes = Post("{\"a\": 1}");
  Check(framer, bytes, &req);
  HttpRequest taken = std::move(req);
  Check(framer, bytes, &req, true);
  req.method = "GET";
  req.target = "/elsewhere";
  req.path = "/other";
  req.query = {};
  req.headers[1].first = "x-changed";
  req.headers[2].second = "999";
  req.headers.emplace_back("x-extra", "1");
  req.body = "stale";
  req.keep_alive = false;
  Check(framer, bytes, &req, true);
  req.headers.resize(1);
  Check(framer, Post("{\"b\": 1}"), &req, true);
  EXPECT_EQ(req.body, "{\"b\": 1}");
}

// Whatever ParseCommonRequest declines after a remembered header section, so does the framer,
// leaving the request untouched; what it remembered still serves the next request.
TEST(RepeatFramer, DeclinesWhatParseCommonRequestDeclines) {
  RepeatFramer framer;
  HttpRequest req;
  const std::string head = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-B: b\r\n\r\n";
  Check(framer, head + "hello", &req);
  const std::vector<std::string> declined = {
      head + "hell",                    // body still to come
      head.substr(0, head.size() - 1),  // header section too
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 05\r\nX-B: b\r\n\r\nhello",
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\nX-B: b\r\n\r\n" + std::string(65, 'x'),
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456\r\nX-B: b\r\n\r\n",
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: \r\nX-B: b\r\n\r\n",
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5x\r\nX-B: b\r\n\r\nhello",
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-B: b\r\n",
  };
  for (const std::string& bytes : declined) Check(framer, bytes, &req);
  Check(framer, head + "again", &req, true);
  EXPECT_EQ(req.body, "again");
}

// The header-bytes limit is checked again when longer digits grow a remembered section.
TEST(RepeatFramer, KeepsTheHeaderLimitWhenTheLengthGrows) {
  HttpServerOptions o = SmallLimits();
  o.max_body_bytes = 1 << 20;
  // 44 bytes besides the filler and the digits: up to 3 digits fit under 1024 - 8.
  const std::string filler(1024 - 8 - 44 - 3, 'f');
  auto request = [&](size_t body) {
    return "PUT /a HTTP/1.1\r\nContent-Length: " + std::to_string(body) + "\r\nX-F: " + filler +
           "\r\n\r\n" + std::string(body, 'b');
  };
  RepeatFramer framer;
  for (size_t body : {9, 10, 100, 1000, 10000, 100000, 10}) {
    HttpRequest fresh, reused;
    const std::string bytes = request(body);
    const size_t want = ParseCommonRequest(bytes, o, &fresh);
    EXPECT_EQ(framer.Frame(bytes, o, &reused), want) << body;
    if (want != 0) ExpectSameRequest(fresh, reused, bytes);
  }
}

// A client whose header section changes every time is still framed right (remembered only now
// and then).
TEST(RepeatFramer, HeaderSectionsThatNeverRepeat) {
  RepeatFramer framer;
  HttpRequest req;
  for (int i = 0; i < 100; ++i) {
    Check(framer, "GET /a HTTP/1.1\r\nX-Request-Id: " + std::to_string(i) + "\r\n\r\n", &req);
    if (i % 7 == 0) Check(framer, "GET /a HTTP/1.1\r\nX-Request-Id: 7\r\n\r\n", &req);
  }
}

}  // namespace
}  // namespace ferry::http
