// HttpServer::Impl: the listener's state (io_contexts, acceptors, the open connections) shared
// by the server (http_server.cc) and its connections (http_connection.h). Private to ferry_http.
// Threads: see http_server.h; the atomics are read by every connection, conns_ under conns_mu_.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <ctime>
#include <deque>
#include <iterator>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "http/http_server.h"
#include "http/io_balance.h"

namespace ferry::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void PostCloseIfIdle() = 0;
};

// An io_context whose services can be shut down before it is destroyed: HttpServer::Close
// destroys the handlers still queued (releasing the connections they hold) while the context
// itself lives on for connections a handler's thread still holds.
class IoContext : public asio::io_context {
 public:
  using asio::io_context::io_context;
  void Shutdown() { shutdown(); }
};

// Owned jointly by the HttpServer and every open connection: a Responder kept by a handler's
// thread may release the last reference to its connection after the HttpServer is gone, and
// the connection's destructor still needs the io_context (its socket and timer) and the counts.
class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(const HttpServerOptions& options, HttpHandler* handler)
      : options_(options), handler_(handler) {}
  // Connections still queued in the io_contexts unregister themselves from
  // conns_ when destroyed, so the contexts must go first.
  ~Impl() {
    acceptors_.clear();
    pending_.reset();
    contexts_.clear();
  }

  Status Listen();
  Status SetUpTls();
  void Start();
  void Drain(std::chrono::milliseconds grace);
  // Drain(0), then no more posting: the handlers still queued are destroyed. Connections held
  // elsewhere (a Responder on a handler's thread) stay valid; their answers are dropped.
  void Close();
  // Runs `fn` on `ctx`'s thread later, unless the server is closed (then `fn` is dropped:
  // a handler queued after Close would never run and would keep its connection, and this Impl,
  // alive forever). For calls from threads other than ctx's.
  template <typename Fn>
  void PostTo(IoContext& ctx, Fn&& fn) {
    std::lock_guard<std::mutex> lock(post_mu_);
    if (closed_) return;
    asio::post(ctx, std::forward<Fn>(fn));
  }
  void Accept();
  template <typename Conn>
  void Adopt(tcp::socket socket, size_t index);
  // Releases a plain connection's socket (between two requests, nothing pending on it) to be
  // served from io_context `to` (IoBalance::MoveTarget). False: it could not (socket unchanged).
  bool Rehome(tcp::socket& socket, size_t to);

  HttpServerOptions options_;
  HttpHandler* handler_;
  std::optional<ssl::context> tls_;
  std::vector<std::unique_ptr<IoContext>> contexts_;
  // Open connections per io_context (see IoBalance::Place).
  std::unique_ptr<std::atomic<int64_t>[]> context_conns_;
  std::optional<internal::IoBalance> balance_;  // set by Listen
  // One listening socket, accepted on contexts_[0] (see Accept).
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::optional<tcp::socket> pending_;  // the socket being accepted into; contexts_[0] only
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  std::mutex post_mu_;
  bool closed_ = false;  // guarded by post_mu_; see PostTo

  std::mutex conns_mu_;
  std::list<std::weak_ptr<ConnectionBase>> conns_;  // guarded by conns_mu_
};

}  // namespace ferry::http
