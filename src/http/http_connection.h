// Connection<Stream>: one HTTP/1.1 connection of HttpServer over a plain socket or a TLS
// stream. Private to ferry_http (included by http_server.cc, which instantiates it for both
// stream types).
#pragma once

#include <sys/socket.h>

#include <cerrno>

#include "http/http_connection_util.h"
#include "http/http_message.h"
#include "http/http_repeat_framer.h"
#include "http/http_server_impl.h"
#include "http/plain_read.h"

namespace ferry::http {

// One HTTP/1.1 connection over a plain socket or a TLS stream. All of its state is touched only
// on its io_context's (single) thread; Send and the stream calls may come from any thread and
// are posted there. Between two requests a plain connection may move to another io_context
// (io_balance.h: MoveTo).
//
// Hot path (plain sockets, keep-alive): read, parse straight into an HttpRequest, run the
// handler inline, write the response with one non-blocking send (a body up to 4 KB copied
// behind the head: one buffer costs the kernel ~140 ns less than sendmsg of two; larger ones
// gathered) and queue the next read to wait for the socket's next epoll edge (plain_read.h: no
// failing recv). Nothing is posted through the scheduler for the write; only a short write (or
// a TLS stream) takes the asynchronous path. Deadlines are lazy: Arm() stores a time point, and
// the connection's one timer is re-armed only when it fires early or a deadline moves before
// it, so no timer syscall or handler runs per request.
template <typename Stream>
class Connection : public ResponseSink,
                   public ConnectionBase,
                   public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kPlain = std::is_same_v<Stream, tcp::socket>;
  using Clock = std::chrono::steady_clock;

 public:
  using std::enable_shared_from_this<Connection<Stream>>::shared_from_this;

  template <typename... Args>
  Connection(std::shared_ptr<HttpServer::Impl> server, IoContext* ctx,
             std::atomic<int64_t>* ctx_conns, tcp::socket socket, Args&&... args)
      : server_(std::move(server)),
        stream_(std::move(socket), std::forward<Args>(args)...),
        timer_(*ctx),
        ctx_(ctx),
        reactor_(internal::PlainRead::ReactorOf(*ctx)),
        ctx_conns_(ctx_conns),
        index_(static_cast<size_t>(ctx_conns - server_->context_conns_.get())) {
    beast::error_code ec;
    auto& sock = Socket();
    auto local = sock.local_endpoint(ec);
    local_port_ = ec ? 0 : local.port();
    auto remote = sock.remote_endpoint(ec);
    remote_ = ec ? std::string() : remote.address().to_string();
    sock.set_option(tcp::no_delay(true), ec);
    // Responses are written synchronously first; EAGAIN falls back to the
    // reactor instead of blocking the I/O thread.
    if constexpr (kPlain) sock.non_blocking(true, ec);
  }

  ~Connection() override {
    server_->connections_.fetch_sub(1);
    ctx_conns_->fetch_sub(1);
    std::lock_guard<std::mutex> lock(server_->conns_mu_);
    server_->conns_.erase(self_it_);
  }

  // Its entry in the server's list (conns_), which the destructor erases; set before Run.
  void SetEntry(std::list<std::weak_ptr<ConnectionBase>>::iterator self_it) { self_it_ = self_it; }

