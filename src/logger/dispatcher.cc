#include "logger/dispatcher.h"

#include <algorithm>
#include <cstdio>

namespace ferry::logger {

std::chrono::milliseconds BackoffDelay(const DispatcherOptions& options, int attempt) {
  std::chrono::milliseconds d = options.initial_backoff;
  for (int i = 2; i < attempt && d < options.max_backoff; ++i) d *= 2;
  return std::min(d, options.max_backoff);
}

Dispatcher::Dispatcher(DispatcherOptions options, Transport transport)
    : options_(std::move(options)), transport_(std::move(transport)) {
  if (!transport_) transport_ = DefaultTransport(options_.timeout);
  int n = std::max(1, options_.threads);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

Dispatcher::~Dispatcher() { Shutdown(); }

bool Dispatcher::Enqueue(Event e) {
  size_t bytes = e.Bytes();
  std::condition_variable* wake = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_events ||
        queued_bytes_ + bytes > options_.max_bytes) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queued_bytes_ += bytes;
    queue_.push_back(std::move(e));
    // A busy sender takes the queue when it is done; only a waiting one needs a wake-up (a
    // futex call each), and a lingering one only once its batch is full.
    if (idle_ > 0 && queue_.size() == 1) {
      wake = &idle_cv_;
    } else if (lingering_ > 0 && queue_.size() == std::max<size_t>(1, options_.batch)) {
      wake = &linger_cv_;
    }
  }
  if (wake != nullptr) wake->notify_one();
  return true;
}

void Dispatcher::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
    queue_.clear();
    queued_bytes_ = 0;
  }
  idle_cv_.notify_all();
  linger_cv_.notify_all();
  backoff_cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Dispatcher::Run() {
  const size_t batch_size = std::max<size_t>(1, options_.batch);
  std::vector<Event> batch;  // swapped with queue_: its capacity is reused, not reallocated
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    ++idle_;
    idle_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (!stopping_ && queue_.size() < batch_size) {
      ++lingering_;
      linger_cv_.wait_for(lock, options_.linger,
                          [&] { return stopping_ || queue_.size() >= batch_size; });
      --lingering_;
    }
    if (stopping_) return;
    if (queue_.empty()) continue;  // the other sender took them
    batch.swap(queue_);
    queued_bytes_ = 0;
    lock.unlock();
    Deliver(batch);
    batch.clear();
    lock.lock();
  }
}

void Dispatcher::Deliver(const std::vector<Event>& batch) {
  std::vector<const Event*> pending;
  pending.reserve(batch.size());
  for (const Event& e : batch) pending.push_back(&e);
  for (int attempt = 1; !pending.empty(); ++attempt) {
    std::vector<SendOutcome> out = transport_(pending);
    std::vector<const Event*> again;
    for (size_t i = 0; i < pending.size(); ++i) {
      const SendOutcome o = i < out.size() ? out[i] : SendOutcome{false, true, "not sent"};
      if (o.ok) {
        sent_.fetch_add(1, std::memory_order_relaxed);
      } else if (o.retryable && attempt < options_.max_attempts) {
        again.push_back(pending[i]);
      } else {
        failed_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (again.empty()) return;
    retries_.fetch_add(again.size(), std::memory_order_relaxed);
    std::unique_lock<std::mutex> lock(mu_);
    // Shutdown cuts the backoff short.
    if (backoff_cv_.wait_for(lock, BackoffDelay(options_, attempt + 1),
                             [&] { return stopping_; })) {
      failed_.fetch_add(again.size(), std::memory_order_relaxed);
      return;
    }
    pending = std::move(again);
  }
}

Dispatcher::Counts Dispatcher::counts() const {
  Counts c;
  c.sent = sent_.load(std::memory_order_relaxed);
  c.failed = failed_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.retries = retries_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  c.queued = queue_.size();
  return c;
}

void Dispatcher::RenderMetrics(std::string& out) const {
  Counts c = counts();
  auto counter = [&out](const char* name, const char* help, uint64_t v, const char* type) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(v) + "\n";
  };
  counter("ferry_payload_log_events_sent_total",
          "Payload-log CloudEvents the receiver accepted (2xx).", c.sent, "counter");
  counter("ferry_payload_log_events_failed_total",
          "Payload-log CloudEvents given up after retries or refused by the receiver.", c.failed,
          "counter");
  counter("ferry_payload_log_events_dropped_total",
          "Payload-log CloudEvents dropped because the send queue was full.", c.dropped,
          "counter");
  counter("ferry_payload_log_retries_total", "Payload-log send attempts retried.", c.retries,
          "counter");
  counter("ferry_payload_log_events_queued", "Payload-log CloudEvents waiting to be sent.",
          c.queued, "gauge");
}

}  // namespace ferry::logger
