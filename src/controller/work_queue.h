// WorkQueue: the controller's queue of WorkKeys (client-go's delaying work
// queue, reduced to what one worker needs).
//
// A key is queued at most once: adding a key that is already waiting does
// nothing, so a burst of events for one object becomes one reconcile. A key
// taken by the worker may be added again while it is being reconciled; it
// then runs once more afterwards. AddAfter keeps, per key, the earliest time
// asked for. Stop() wakes the worker; after it, Next returns false and adds
// are ignored.
//
// Threads: every method is thread-safe (watch threads and the loader pool
// add; the worker takes).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "controller/work_key.h"

namespace ferry::controller {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  void Add(const WorkKey& key);
  void AddAfter(const WorkKey& key, std::chrono::milliseconds delay);

  // Blocks until a key is due (then removes and returns it) or the queue stops.
  bool Next(WorkKey* key) { return NextUntil(key, Clock::time_point::max()); }
  // Like Next, but gives up at `deadline` (false).
  bool NextUntil(WorkKey* key, Clock::time_point deadline);

  // Nothing is ready to run now (keys waiting for their delay do not count).
  bool Idle() const;
  void Stop();

 private:
  void PromoteDue(Clock::time_point now);  // requires mu_

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WorkKey> ready_;                                // guarded by mu_
  std::set<WorkKey> queued_;                                 // keys in ready_; guarded by mu_
  std::map<WorkKey, Clock::time_point> delayed_;             // guarded by mu_
  std::set<std::pair<Clock::time_point, WorkKey>> by_time_;  // delayed_ ordered; guarded by mu_
  bool stopped_ = false;                                     // guarded by mu_
};

}  // namespace ferry::controller
