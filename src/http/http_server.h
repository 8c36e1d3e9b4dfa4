// HttpServer: an HTTP/1.1 listener (keep-alive, pipelining, limits,
// timeouts, graceful drain) that hands each request to an HttpHandler.
//
// DESIGN: one io_context per I/O thread; one listening socket accepted on the
// first, each connection handed to the io_context with the fewest open
// connections, where it lives for its whole life, so no lock or strand sits
// on the request path. A request is read completely
// (header and body, under size limits and deadlines), handed to the handler,
// and the next request on the connection is read only after the response is
// written (pipelined requests wait in the read buffer, so order holds).
// Boost.Beast stays inside http_server.cc.
//
// Limits answer like the big proxies do: 431 for oversized headers, 413 for
// oversized bodies, 408 when a client is too slow to send its request
// (slowloris), 400 for malformed requests; each closes the connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/http_types.h"

namespace ferry::http {

struct HttpServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 8080;  // 0 = pick a free port (see HttpServer::port())
  int io_threads = 0;    // 0 = one per core
  size_t max_header_bytes = 16 * 1024;
  size_t max_header_count = 100;  // Envoy's default max_headers_count
  size_t max_body_bytes = 64 * 1024 * 1024;
  std::chrono::milliseconds request_timeout{30000};  // to receive one whole request
  std::chrono::milliseconds idle_timeout{65000};     // keep-alive idle (KServe's 65 s)
  size_t max_connections = 10000;
  // Connections over the I/O threads (io_balance.h): a new one goes to the lowest-numbered
  // thread busy less than pack_below_permille of its time lately; every balance_check_answers
  // answers, a thread busier than shed_above_permille moves half of its plain (not TLS)
  // keep-alive connections, each between two of its requests, to the least busy thread below
  // pack_below_permille. pack_connections = false: the thread with the fewest open
  // connections, never moved.
  bool pack_connections = true;
  int pack_below_permille = 500;
  int shed_above_permille = 900;
  unsigned balance_check_answers = 1024;
  // When both are set the listener speaks HTTPS (TLS 1.2+, ALPN http/1.1).
  std::string tls_cert_file;  // PEM certificate chain
  std::string tls_key_file;   // PEM private key
};

class HttpServer {
 public:
  // Binds and listens; fails with a message naming the address when the port is taken.
  static StatusOr<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options,
                                                      HttpHandler* handler);
  // Drains with no grace and closes. A Responder still held elsewhere (a handler's thread)
  // stays safe to use and to release afterwards; what it sends is dropped. The handler must
  // outlive the server.
  ~HttpServer();

  uint16_t port() const;
  const std::string& bind_address() const;

  // Starts the I/O threads; returns at once.
  void Start();
  // Stops accepting, lets in-flight requests finish (up to `grace`), closes
  // idle connections, then stops the I/O threads. Idempotent.
  void Drain(std::chrono::milliseconds grace);
  // Requests in flight right now (read, not yet answered).
  int64_t in_flight() const;

  class Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with the open connections (see http_server_impl.h)
};

}  // namespace ferry::http
