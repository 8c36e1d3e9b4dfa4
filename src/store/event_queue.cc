#include <chrono>
#include <condition_variable>
#include <deque>
#include <nlohmann/json.hpp>

#include "store/resource_store.h"

namespace ferry::store {

struct EventQueue::State {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<WatchEvent> events;
  bool stopped = false;
};

StatusOr<std::unique_ptr<EventQueue>> EventQueue::Start(ResourceStore* store,
                                                        std::string_view resource,
                                                        Selector selector, int64_t from_rv) {
  std::unique_ptr<EventQueue> q(new EventQueue());
  q->state_ = std::make_shared<State>();
  std::weak_ptr<State> weak = q->state_;
  ASSIGN_OR_RETURN(
      q->sub_, store->Watch(resource, std::move(selector), from_rv, [weak](const WatchEvent& e) {
        auto s = weak.lock();
        if (!s) return;
        std::lock_guard<std::mutex> l(s->mu);
        s->events.push_back(e);
        s->cv.notify_one();
      }));
  return q;
}

EventQueue::~EventQueue() { Stop(); }

bool EventQueue::Next(int timeout_ms, WatchEvent* event) {
  std::unique_lock<std::mutex> l(state_->mu);
  state_->cv.wait_for(l, std::chrono::milliseconds(timeout_ms),
                      [&] { return state_->stopped || !state_->events.empty(); });
  if (state_->stopped || state_->events.empty()) return false;
  *event = std::move(state_->events.front());
  state_->events.pop_front();
  return true;
}

void EventQueue::Stop() {
  if (sub_) sub_->Cancel();
  std::lock_guard<std::mutex> l(state_->mu);
  state_->stopped = true;
  state_->cv.notify_all();
}

}  // namespace ferry::store
