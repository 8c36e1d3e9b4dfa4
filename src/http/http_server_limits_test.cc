// HttpServer's limits and refusals: body, header bytes and fields, deadlines, request
// smuggling, unsupported codings.
#include <gtest/gtest.h>

#include "http/http_server_test_util.h"

namespace ferry::http {
namespace {

TEST_F(HttpServerTest, OversizedBodyIs413) {
  int fd = Connect(server_->port());
  std::string r = Exchange(
      fd, "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'));
  EXPECT_NE(r.find("413"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  int fd = Connect(server_->port());
  std::string r =
      Exchange(fd, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(4000, 'y') + "\r\n\r\n");
  EXPECT_NE(r.find("431"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, TooManyHeaderFieldsIs431) {
  int fd = Connect(server_->port());
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 150; ++i) head += "X-H" + std::to_string(i) + ": v\r\n";
  std::string r = Exchange(fd, head + "\r\n");
  EXPECT_NE(r.find("431"), std::string::npos) << r;
  EXPECT_NE(r.find("fields"), std::string::npos) << r;
  ::close(fd);
}

TEST_F(HttpServerTest, SlowClientGets408) {
  int fd = Connect(server_->port());
  std::string r = Exchange(fd, "GET / HTTP/1.1\r\nHost: h\r\n");  // never finishes the head
  EXPECT_NE(r.find("408"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, MalformedIs400) {
  int fd = Connect(server_->port());
  std::string r = Exchange(fd, "BLAH\r\n\r\n");
  EXPECT_NE(r.find("400"), std::string::npos);
  ::close(fd);
}

// Reads everything until the server closes the connection.
TEST_F(HttpServerTest, SmuggledRequestGetsOneRefusalThenClose) {
  for (std::string head : {"Transfer-Encoding: xchunked", "Transfer-Encoding: chunked, identity",
                           "Content-Length: 5\r\nTransfer-Encoding: chunked"}) {
    int fd = Connect(server_->port());
    ASSERT_GE(fd, 0);
    std::string raw = "POST /a HTTP/1.1\r\nHost: h\r\n" + head +
                      "\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";
    ::send(fd, raw.data(), raw.size(), 0);
    std::string r = ReadToEof(fd);
    EXPECT_EQ(CountResponses(r), 1u) << r;
    EXPECT_EQ(r.rfind("HTTP/1.1 400 ", 0), 0u) << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
    ::close(fd);
  }
  EXPECT_EQ(handler_.calls.load(), 0);
}

TEST_F(HttpServerTest, UnsupportedTransferCodingIs501) {
  int fd = Connect(server_->port());
  std::string raw =
      "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  std::string r = ReadToEof(fd);
  EXPECT_EQ(r.rfind("HTTP/1.1 501 ", 0), 0u) << r;
  EXPECT_NE(r.find("only chunked"), std::string::npos) << r;
  ::close(fd);
  EXPECT_EQ(handler_.calls.load(), 0);
}

TEST_F(HttpServerTest, EndlessChunkedTrailerIs431) {
  int fd = Connect(server_->port());
  std::string raw = "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  ::send(fd, raw.data(), raw.size(), 0);
  std::string line = "X-T: " + std::string(1000, 't') + "\r\n";
  for (int i = 0; i < 200; ++i) {
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) <= 0) break;
  }
  std::string r = ReadToEof(fd);
  EXPECT_EQ(r.rfind("HTTP/1.1 431 ", 0), 0u) << r.substr(0, 200);
  ::close(fd);
  EXPECT_EQ(handler_.calls.load(), 0);
}

}  // namespace
}  // namespace ferry::http
