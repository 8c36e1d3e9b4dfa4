#include "controller/work_queue.h"

namespace ferry::controller {

void WorkQueue::Add(const WorkKey& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || !queued_.insert(key).second) return;
    ready_.push_back(key);
  }
  cv_.notify_one();
}

void WorkQueue::AddAfter(const WorkKey& key, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) {
    Add(key);
    return;
  }
  Clock::time_point due = Clock::now() + delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    auto it = delayed_.find(key);
    if (it != delayed_.end()) {
      if (it->second <= due) return;  // an earlier wish stands
      by_time_.erase({it->second, key});
      it->second = due;
    } else {
      delayed_.emplace(key, due);
    }
    by_time_.emplace(due, key);
  }
  cv_.notify_one();
}

void WorkQueue::PromoteDue(Clock::time_point now) {
  while (!by_time_.empty() && by_time_.begin()->first <= now) {
    WorkKey key = by_time_.begin()->second;
    by_time_.erase(by_time_.begin());
    delayed_.erase(key);
    if (queued_.insert(key).second) ready_.push_back(std::move(key));
  }
}

bool WorkQueue::NextUntil(WorkKey* key, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stopped_) return false;
    PromoteDue(Clock::now());
    if (!ready_.empty()) break;
    Clock::time_point wake =
        by_time_.empty() ? deadline : std::min(deadline, by_time_.begin()->first);
    if (wake == Clock::time_point::max()) {
      cv_.wait(lock);
    } else if (cv_.wait_until(lock, wake) == std::cv_status::timeout && Clock::now() >= deadline) {
      PromoteDue(Clock::now());
      if (ready_.empty()) return false;
      break;
    }
  }
  *key = std::move(ready_.front());
  ready_.pop_front();
  queued_.erase(*key);
  return true;
}

bool WorkQueue::Idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.empty() && (by_time_.empty() || by_time_.begin()->first > Clock::now());
}

void WorkQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace ferry::controller
