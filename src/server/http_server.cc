#include "server/http_server.h"

#include <sys/socket.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <ctime>
#include <iterator>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "server/http_message.h"

namespace ferry::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// "Fri, 27 Nov 2026 14:00:00 GMT", refreshed at most once a second per thread.
const std::string& HttpDate() {
  thread_local std::string cached;
  thread_local std::time_t cached_at = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    char buf[64];
    std::tm tm;
    gmtime_r(&now, &tm);
    size_t n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached.assign(buf, n);
    cached_at = now;
  }
  return cached;
}

std::string ErrorJson(const std::string& message) {
  return "{\"error\": \"" + message + "\"}";
}

}  // namespace

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void PostCloseIfIdle() = 0;
};

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, HttpHandler* handler)
      : options_(options), handler_(handler) {}
  // Connections still queued in the io_contexts unregister themselves from
  // conns_ when destroyed, so the contexts must go first.
  ~Impl() {
    acceptors_.clear();
    contexts_.clear();
  }

  Status Listen();
  Status SetUpTls();
  void Start();
  void Drain(std::chrono::milliseconds grace);
  void Accept(size_t index);
  template <typename Conn>
  void Adopt(tcp::socket socket);

  HttpServerOptions options_;
  HttpHandler* handler_;
  std::optional<ssl::context> tls_;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};

  std::mutex conns_mu_;
  std::list<std::weak_ptr<ConnectionBase>> conns_;  // guarded by conns_mu_
};

