// Test helpers shared by the HttpServer tests: an echoing handler, raw-socket exchanges and a
// fixture that runs a server on a free loopback port.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/http_server.h"

namespace ferry::http {

class EchoHandler : public HttpHandler {
 public:
  void Handle(HttpRequest& req, Responder responder) override {
    ++calls;
    if (req.path == "/stream") {
      HttpResponse head = HttpResponse::Json(200, "");
      responder.StartStream(head);
      std::thread([responder] {
        for (int i = 0; i < 3; ++i) {
          responder.WriteChunk("{\"event\": " + std::to_string(i) + "}\n");
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        responder.EndStream();
      }).detach();
      return;
    }
    if (req.path == "/big") {
      // Larger than a loopback socket buffer: the write cannot finish inline.
      responder.Send(HttpResponse::Text(200, std::string(8 * 1024 * 1024, 'b') + "end"));
      return;
    }
    if (req.path == "/thread") {
      std::ostringstream id;
      id << std::this_thread::get_id();
      responder.Send(HttpResponse::Text(200, id.str()));
      return;
    }
    if (req.path == "/slow") {
      std::thread([responder] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        responder.Send(HttpResponse::Text(200, "slow"));
      }).detach();
      return;
    }
    responder.Send(HttpResponse::Text(200, req.method + " " + std::string(req.path) + " q=" +
                                               std::string(req.query) + " body=" + req.body));
  }
  std::atomic<int> calls{0};
};

// A started server for `handler` on a free loopback port with one I/O thread (null, with a test
// failure, if it cannot listen).
inline std::unique_ptr<HttpServer> StartOneThreadServer(HttpHandler* handler) {
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.io_threads = 1;
  auto s = HttpServer::Create(opts, handler);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  (*s)->Start();
  return std::move(s).value();
}

inline int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

inline std::string Exchange(int fd, const std::string& raw, size_t responses = 1) {
  ::send(fd, raw.data(), raw.size(), 0);
  std::string out;
  char buf[4096];
  size_t seen = 0;
  while (seen < responses) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, n);
    seen = 0;
    for (size_t p = out.find("HTTP/1.1 "); p != std::string::npos;
         p = out.find("HTTP/1.1 ", p + 1)) {
      ++seen;
    }
    // Wait for the last body to arrive too (bodies here are short).
    if (seen >= responses) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ssize_t more = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (more > 0) out.append(buf, more);
    }
  }
  return out;
}

inline std::vector<std::string> ReadResponses(int fd, size_t n);

inline std::vector<std::string> ReadResponsesAfter(int fd, const std::string& raw) {
  ::send(fd, raw.data(), raw.size(), 0);
  return ReadResponses(fd, 1);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions opts;
    opts.bind_address = "127.0.0.1";
    opts.port = 0;
    opts.io_threads = 2;
    opts.max_body_bytes = 1024;
    opts.max_header_bytes = 2048;
    opts.request_timeout = std::chrono::milliseconds(300);
    auto s = HttpServer::Create(opts, &handler_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    server_->Start();
  }
  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

// Reads until `n` complete responses (Content-Length framed) have arrived.
inline std::vector<std::string> ReadResponses(int fd, size_t n) {
  std::string in;
  std::vector<std::string> out;
  char buf[65536];
  while (out.size() < n) {
    size_t head_end = in.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t cl = in.find("Content-Length: ");
      size_t len = cl < head_end ? std::stoul(in.substr(cl + 16)) : 0;
      if (in.size() >= head_end + 4 + len) {
        out.push_back(in.substr(0, head_end + 4 + len));
        in.erase(0, head_end + 4 + len);
        continue;
      }
    }
    ssize_t got = ::recv(fd, buf, sizeof(buf), 0);
    if (got <= 0) break;
    in.append(buf, got);
  }
  return out;
}

inline std::string ReadToEof(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, n);
  }
  return out;
}

// The body of one response (what follows its header section).
inline std::string BodyOf(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

inline size_t CountResponses(const std::string& s) {
  size_t n = 0;
  for (size_t p = s.find("HTTP/1.1 "); p != std::string::npos; p = s.find("HTTP/1.1 ", p + 1)) {
    ++n;
  }
  return n;
}

}  // namespace ferry::http
