// Dispatcher: sends payload-log events off the request path. Enqueue (called on I/O and executor
// threads) takes a short mutex, never waits for room and never touches the network: a full queue
// (by count or by bytes) drops the event and counts it. One or two sender threads take what is
// queued at once (swapping the queue's vector with their own emptied one, so neither side
// allocates in steady state), in order, and POST it; a transport failure, 429 or 5xx is retried
// with exponential backoff (BackoffDelay) up to max_attempts, then counted failed; any other
// non-2xx fails at once. So a receiver that is down or slow costs queue slots and sender time,
// never an inference's latency.
//
// Counters (sent, failed, dropped, retries, queued) are rendered for GET /metrics by
// RenderMetrics in Prometheus text format.
//
// Threads: every method is thread-safe. Ownership: the composition root (main) owns the
// Dispatcher and shuts it down after the listeners stopped; what is still queued then is dropped
// (counted) — logging never holds up a shutdown beyond the send in progress (its timeout).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "logger/event.h"

namespace ferry::logger {

struct SendOutcome {
  bool ok = false;         // 2xx
  bool retryable = false;  // transport failure, 429, 5xx
  std::string detail;      // why it failed ("connection refused", "HTTP 503")
};

// POSTs a batch of events, in order, and says how each went (called on a sender thread; may
// block up to the options' timeout per connection step). Returns one outcome per event.
using Transport = std::function<std::vector<SendOutcome>(const std::vector<const Event*>&)>;

struct DispatcherOptions {
  size_t max_events = 4096;
  size_t max_bytes = 64u << 20;
  int threads = 2;
  // A sender woken by a first event waits up to `linger` for this many before it takes what is
  // queued (all of it, pipelined on one connection): under load one wake-up and one write
  // carry many events instead of one each. Only an idle or lingering sender is ever woken.
  size_t batch = 256;
  std::chrono::milliseconds linger{5};
  int max_attempts = 3;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
  std::chrono::milliseconds timeout{5000};  // per POST (connect + answer), the curl transport's
};

// The wait before attempt `attempt` (2, 3, ...): initial_backoff doubling, at most max_backoff.
std::chrono::milliseconds BackoffDelay(const DispatcherOptions& options, int attempt);

// The default transport: http:// receivers get a batch as pipelined HTTP/1.1 requests on one
// kept-alive connection per sender thread (http_pipeline.cc); https:// ones go through libcurl,
// one request at a time on a kept-alive handle.
Transport DefaultTransport(std::chrono::milliseconds timeout);

class Dispatcher {
 public:
  // A null transport means DefaultTransport(options.timeout).
  explicit Dispatcher(DispatcherOptions options, Transport transport = nullptr);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Queues `e`; false (and counted dropped) when the queue is full or shut down.
  bool Enqueue(Event e);
  // Stops the senders after their current attempt; queued events are counted dropped.
  // Idempotent.
  void Shutdown();

  struct Counts {
    uint64_t sent = 0, failed = 0, dropped = 0, retries = 0;
    size_t queued = 0;
  };
  Counts counts() const;
  void RenderMetrics(std::string& out) const;

 private:
  void Run();
  // Sends with retries (the failed ones of a batch again, after a backoff).
  void Deliver(const std::vector<Event>& batch);

  const DispatcherOptions options_;
  Transport transport_;
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;     // senders waiting for a first event
  std::condition_variable linger_cv_;   // the sender waiting for a batch to fill
  std::condition_variable backoff_cv_;  // senders waiting to retry (woken by Shutdown only)
  std::vector<Event> queue_;            // guarded by mu_
  size_t queued_bytes_ = 0;             // guarded by mu_
  int idle_ = 0;                        // guarded by mu_: senders in idle_cv_
  int lingering_ = 0;                   // guarded by mu_: senders in linger_cv_
  bool stopping_ = false;               // guarded by mu_
  std::atomic<uint64_t> sent_{0}, failed_{0}, dropped_{0}, retries_{0};
  std::vector<std::thread> threads_;
};

}  // namespace ferry::logger
