#include "http/http_server.h"

#include <unistd.h>

#include "http/http_connection.h"
#include "http/http_server_impl.h"

namespace ferry::http {

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
  for (int i = 0; i < n; ++i) contexts_.push_back(std::make_unique<IoContext>(1));
  context_conns_ = std::make_unique<std::atomic<int64_t>[]>(n);
  balance_.emplace(static_cast<size_t>(n),
                   internal::IoBalance::Policy{options_.pack_connections,
                                               options_.pack_below_permille,
                                               options_.shed_above_permille,
                                               options_.balance_check_answers});
  uint16_t port = options_.port;
  auto acc = std::make_unique<tcp::acceptor>(*contexts_[0]);
  tcp::endpoint ep(address, port);
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
  // SO_REUSEPORT lets `ferry up` bind a gateway's new address on the same
  // port before it drains the old listener (Service type changes).
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
  port = acc->local_endpoint().port();
  acceptors_.push_back(std::move(acc));
  port_ = port;
  return OkStatus();
}

template <typename Conn>
void HttpServer::Impl::Adopt(tcp::socket socket, size_t index) {
  connections_.fetch_add(1);
  context_conns_[index].fetch_add(1);
  IoContext* ctx = contexts_[index].get();
  std::shared_ptr<Conn> conn;
  if constexpr (std::is_same_v<Conn, Connection<tcp::socket>>) {
    conn = std::make_shared<Conn>(shared_from_this(), ctx, &context_conns_[index],
                                  std::move(socket));
  } else {
    conn = std::make_shared<Conn>(shared_from_this(), ctx, &context_conns_[index],
                                  std::move(socket), *tls_);
  }
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    conn->SetEntry(conns_.insert(conns_.end(), std::static_pointer_cast<ConnectionBase>(conn)));
  }
  // A connection's state is touched only on its own io_context's thread; this accept handler
  // runs on contexts_[0]'s (PlainRead's first Start from here raced with its completion there).
  asio::dispatch(*ctx, [conn = std::move(conn)] { conn->Run(); });
}

bool HttpServer::Impl::Rehome(tcp::socket& socket, size_t to) {
  // Owns the descriptor until a socket does: closed if the server closes first.
  struct OwnedFd {
    int fd;
    explicit OwnedFd(int f) : fd(f) {}
    OwnedFd(const OwnedFd&) = delete;
    ~OwnedFd() {
      if (fd >= 0) ::close(fd);
    }
  };
  beast::error_code ec;
  const tcp protocol = socket.local_endpoint(ec).protocol();
  if (ec) return false;
  const int fd = socket.release(ec);
  if (ec) return false;
  PostTo(*contexts_[to], [self = shared_from_this(), owned = std::make_shared<OwnedFd>(fd),
                          protocol, to] {
    if (self->draining_) return;
    tcp::socket moved(*self->contexts_[to]);
    beast::error_code ec;
    moved.assign(protocol, owned->fd, ec);
    if (ec) return;
    owned->fd = -1;
    self->Adopt<Connection<tcp::socket>>(std::move(moved), to);
  });
  return true;
}

// One listening socket, accepted on contexts_[0]; each connection is accepted
// straight into a socket of the io_context IoBalance picks and lives there
// until IoBalance moves it. (Per-thread SO_REUSEPORT listeners spread connections
// by a hash of their ports: 16 keep-alive clients often split 10/6 over two
// threads, one saturated while the other idles.)
void HttpServer::Impl::Accept() {
  const size_t index = balance_->Place(context_conns_.get());
  pending_.emplace(*contexts_[index]);
  acceptors_[0]->async_accept(*pending_, [this, index](beast::error_code ec) {
    tcp::socket socket = std::move(*pending_);
    pending_.reset();
    if (ec) {
      if (ec == asio::error::operation_aborted || draining_) return;
      return Accept();  // e.g. EMFILE: keep serving existing connections
    }
    if (static_cast<size_t>(connections_.load()) >= options_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else if (tls_) {
      Adopt<Connection<ssl::stream<tcp::socket>>>(std::move(socket), index);
    } else {
      Adopt<Connection<tcp::socket>>(std::move(socket), index);
    }
    Accept();
  });
}

void HttpServer::Impl::Start() {
  Accept();
  for (size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([ctx = contexts_[i].get()] {
      auto guard = asio::make_work_guard(*ctx);
      ctx->run();
    });
    balance_->SetThread(i, threads_.back().native_handle());
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

void HttpServer::Impl::Close() {
  Drain(std::chrono::milliseconds(0));
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    closed_ = true;
  }
  // The I/O threads are joined: destroy what is still queued (reads, timers, posted answers).
  // That releases the connections those handlers held; a connection a handler's thread still
  // holds keeps this Impl, and so its io_context, alive until it lets go.
  for (auto& ctx : contexts_) ctx->Shutdown();
}

HttpServer::HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { impl_->Close(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                         HttpHandler* handler) {
  auto impl = std::make_shared<Impl>(options, handler);
  RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port_; }
const std::string& HttpServer::bind_address() const { return impl_->options_.bind_address; }
void HttpServer::Start() { impl_->Start(); }
void HttpServer::Drain(std::chrono::milliseconds grace) { impl_->Drain(grace); }
int64_t HttpServer::in_flight() const { return impl_->in_flight_.load(); }

}  // namespace ferry::http
