// IoBalance: which I/O thread a new connection goes to, and when a keep-alive connection moves.
// Private to ferry_http (HttpServer::Impl owns one).
//
// Connections are packed onto the fewest I/O threads that keep up: a new connection goes to the
// lowest-numbered thread that was busy less than pack_below of the last window, and a thread
// busy more than shed_above moves half of its connections, one at a time between two requests,
// to the least busy thread if that one is below pack_below. Busy = the thread's CPU time over
// wall time (its CPU clock, sampled at most every kWindowNs). One thread serving every connection
// of a light load sleeps and wakes far less often than two half-idle ones (bench/RESULTS.md,
// "Server CPU per request"); a saturated thread hands work to an idle one.
#pragma once

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

namespace ferry::http::internal {

class IoBalance {
 public:
  static constexpr int64_t kWindowNs = 100'000'000;

  struct Policy {
    bool pack = true;  // false: place by open connections only (the fewest), never move
    int pack_below = 500;  // per mille of the window
    int shed_above = 900;  // per mille of the window
    unsigned check_every = 1024;  // answers per thread between shed checks (at least 1)
  };

  IoBalance(size_t threads, const Policy& policy);

  // The thread running io_context `i` (after it has started).
  void SetThread(size_t i, pthread_t thread);

  // Where a new connection goes; `conns[i]` = open connections of thread i.
  size_t Place(const std::atomic<int64_t>* conns);

  // On thread `i` after a keep-alive answer with nothing buffered: the thread this connection
  // should move to, or `i`. `conns_i` = open connections of thread i.
  size_t MoveTarget(size_t i, int64_t conns_i) {
    PerThread& t = threads_[i];
    if (!policy_.pack) return i;
    if (--t.until_check == 0) {
      t.until_check = policy_.check_every;
      Check(i, conns_i);
    }
    if (t.shed <= 0) return i;
    --t.shed;
    return t.shed_to;
  }

  // The busy fraction (per mille) of thread `i` in the last window; for tests and logs.
  int Busy(size_t i);

 private:
  struct alignas(64) PerThread {
    clockid_t clock{};
    bool has_clock = false;
    int64_t cpu_ns = 0;  // at the last sample (under mu_)
    std::atomic<int> busy{0};
    // Thread i's own (MoveTarget and Check run on it):
    int64_t shed = 0;        // connections still to move
    size_t shed_to = 0;      // where
    unsigned until_check = 1;  // answers until the next Check
  };

  void Check(size_t i, int64_t conns_i);
  void SampleLocked(int64_t now_ns);  // every thread's busy, when the window has passed

  const size_t n_;
  Policy policy_;
  std::unique_ptr<PerThread[]> threads_;
  std::mutex mu_;
  int64_t sampled_at_ns_ = 0;  // guarded by mu_
};

}  // namespace ferry::http::internal
