// ConcurrencyLimiter: KServe's spec.predictor.containerConcurrency with the
// semantics of Knative's queue-proxy breaker — at most `capacity` requests in
// the model at once; up to `queue_depth` more wait (queue-proxy sizes its
// queue 10 × containerConcurrency); past that a request is refused at once
// (the caller answers 503). Waiting requests start in arrival order.
//
// Callers are asynchronous (I/O threads never block): Enter() takes the
// request's start function and either runs it now, keeps it for later, or
// refuses it; every started request calls Leave() exactly once when it has
// answered, which starts the next waiting one on the calling thread. Chains
// of hand-overs run in a loop, not by recursion, so a long queue of fast
// requests cannot grow the stack.
//
// Thread-safe (one mutex, held only to count and queue). In-flight and queued
// counts are mirrored into the model's Metrics counters for /metrics. Owned
// by the ModelEntry (shared_ptr) of one served revision.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "serving/metrics.h"

namespace ferry::serving {

class ConcurrencyLimiter {
 public:
  // Knative queue-proxy's queue depth for a containerConcurrency of `capacity`.
  static int DefaultQueueDepth(int capacity) { return 10 * capacity; }

  // capacity >= 1, queue_depth >= 0; counters may be null.
  ConcurrencyLimiter(int capacity, int queue_depth, Metrics::ModelCounters* counters = nullptr);
  ~ConcurrencyLimiter();

  // Runs `start` now (on this thread) when a slot is free, or later on the
  // thread whose Leave() frees one; false, `start` dropped, when all slots
  // are taken and the queue is full.
  bool Enter(std::function<void()> start);
  // Ends one started request and starts the next waiting one, if any.
  void Leave();

  int capacity() const { return capacity_; }
  int queue_depth() const { return queue_depth_; }
  int in_flight() const;
  int queued() const;

  // The 503 body for a refused request of `model`: names it, the limit and the fix.
  std::string RefusalMessage(const std::string& model) const;

 private:
  void Count(int64_t in_flight_delta, int64_t queued_delta);

  const int capacity_;
  const int queue_depth_;
  Metrics::ModelCounters* const counters_;
  mutable std::mutex mu_;
  int in_flight_ = 0;                        // guarded by mu_
  std::deque<std::function<void()>> queue_;  // guarded by mu_
};

}  // namespace ferry::serving
