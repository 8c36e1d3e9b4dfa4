// PlainRead: the read of a plain-socket Connection (http_connection.h), an Asio reactor
// operation of our own so that the read after an inline answer costs no system call.
// Private to ferry_http.
//
// Why: Asio 1.74 starts every socket read with a recv at once. Right after a keep-alive
// response that recv fails (EAGAIN: the client has not read the answer yet), and the read
// then waits for the socket's next epoll edge anyway: one wasted system call (about 1 µs on
// this VM) per request. A readiness wait (async_wait) is no better: it re-arms the descriptor
// with epoll_ctl. nginx instead waits for the edge. PlainRead does the same when it is safe:
// Start(skip_first = true) queues the read on the reactor without trying it, and the recv
// happens when epoll reports the socket readable.
//
// When it is safe (the caller decides, see Connection::OnWrite): the descriptor is registered
// edge-triggered, so a skipped try loses nothing as long as no edge for this socket has been
// consumed since the last recv drained the socket. That holds when (1) the last recv returned
// fewer bytes than asked (the socket was empty then), (2) that recv was done by the reactor on
// an epoll event and its completion ran straight from there (FromReactor(): not a recv tried
// inside Start, whose completion is posted and may run after another epoll_wait), and (3)
// everything since — parse, handler, response write — ran in that same call, with no return
// to the scheduler. Bytes that arrive after that recv raise a new edge that the next
// epoll_wait delivers to the queued read.
//
// One case escapes (1): a FIN that came in the same epoll edge as the request's bytes. The recv
// returns those bytes, fewer than asked, and says nothing of the FIN behind them; no new edge
// follows. The connection therefore peeks once when it has sat idle kHalfCloseProbe (250 ms)
// after a skipped recv (Connection::OnTimer, riding the connection's lazy deadline timer):
// EOF or an error closes it then, instead of at the keep-alive idle timeout (65 s).
//
// Threads: everything runs on the connection's io_context thread. Lifetime: the op is a member
// of its connection; while queued it holds `keep` (the connection), released before the
// completion callback returns, so the op is never destroyed while the reactor owns it.
#pragma once

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <utility>

namespace ferry::http::internal {

class PlainRead : public boost::asio::detail::reactor_op {
 public:
  using Done = void (*)(void* target, const boost::system::error_code& ec, size_t n);

  PlainRead() : reactor_op(boost::system::error_code(), &Perform, &Complete) {}
  PlainRead(const PlainRead&) = delete;
  PlainRead& operator=(const PlainRead&) = delete;

  // The socket's reactor (once per connection: use_service takes a lock).
  static boost::asio::detail::reactor& ReactorOf(boost::asio::io_context& ctx) {
    return boost::asio::use_service<boost::asio::detail::reactor>(ctx);
  }

  // Reads up to `size` bytes into `data` from `socket` (non-blocking, as the connection sets
  // it); `done(target, ec, n)` runs on the io_context thread. `skip_first`: do not try the recv
  // now, wait for the socket's next edge (only when safe, see above).
  void Start(boost::asio::detail::reactor& reactor, boost::asio::ip::tcp::socket& socket,
             char* data, size_t size, bool skip_first, std::shared_ptr<void> keep, Done done,
             void* target) {
    auto& impl = socket.*(&Access::impl_);
    auto& state = impl.get_implementation();
    ec_ = boost::system::error_code();
    bytes_transferred_ = 0;
    fd_ = state.socket_;
    data_ = data;
    size_ = size;
    skip_ = skip_first;
    from_reactor_ = false;
    keep_ = std::move(keep);
    done_ = done;
    target_ = target;
    in_start_ = true;
    reactor.start_op(boost::asio::detail::reactor::read_op, state.socket_, state.reactor_data_,
                     this, false, true);
    in_start_ = false;
  }

  // Whether the data now being completed was received by the reactor on an epoll event (and
  // this completion runs straight from it), not tried at once inside Start.
  bool FromReactor() const { return from_reactor_; }

 private:
  // The protected member of basic_socket that holds the descriptor and its reactor data.
  struct Access : boost::asio::ip::tcp::socket {
    using boost::asio::ip::tcp::socket::impl_;
  };

  static status Perform(reactor_op* base) {
    auto* op = static_cast<PlainRead*>(base);
    if (op->skip_) {
      op->skip_ = false;
      return not_done;
    }
    op->from_reactor_ = !op->in_start_;
    return boost::asio::detail::socket_ops::non_blocking_recv1(
               op->fd_, op->data_, op->size_, 0, true, op->ec_, op->bytes_transferred_)
               ? done
               : not_done;
  }

  // owner == nullptr: the io_context is being destroyed with the read queued.
  static void Complete(void* owner, boost::asio::detail::operation* base,
                       const boost::system::error_code&, size_t) {
    auto* op = static_cast<PlainRead*>(base);
    std::shared_ptr<void> keep = std::move(op->keep_);  // the connection, for this call
    if (owner == nullptr) return;
    op->done_(op->target_, op->ec_, op->bytes_transferred_);
  }

  boost::asio::detail::socket_type fd_ = -1;
  char* data_ = nullptr;
  size_t size_ = 0;
  bool skip_ = false;
  bool in_start_ = false;
  bool from_reactor_ = false;
  std::shared_ptr<void> keep_;
  Done done_ = nullptr;
  void* target_ = nullptr;
};

}  // namespace ferry::http::internal
