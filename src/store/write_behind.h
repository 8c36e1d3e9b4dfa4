// WriteBehind: ResourceStore's group commit. The store applies a change in
// memory and queues it here (under its own mutex, so in revision order); one
// writer thread takes everything queued so far and commits it to the
// Persister in one transaction — one fsync for a whole burst of changes,
// taken outside the store's mutex, so readers and other writers do not wait
// for the disk; an object changed several times in a batch is written once,
// in its last state. Sync() waits until every change queued before the call is
// committed: a writer that must acknowledge durably (the API server before it
// answers a write) calls it.
//
// A failed commit is reported by every later Sync() (the changes are in
// memory but not on disk; the message says what to fix).
//
// Threads: Queue and Sync from any thread; the destructor commits what is
// queued and stops the writer thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "store/persister.h"

namespace ferry::store {

class WriteBehind {
 public:
  explicit WriteBehind(std::unique_ptr<Persister> persister);
  ~WriteBehind();
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // `change.revision` must be above every one queued before.
  void Queue(Change change);
  Status Sync();

  // Commits so far (tests check that bursts share them).
  int64_t commits() const;

 private:
  void Run();

  std::unique_ptr<Persister> persister_;
  mutable std::mutex mu_;
  std::condition_variable wake_;       // work queued or stopping
  std::condition_variable committed_;  // durable_ moved or a commit failed
  std::vector<Change> pending_;        // guarded by mu_
  int64_t queued_ = 0;                 // last revision queued; guarded by mu_
  int64_t durable_ = 0;                // last revision committed (or failed); guarded by mu_
  int64_t commits_ = 0;                // guarded by mu_
  Status error_;                       // the first failed commit; guarded by mu_
  bool stop_ = false;                  // guarded by mu_
  std::thread thread_;
};

}  // namespace ferry::store
