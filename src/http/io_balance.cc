#include "http/io_balance.h"

#include <algorithm>

namespace ferry::http::internal {
namespace {

int64_t ClockNs(clockid_t clock) {
  timespec ts;
  if (clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

IoBalance::IoBalance(size_t threads, const Policy& policy)
    : n_(threads), policy_(policy), threads_(std::make_unique<PerThread[]>(threads)) {
  if (policy_.check_every == 0) policy_.check_every = 1;
}

void IoBalance::SetThread(size_t i, pthread_t thread) {
  std::lock_guard<std::mutex> lock(mu_);
  PerThread& t = threads_[i];
  t.has_clock = pthread_getcpuclockid(thread, &t.clock) == 0;
  t.cpu_ns = t.has_clock ? ClockNs(t.clock) : 0;
  if (sampled_at_ns_ == 0) sampled_at_ns_ = ClockNs(CLOCK_MONOTONIC);
}

void IoBalance::SampleLocked(int64_t now_ns) {
  const int64_t wall = now_ns - sampled_at_ns_;
  if (sampled_at_ns_ == 0 || wall < kWindowNs) return;
  for (size_t i = 0; i < n_; ++i) {
    PerThread& t = threads_[i];
    if (!t.has_clock) continue;
    const int64_t cpu = ClockNs(t.clock);
    const int64_t busy = std::clamp<int64_t>((cpu - t.cpu_ns) * 1000 / wall, 0, 1000);
    t.cpu_ns = cpu;
    t.busy.store(static_cast<int>(busy), std::memory_order_relaxed);
  }
  sampled_at_ns_ = now_ns;
}

int IoBalance::Busy(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  SampleLocked(ClockNs(CLOCK_MONOTONIC));
  return threads_[i].busy.load(std::memory_order_relaxed);
}

size_t IoBalance::Place(const std::atomic<int64_t>* conns) {
  size_t fewest = 0;
  for (size_t i = 1; i < n_; ++i) {
    if (conns[i].load(std::memory_order_relaxed) < conns[fewest].load(std::memory_order_relaxed)) {
      fewest = i;
    }
  }
  if (!policy_.pack || n_ == 1) return fewest;
  std::lock_guard<std::mutex> lock(mu_);
  SampleLocked(ClockNs(CLOCK_MONOTONIC));
  size_t least = 0;
  for (size_t i = 0; i < n_; ++i) {
    const int busy = threads_[i].busy.load(std::memory_order_relaxed);
    if (busy < policy_.pack_below) return i;
    if (busy < threads_[least].busy.load(std::memory_order_relaxed)) least = i;
  }
  return least;
}

void IoBalance::Check(size_t i, int64_t conns_i) {
  std::lock_guard<std::mutex> lock(mu_);
  SampleLocked(ClockNs(CLOCK_MONOTONIC));
  PerThread& t = threads_[i];
  int64_t shed = 0;
  size_t to = i;
  if (t.busy.load(std::memory_order_relaxed) > policy_.shed_above && conns_i > 1) {
    for (size_t j = 0; j < n_; ++j) {
      if (j == i) continue;
      const int busy = threads_[j].busy.load(std::memory_order_relaxed);
      if (busy < policy_.pack_below &&
          (to == i || busy < threads_[to].busy.load(std::memory_order_relaxed))) {
        to = j;
      }
    }
    if (to != i) shed = conns_i / 2;
  }
  t.shed_to = to;
  t.shed = shed;
}

}  // namespace ferry::http::internal
