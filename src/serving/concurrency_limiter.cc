#include "serving/concurrency_limiter.h"

#include <utility>

namespace ferry::serving {

ConcurrencyLimiter::ConcurrencyLimiter(int capacity, int queue_depth,
                                       Metrics::ModelCounters* counters)
    : capacity_(capacity < 1 ? 1 : capacity),
      queue_depth_(queue_depth < 0 ? 0 : queue_depth),
      counters_(counters) {
  if (counters_ != nullptr) counters_->concurrency_limit.store(capacity_);
}

ConcurrencyLimiter::~ConcurrencyLimiter() {
  // A retired revision's requests have all left (the entry outlives them).
  std::lock_guard<std::mutex> lock(mu_);
  Count(-in_flight_, -static_cast<int64_t>(queue_.size()));
}

void ConcurrencyLimiter::Count(int64_t in_flight_delta, int64_t queued_delta) {
  if (counters_ == nullptr) return;
  if (in_flight_delta != 0) counters_->in_flight.fetch_add(in_flight_delta);
  if (queued_delta != 0) counters_->queued.fetch_add(queued_delta);
}

bool ConcurrencyLimiter::Enter(std::function<void()> start) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_flight_ >= capacity_) {
      if (queue_.size() >= static_cast<size_t>(queue_depth_)) return false;
      queue_.push_back(std::move(start));
      Count(0, 1);
      return true;
    }
    ++in_flight_;
    Count(1, 0);
  }
  start();
  return true;
}

void ConcurrencyLimiter::Leave() {
  // Hand-overs started from inside a hand-over on this thread join the outer
  // loop instead of nesting.
  thread_local std::deque<std::function<void()>>* draining = nullptr;
  std::function<void()> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) {
      --in_flight_;
      Count(-1, 0);
      return;
    }
    // The slot passes straight to the oldest waiting request.
    next = std::move(queue_.front());
    queue_.pop_front();
    Count(0, -1);
  }
  if (draining != nullptr) {
    draining->push_back(std::move(next));
    return;
  }
  std::deque<std::function<void()>> local;
  draining = &local;
  local.push_back(std::move(next));
  while (!local.empty()) {
    std::function<void()> run = std::move(local.front());
    local.pop_front();
    run();
  }
  draining = nullptr;
}

int ConcurrencyLimiter::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

int ConcurrencyLimiter::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queue_.size());
}

std::string ConcurrencyLimiter::RefusalMessage(const std::string& model) const {
  return "model " + model + " is at its concurrency limit: " + std::to_string(capacity_) +
         " request(s) in progress (spec.predictor.containerConcurrency: " +
         std::to_string(capacity_) + ") and " + std::to_string(queue_depth_) +
         " waiting (the queue holds 10 x containerConcurrency); retry later, or raise "
         "spec.predictor.containerConcurrency";
}

}  // namespace ferry::serving