  // Starts serving; on the connection's own io_context thread.
  void Run() {
    if constexpr (kPlain) {
      StartRequest();
    } else {
      Arm(server_->options_.request_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->StartRequest();
                              });
    }
  }

  void PostCloseIfIdle() override {
    server_->PostTo(*ctx_, [self = shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

  void Send(HttpResponse response) override { SendFrom(response); }

  void SendFrom(HttpResponse& response) override {
    // The common case answers inline on the connection's own thread.
    if (ctx_->get_executor().running_in_this_thread()) return Write(response);
    server_->PostTo(*ctx_, [self = shared_from_this(), r = std::move(response)]() mutable {
      self->Write(r);
    });
  }

  void StartStream(HttpResponse head) override {
    Dispatch([self = shared_from_this(), r = std::move(head)]() mutable {
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
    Dispatch([self = shared_from_this(), c = std::move(chunk)]() mutable {
      self->QueueRaw(std::move(c), false);
    });
    return true;
  }

  void EndStream() override {
    Dispatch([self = shared_from_this()]() { self->QueueRaw("0\r\n\r\n", true); });
  }

  void Post(std::function<void()> fn) override {
    server_->PostTo(*ctx_, [self = shared_from_this(), fn = std::move(fn)] { fn(); });
  }

  void WatchClientGone(std::function<void()> on_gone) override {
    Dispatch([self = shared_from_this(), fn = std::move(on_gone)]() mutable {
      self->StartGoneWatch(std::move(fn));
    });
  }

 private:
  // asio::dispatch for calls that may come from any thread: inline on the connection's own
  // thread, else posted there (dropped once the server is closed, see Impl::PostTo).
  template <typename Fn>
  void Dispatch(Fn&& fn) {
    if (ctx_->get_executor().running_in_this_thread()) return std::forward<Fn>(fn)();
    server_->PostTo(*ctx_, std::forward<Fn>(fn));
  }

  tcp::socket& Socket() { return beast::get_lowest_layer(stream_); }

  // Begins the next request: parses pipelined bytes already buffered, or
  // waits for more under the idle timeout (the request timeout starts with
  // the first byte: slowloris defence).
  // `skip_first`: see ReadMore.
  void StartRequest(bool skip_first = false) {
    if (closed_) return;  // e.g. drained while a pipelined request was queued
    parser_.reset();  // made when Beast frames this request (Parse)
    if (in_.size() == 0) {
      idle_ = true;
      // A skipped recv misses a FIN that came in the same epoll edge as the last request
      // (client's shutdown(SHUT_WR) right after it): look once after kHalfCloseProbe idle.
      probe_due_ = skip_first && kHalfCloseProbe < server_->options_.idle_timeout;
      Arm(probe_due_ ? kHalfCloseProbe : server_->options_.idle_timeout);
      return ReadMore(skip_first);
    }
    idle_ = false;
    probe_due_ = false;
    Arm(server_->options_.request_timeout);
    Parse();
  }

  // A request answered later (parked by the gateway) has no read pending:
  // wait for the socket to become readable; EOF or an error then means the
  // client left. Bytes (a pipelined request, TLS records) stay unread and end
  // the watch: the client is still there. Write() cancels the wait.
  void StartGoneWatch(std::function<void()> on_gone) {
    if (closed_ || !busy_ || streaming_ || watching_) return;
    watching_ = true;
    uint64_t gen = ++watch_gen_;
    Socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(), gen,
                                                 fn = std::move(on_gone)](beast::error_code ec) {
      if (!self->watching_ || gen != self->watch_gen_) return;
      self->watching_ = false;
      if (ec) return;
      char byte;
      ssize_t n = ::recv(self->Socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) {
        return;
      }
      self->keep_alive_ = false;
      fn();
    });
  }

  void StopGoneWatch() {
    if (!watching_) return;
    watching_ = false;
    ++watch_gen_;
    beast::error_code ignored;
    Socket().cancel(ignored);  // no other operation is pending while a request is answered
  }

  // Plain sockets read through PlainRead (plain_read.h), which with `skip_first` waits for
  // the socket's next epoll edge instead of trying a recv that would fail with EAGAIN (only
  // right after an inline answer, see OnWrite). TLS streams read through Asio.
  void ReadMore(bool skip_first = false) {
    read_size_ = ReadSize();
    auto buf = in_.prepare(read_size_);
    if constexpr (kPlain) {
      read_op_.Start(reactor_, Socket(), static_cast<char*>(buf.data()), buf.size(), skip_first,
                     shared_from_this(), &Connection::OnPlainBytes, this);
    } else {
      stream_.async_read_some(
          buf, [self = shared_from_this()](beast::error_code ec, size_t n) { self->OnBytes(ec, n); });
    }
  }

  static void OnPlainBytes(void* self, const beast::error_code& ec, size_t n) {
    static_cast<Connection*>(self)->OnBytes(ec, n);
  }

  // Room for the next read: at least 4 KB (a whole small request in one
  // recv), at most 64 KB (Beast's read loop bound).
  size_t ReadSize() const {
    return std::clamp<size_t>(in_.capacity() - in_.size(), 4096, kMaxRead);
  }

  void OnBytes(beast::error_code ec, size_t n) {
    if (ec) {
      // Idle: timeout or peer closed between requests, nothing to answer.
      if (idle_) return Close();
      if (ec == asio::error::operation_aborted && timed_out_) {
        return RejectAndClose(beast::error::timeout);
      }
      // EOF inside a request: Beast's read loop reported it as a partial message (bytes still
      // buffered: the fast path was waiting for the rest of a body, see Parse).
      if (ec == asio::error::eof && ((parser_ && parser_->got_some()) || in_.size() > 0)) {
        return RejectAndClose(bhttp::error::partial_message);
      }
      return Close();
    }
    in_.commit(n);
    // The socket was empty after this recv, done on an epoll edge whose completion this is.
    drained_ = kPlain && n < read_size_ && read_op_.FromReactor();
    if (idle_) {
      idle_ = false;
      Arm(server_->options_.request_timeout);
    }
    Parse();
  }

  void Parse() {
    // A whole common request at the front of the buffer is framed without Beast (a header
    // section like the last one without even a scan), into req_ as the last request left it (its
    // buffers reused; every field is overwritten); anything else (and every refusal) goes
    // through Beast, into a cleared req_ (http_fast_parse.h, http_repeat_framer.h). A whole
    // header section whose body is still coming (python's http.client writes them separately)
    // waits for the rest and is framed here again.
    if (!parser_ || !parser_->got_some()) {
      auto bytes = in_.data();
      size_t need = 0;
      if (size_t used = framer_.Frame({static_cast<const char*>(bytes.data()), bytes.size()},
                                      server_->options_, &req_, &need)) {
        in_.consume(used);
        return OnRequest(11);
      }
      if (need != 0 && need <= kMaxRead) return ReadMore();
      req_.Clear();
      if (!parser_) parser_.emplace(server_->options_, &req_);
    }
    for (;;) {
      beast::error_code ec;
      size_t used = parser_->put(in_.data(), ec);
      in_.consume(used);
      if (ec == bhttp::error::need_more) {
        // Beast consumes body bytes as they come and bounds the header
        // section itself; bytes pile up unconsumed only inside a chunk-size
        // line or chunked trailers, which are never this long.
        if (in_.size() > server_->options_.max_header_bytes + kMaxRead) {
          return RejectAndClose(bhttp::error::header_limit);
        }
        return ReadMore();
      }
      if (ec) return RejectAndClose(ec);
      if (parser_->is_done()) return OnRequest(parser_->version());
      if (in_.size() == 0 || used == 0) return ReadMore();
    }
  }

  // The handler gets req_ itself. It may move from it, and may move it back before Handle
  // returns (ModelRouter does when it answered inline), so the next request on this connection
  // is framed into the same buffers. Nothing frames a request into req_ while Handle runs: an
  // answer written inside it starts the next read, never a parse (bytes already buffered are
  // parsed from a posted StartRequest, see OnWrite).
  void OnRequest(unsigned version) {
    Disarm();  // the handler may take its time; the write re-arms if it must wait
    version_ = version;
    parser_.reset();
    HttpRequest& req = req_;
    req.keep_alive = req.keep_alive && !server_->draining_.load(std::memory_order_relaxed);
    if (req.remote_address != remote_) req.remote_address = remote_;
    req.local_port = local_port_;
    req.received = Clock::now();
    keep_alive_ = req.keep_alive;
    head_only_ = req.method.size() == 4 && req.method == "HEAD";
    busy_ = true;
    server_->in_flight_.fetch_add(1, std::memory_order_relaxed);
    // An answer written inside Handle may wait for the next edge without a recv (OnWrite).
    answering_drained_ = drained_ && in_.size() == 0;
    drained_ = false;
    server_->handler_->Handle(req, Responder(shared_from_this()));
    answering_drained_ = false;
    // A large body is not kept for the next request (as body_ after a large answer).
    if (req_.body.capacity() > kKeepBuffer) req_.body = std::string();
  }

  void RejectAndClose(beast::error_code ec) {
    HttpResponse r = RefusalOf(ec, server_->options_);
    keep_alive_ = false;
    refused_ = true;
    version_ = 11;
    head_only_ = false;
    busy_ = true;
    server_->in_flight_.fetch_add(1, std::memory_order_relaxed);
    Write(r);
  }

  // Writes `r` (its body swapped into body_: r gets the previous body's storage back).
  void Write(HttpResponse& r) {
    StopGoneWatch();
    if (server_->draining_.load(std::memory_order_relaxed)) keep_alive_ = false;
    head_.clear();
    internal::AppendResponseHead(r, version_, keep_alive_, HttpDate(), &head_);
    // HEAD: same headers (Content-Length included), no body.
    if (head_only_ || !internal::ResponseHasBody(r.status)) {
      body_.clear();
    } else {
      body_.swap(r.body);
      r.body.clear();
    }
    if (kPlain && !body_.empty() && body_.size() <= kCoalesce) {
      head_.append(body_);  // one buffer (see the class comment)
      body_.clear();
    }
    sent_ = 0;
    if constexpr (kPlain) {
      beast::error_code ec;
      sent_ = body_.empty() ? Socket().write_some(asio::buffer(head_), ec)
                            : Socket().write_some(Pending(), ec);
      if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
        return OnWrite(ec);
      }
      if (sent_ == head_.size() + body_.size()) return OnWrite({});
    }
    // Short write (or TLS): finish under the request timeout.
    Arm(server_->options_.request_timeout);
    asio::async_write(
        stream_, Pending(),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
  }

  // What is left of head_ + body_ after sent_ bytes.
  std::array<asio::const_buffer, 2> Pending() const {
    if (sent_ < head_.size()) {
      return {asio::buffer(head_.data() + sent_, head_.size() - sent_),
              asio::buffer(body_.data(), body_.size())};
    }
    size_t off = sent_ - head_.size();
    return {asio::buffer(body_.data() + off, body_.size() - off), asio::const_buffer()};
  }

  void OnWrite(beast::error_code ec) {
    Disarm();
    busy_ = false;
    server_->in_flight_.fetch_sub(1, std::memory_order_relaxed);
    if (body_.capacity() > kKeepBuffer) body_ = std::string();
    if (!ec && refused_) return Linger();
    if (ec || !keep_alive_ || server_->draining_.load(std::memory_order_relaxed)) return Close();
    if constexpr (kPlain) {  // between two requests, nothing buffered: may move (io_balance.h)
      if (in_.size() == 0) {
        const size_t to = server_->balance_->MoveTarget(index_, *ctx_conns_);
        if (to != index_) return MoveTo(to);
      }
    }
    // Answered inside the handler called for a request whose recv emptied the socket, with
    // nothing buffered and no return to the scheduler since: no edge can have been consumed,
    // so the next read waits for the next edge without trying a recv first (plain_read.h).
    // This is the keep-alive hot path: one recv and one send per request, nothing posted.
    if (answering_drained_ && in_.size() == 0) {
      answering_drained_ = false;
      return StartRequest(/*skip_first=*/true);
    }
    // Otherwise (an answer from another thread or a later handler, a partial last read, a TLS
    // stream) the next request starts from the scheduler, not from inside this (possibly
    // inline) write: buffered pipelined requests cannot deepen the stack, and with nothing
    // buffered Asio's read (which tries a recv at once, nearly always EAGAIN right after the
    // answer) runs after the other connections ready in this round (64 connections: 0.86 ->
    // 0.6 failed recvs per request, +2.5% req/s).
    asio::post(*ctx_, [self = shared_from_this()] { self->StartRequest(); });
  }

  // After a refusal: send FIN, then read and drop (never parse) what the peer still sends for
  // up to a second, bounded, before closing: closing with unread bytes makes the kernel send a
  // reset, which can destroy the refusal before the client reads it (Envoy's delayed close).
  void Linger() {
    if constexpr (!kPlain) {
      return Close();
    } else {
      beast::error_code ignored;
      Socket().shutdown(tcp::socket::shutdown_send, ignored);
      Arm(std::chrono::seconds(1));
      LingerRead(0);
    }
  }

  void LingerRead(size_t dropped) {
    Socket().async_read_some(asio::buffer(probe_),
                             [self = shared_from_this(), dropped](beast::error_code ec, size_t n) {
                               if (ec || dropped + n > kMaxLinger) return self->Close();
                               self->LingerRead(dropped + n);
                             });
  }

  // Deadline for the current read or write: past it, pending socket
  // operations are cancelled and complete with operation_aborted.
  void Arm(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    deadline_ = CoarseNow() + timeout;
    if (deadline_ < timer_at_) StartTimer(deadline_);
  }

  void Disarm() { deadline_ = Clock::time_point::max(); }

  void StartTimer(Clock::time_point at) {
    timer_at_ = at;
    uint64_t gen = ++timer_gen_;
    timer_.expires_at(at);  // a pending wait completes with operation_aborted
    timer_.async_wait([self = shared_from_this(), gen](beast::error_code ec) {
      if (ec || gen != self->timer_gen_) return;  // superseded or cancelled
      self->OnTimer();
    });
  }

  void OnTimer() {
    timer_at_ = Clock::time_point::max();
    if (closed_ || deadline_ == Clock::time_point::max()) return;
    if (Clock::now() < deadline_) return StartTimer(deadline_);  // moved later since armed
    if (probe_due_) {
      probe_due_ = false;
      if constexpr (kPlain) {
        if (idle_ && !PeerHalfClosed()) {
          return Arm(server_->options_.idle_timeout - kHalfCloseProbe);  // the rest of it
        }
      }
    }
    timed_out_ = true;
    beast::error_code ignored;
    Socket().cancel(ignored);
  }

  // Whether the idle socket's next read would end the connection (EOF or an error), without
  // taking any byte of a next request: one non-blocking peek, only from the probe above.
  bool PeerHalfClosed() {
    char byte;
    ssize_t n = ::recv(Socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }

  // Streaming (chunked) responses: raw HTTP/1.1 framing over a write queue.
  void BeginStream(HttpResponse head) {
    streaming_ = true;
    std::string h = "HTTP/1.1 " + std::to_string(head.status) + " " +
                    std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(head.status))) +
                    "\r\nServer: ferry\r\nDate: " + HttpDate() + "\r\n";
    if (!head.content_type.empty()) h += "Content-Type: " + head.content_type + "\r\n";
    for (auto& [k, v] : head.headers) h += k + ": " + v + "\r\n";
    h += "Transfer-Encoding: chunked\r\n";
    if (!keep_alive_) h += "Connection: close\r\n";
    h += "\r\n";
    Disarm();  // a watch may stay open for a long time
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
      if (last) FinishStream();
      return;
    }
    write_queue_.push_back(std::move(bytes));
    if (last) end_queued_ = true;
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (write_queue_.empty()) {
      writing_ = false;
      if (end_queued_) FinishStream();
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

  void FinishStream() {
    streaming_ = false;
    end_queued_ = false;
    busy_ = false;
    server_->in_flight_.fetch_sub(1, std::memory_order_relaxed);
    // The probe read may still be pending on the socket, so the connection is
    // not reused after a stream.
    Close();
  }

  // Hands the socket to io_context `to`, where a new Connection serves its next request.
  void MoveTo(size_t to) {
    Close(/*keep_socket=*/true);
    if (!server_->Rehome(Socket(), to)) Close();
  }

  void Close(bool keep_socket = false) {
    closed_ = true;
    Disarm();
    timer_at_ = Clock::time_point::max();
    ++timer_gen_;
    timer_.cancel();
    if (keep_socket) return;
    beast::error_code ec;
    Socket().shutdown(tcp::socket::shutdown_both, ec);
    Socket().close(ec);
  }

  static constexpr size_t kMaxRead = 64 * 1024;      // per recv, as Beast's read loop
  static constexpr size_t kKeepBuffer = 64 * 1024;   // larger response buffers are freed
  static constexpr size_t kCoalesce = 4096;          // smaller bodies are sent with the head
  // After an inline keep-alive answer whose next read skipped its recv (OnWrite), how long
  // the connection may sit idle before one peek checks for a FIN that edge already carried.
  static constexpr std::chrono::milliseconds kHalfCloseProbe{250};
  static constexpr size_t kMaxLinger = 1024 * 1024;  // bytes dropped after a refusal

  // First, so it is released last: the socket and timer below need its io_context.
  std::shared_ptr<HttpServer::Impl> server_;
  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer in_;
  HttpRequest req_;  // being parsed
  internal::RepeatFramer framer_;  // frames common requests into req_ (Parse)
  std::optional<internal::RequestParser> parser_;
  std::string head_;  // response head being written
  std::string body_;  // response body being written
  size_t sent_ = 0;   // bytes of head_ + body_ already written
  IoContext* ctx_;
  asio::detail::reactor& reactor_;  // ctx_'s, for read_op_
  internal::PlainRead read_op_;      // plain sockets' read (ReadMore)
  size_t read_size_ = 0;             // bytes the pending read asked for
  bool drained_ = false;             // the last read emptied the socket (see OnBytes)
  bool answering_drained_ = false;   // inside Handle for such a request (see OnWrite)
  std::atomic<int64_t>* ctx_conns_;  // the open-connection count of ctx_
  size_t index_;                     // of ctx_ in the server's io_contexts
  std::list<std::weak_ptr<ConnectionBase>>::iterator self_it_;
  std::string remote_;
  uint16_t local_port_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool refused_ = false;  // the request was refused (4xx/5xx framing): linger, then close
  bool head_only_ = false;
  bool busy_ = false;
  bool idle_ = false;
  bool probe_due_ = false;  // idle after a skipped recv: peek once at kHalfCloseProbe
  bool closed_ = false;
  // deadline state (see Arm)
  bool timed_out_ = false;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point timer_at_ = Clock::time_point::max();  // pending wait, max = none
  uint64_t timer_gen_ = 0;
  // streaming state
  bool streaming_ = false;
  bool writing_ = false;
  bool end_queued_ = false;
  std::atomic<bool> stream_gone_{false};
  // client-gone watch of a request answered later (StartGoneWatch)
  bool watching_ = false;
  uint64_t watch_gen_ = 0;
  std::deque<std::string> write_queue_;
  char probe_[256];
};

}  // namespace ferry::http
