#include "serving/executor.h"

#include <algorithm>
#include <system_error>

namespace ferry::serving {

Executor::Executor(int threads, size_t max_queue)
    : thread_count_(std::max(threads, 1)), max_queue_(max_queue) {}

Executor::~Executor() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
}

bool Executor::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(task));
    // The new workers wait for mu_, then find the task. A thread the system refuses leaves the
    // ones already running to drain the queue; with none, the task is refused like a full queue.
    try {
      while (threads_.size() < static_cast<size_t>(thread_count_)) {
        threads_.emplace_back([this] { Work(); });
      }
    } catch (const std::system_error&) {
      if (threads_.empty()) {
        queue_.pop_back();
        return false;
      }
    }
  }
  cv_.notify_one();
  return true;
}

void Executor::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace ferry::serving