// One HTTP/1.1 connection over a plain socket or a TLS stream. All of its
// state is touched only on its io_context's (single) thread; Send and the
// stream calls may come from any thread and are posted there.
template <typename Stream>
class Connection : public ResponseSink,
                   public ConnectionBase,
                   public std::enable_shared_from_this<Connection<Stream>> {
 public:
  using std::enable_shared_from_this<Connection<Stream>>::shared_from_this;

  template <typename... Args>
  Connection(HttpServer::Impl* server, tcp::socket socket, Args&&... args)
      : stream_(std::move(socket), std::forward<Args>(args)...),
        timer_(stream_.get_executor()),
        server_(server) {
    beast::error_code ec;
    auto& sock = Socket();
    auto local = sock.local_endpoint(ec);
    local_port_ = ec ? 0 : local.port();
    auto remote = sock.remote_endpoint(ec);
    remote_ = ec ? std::string() : remote.address().to_string();
    sock.set_option(tcp::no_delay(true), ec);
  }

  ~Connection() override {
    server_->connections_.fetch_sub(1);
    std::lock_guard<std::mutex> lock(server_->conns_mu_);
    server_->conns_.erase(self_it_);
  }

  void Run(std::list<std::weak_ptr<ConnectionBase>>::iterator self_it) {
    self_it_ = self_it;
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      Read();
    } else {
      Arm(server_->options_.request_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->Read();
                              });
    }
  }

  void PostCloseIfIdle() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

  void Send(HttpResponse response) override {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this(), r = std::move(response)]() mutable {
                     self->Write(std::move(r));
                   });
  }

  void StartStream(HttpResponse head) override {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this(), r = std::move(head)]() mutable {
                     self->BeginStream(std::move(r));
                   });
  }

  bool WriteChunk(std::string data) override {
    if (stream_gone_.load()) return false;
    if (data.empty()) return true;
    char size[24];
    int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    std::string chunk(size, n);
    chunk += data;
    chunk += "\r\n";
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), c = std::move(chunk)]() mutable {
      self->QueueRaw(std::move(c), false);
    });
    return true;
  }

  void EndStream() override {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()]() {
      self->QueueRaw("0\r\n\r\n", true);
    });
  }

 private:
  tcp::socket& Socket() { return beast::get_lowest_layer(stream_); }

  void Read() {
    parser_.emplace();
    internal::ConfigureParser(*parser_, server_->options_);
    if (buffer_.size() == 0) {
      // An idle keep-alive connection gets the idle timeout until its next
      // request starts; from the first byte on, the whole request must
      // arrive within the request timeout (slowloris defence).
      Arm(server_->options_.idle_timeout);
      stream_.async_read_some(buffer_.prepare(4096),
                              [self = shared_from_this()](beast::error_code ec, size_t n) {
                                self->OnFirstBytes(ec, n);
                              });
      return;
    }
    Arm(server_->options_.request_timeout);
    ReadRequest();
  }

  // Deadline for the current read or write: on expiry pending socket
  // operations are cancelled and complete with operation_aborted.
  void Arm(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // re-armed or cancelled
      self->timed_out_ = true;
      beast::error_code ignored;
      self->Socket().cancel(ignored);
    });
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    if (ec) return Close();  // idle timeout or peer closed: nothing to answer
    buffer_.commit(n);
    Arm(server_->options_.request_timeout);
    ReadRequest();
  }

  void ReadRequest() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == asio::error::operation_aborted && timed_out_) {
      return RejectAndClose(beast::error::timeout);
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == ssl::error::stream_truncated) {
      return Close();
    }
    if (ec) return RejectAndClose(ec);
    timer_.cancel();
    auto& msg = parser_->get();
    HttpRequest req;
    if (internal::FillRequest(msg, server_->options_, &req) != FrameError::kNone) {
      return RejectAndClose(http::error::header_limit);
    }
    req.keep_alive = req.keep_alive && !server_->draining_.load(std::memory_order_relaxed);
    req.remote_address = remote_;
    req.local_port = local_port_;
    req.received = std::chrono::steady_clock::now();
    keep_alive_ = req.keep_alive;
    version_ = msg.version();
    head_only_ = req.method == "HEAD";
    busy_ = true;
    server_->in_flight_.fetch_add(1, std::memory_order_relaxed);
    server_->handler_->Handle(req, Responder(shared_from_this()));
  }

  void RejectAndClose(beast::error_code ec) {
    HttpResponse r;
    const auto& o = server_->options_;
    FrameError fe =
        ec == beast::error::timeout ? FrameError::kNone : internal::ClassifyParseError(ec);
    if (fe == FrameError::kHeaderTooLarge) {
      r = HttpResponse::Json(431, ErrorJson("request header fields too large (limits: " +
                                            std::to_string(o.max_header_bytes) + " bytes, " +
                                            std::to_string(o.max_header_count) + " fields)"));
    } else if (fe == FrameError::kBodyTooLarge) {
      r = HttpResponse::Json(413, ErrorJson("request body too large (limit " +
                                            std::to_string(o.max_body_bytes) +
                                            " bytes); send smaller batches or raise the limit"));
    } else if (ec == beast::error::timeout) {
      r = HttpResponse::Json(408, ErrorJson("request not received in time"));
    } else {
      r = HttpResponse::Json(400, ErrorJson("malformed HTTP request: " + ec.message()));
    }
    keep_alive_ = false;
    version_ = 11;
    busy_ = true;
    server_->in_flight_.fetch_add(1, std::memory_order_relaxed);
    Write(std::move(r));
  }

  void Write(HttpResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "ferry");
    res->set(http::field::date, HttpDate());
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->insert(k, v);
    res->body() = std::move(r.body);
    if (server_->draining_.load(std::memory_order_relaxed)) keep_alive_ = false;
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    if (head_only_) {
      // HEAD: same headers (Content-Length included), no body.
      auto sr = std::make_shared<http::response_serializer<http::string_body>>(*res);
      Arm(server_->options_.request_timeout);
      http::async_write_header(stream_, *sr,
                               [self = shared_from_this(), res, sr](beast::error_code ec, size_t) {
                                 self->OnWrite(ec);
                               });
      return;
    }
    Arm(server_->options_.request_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        self->OnWrite(ec);
                      });
  }

  void OnWrite(beast::error_code ec) {
    timer_.cancel();
    busy_ = false;
    server_->in_flight_.fetch_sub(1, std::memory_order_relaxed);
    if (ec || !keep_alive_ || server_->draining_.load(std::memory_order_relaxed)) return Close();
    Read();
  }

  // Streaming (chunked) responses: raw HTTP/1.1 framing over a write queue.
  void BeginStream(HttpResponse head) {
    streaming_ = true;
    std::string h = "HTTP/1.1 " + std::to_string(head.status) + " " +
                    std::string(http::obsolete_reason(static_cast<http::status>(head.status))) +
                    "\r\nServer: ferry\r\nDate: " + HttpDate() + "\r\n";
    if (!head.content_type.empty()) h += "Content-Type: " + head.content_type + "\r\n";
    for (auto& [k, v] : head.headers) h += k + ": " + v + "\r\n";
    h += "Transfer-Encoding: chunked\r\n";
    if (!keep_alive_) h += "Connection: close\r\n";
    h += "\r\n";
    timer_.cancel();  // a watch may stay open for a long time
    QueueRaw(std::move(h), false);
    if (!head.body.empty()) WriteChunk(std::move(head.body));
    // Read while streaming only to notice the client going away.
    stream_.async_read_some(asio::buffer(probe_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) self->stream_gone_ = true;
                            });
  }

  void QueueRaw(std::string bytes, bool last) {
    if (!streaming_) return;
    if (stream_gone_) {
      if (last) FinishStream(true);
      return;
    }
    write_queue_.push_back(std::move(bytes));
    if (last) end_queued_ = true;
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (write_queue_.empty()) {
      writing_ = false;
      if (end_queued_) FinishStream(false);
      return;
    }
    writing_ = true;
    asio::async_write(stream_, asio::buffer(write_queue_.front()),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->write_queue_.pop_front();
                        if (ec) {
                          self->stream_gone_ = true;
                          self->write_queue_.clear();
                        }
                        self->WriteNext();
                      });
  }

  void FinishStream(bool failed) {
    streaming_ = false;
    end_queued_ = false;
    busy_ = false;
    server_->in_flight_.fetch_sub(1, std::memory_order_relaxed);
    // The probe read may still be pending on the socket, so the connection is
    // not reused after a stream.
    (void)failed;
    Close();
  }

  void Close() {
    timer_.cancel();
    beast::error_code ec;
    Socket().shutdown(tcp::socket::shutdown_both, ec);
    Socket().close(ec);
  }

  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::Impl* server_;
  std::list<std::weak_ptr<ConnectionBase>>::iterator self_it_;
  std::string remote_;
  uint16_t local_port_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_only_ = false;
  bool busy_ = false;
  bool timed_out_ = false;
  // streaming state
  bool streaming_ = false;
  bool writing_ = false;
  bool end_queued_ = false;
  std::atomic<bool> stream_gone_{false};
  std::deque<std::string> write_queue_;
  char probe_[256];
};

Status HttpServer::Impl::SetUpTls() {
  if (options_.tls_cert_file.empty() && options_.tls_key_file.empty()) return OkStatus();
  tls_.emplace(ssl::context::tls_server);
  tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
  if (ec) {
    return InvalidArgumentError("cannot read TLS certificate " + options_.tls_cert_file + ": " +
                                ec.message());
  }
  tls_->use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
  if (ec) {
    return InvalidArgumentError("cannot read TLS key " + options_.tls_key_file + ": " +
                                ec.message());
  }
  // kubectl (Go) offers h2 and http/1.1; we speak http/1.1 only.
  SSL_CTX_set_alpn_select_cb(
      tls_->native_handle(),
      [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
         unsigned int inlen, void*) -> int {
        static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
        unsigned char* selected = nullptr;
        if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof(kHttp11), in, inlen) !=
            OPENSSL_NPN_NEGOTIATED) {
          return SSL_TLSEXT_ERR_NOACK;
        }
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
      },
      nullptr);
  return OkStatus();
}

Status HttpServer::Impl::Listen() {
  RETURN_IF_ERROR(SetUpTls());
  int n = options_.io_threads > 0
              ? options_.io_threads
              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  beast::error_code ec;
  auto address = asio::ip::make_address(options_.bind_address, ec);
  if (ec) {
    return InvalidArgumentError("invalid bind address '" + options_.bind_address +
                                "': " + ec.message());
  }
  uint16_t port = options_.port;
  for (int i = 0; i < n; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    auto acc = std::make_unique<tcp::acceptor>(*contexts_.back());
    tcp::endpoint ep(address, port);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      if (::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
        ec = beast::error_code(errno, boost::system::system_category());
      }
    }
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return UnavailableError(
          "cannot listen on " + options_.bind_address + ":" + std::to_string(port) + ": " +
          ec.message() +
          (ec == asio::error::address_in_use
               ? " (another process uses this port; pick another port, or 0 for a free one)"
               : ""));
    }
    if (i == 0) port = acc->local_endpoint().port();
    acceptors_.push_back(std::move(acc));
  }
  port_ = port;
  return OkStatus();
}

template <typename Conn>
void HttpServer::Impl::Adopt(tcp::socket socket) {
  connections_.fetch_add(1);
  std::shared_ptr<Conn> conn;
  if constexpr (std::is_same_v<Conn, Connection<tcp::socket>>) {
    conn = std::make_shared<Conn>(this, std::move(socket));
  } else {
    conn = std::make_shared<Conn>(this, std::move(socket), *tls_);
  }
  std::list<std::weak_ptr<ConnectionBase>>::iterator it;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    it = conns_.insert(conns_.end(), std::static_pointer_cast<ConnectionBase>(conn));
  }
  conn->Run(it);
}

void HttpServer::Impl::Accept(size_t index) {
  acceptors_[index]->async_accept([this, index](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || draining_) return;
      return Accept(index);  // e.g. EMFILE: keep serving existing connections
    }
    if (static_cast<size_t>(connections_.load()) >= options_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else if (tls_) {
      Adopt<Connection<ssl::stream<tcp::socket>>>(std::move(socket));
    } else {
      Adopt<Connection<tcp::socket>>(std::move(socket));
    }
    Accept(index);
  });
}

void HttpServer::Impl::Start() {
  for (size_t i = 0; i < contexts_.size(); ++i) {
    Accept(i);
    threads_.emplace_back([ctx = contexts_[i].get()] {
      auto guard = asio::make_work_guard(*ctx);
      ctx->run();
    });
  }
}

void HttpServer::Impl::Drain(std::chrono::milliseconds grace) {
  if (stopped_.exchange(true)) return;
  draining_ = true;
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    asio::post(*contexts_[i], [acc = acceptors_[i].get()] {
      beast::error_code ec;
      acc->close(ec);
    });
  }
  std::vector<std::shared_ptr<ConnectionBase>> live;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    for (auto& weak : conns_) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  for (auto& c : live) c->PostCloseIfIdle();
  live.clear();  // outside the lock: the last reference may run ~Connection
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (auto& ctx : contexts_) ctx->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { impl_->Drain(std::chrono::milliseconds(0)); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                         HttpHandler* handler) {
  auto impl = std::make_unique<Impl>(options, handler);
  RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port_; }
const std::string& HttpServer::bind_address() const { return impl_->options_.bind_address; }
void HttpServer::Start() { impl_->Start(); }
void HttpServer::Drain(std::chrono::milliseconds grace) { impl_->Drain(grace); }
int64_t HttpServer::in_flight() const { return impl_->in_flight_.load(); }

}  // namespace ferry::server
