// Reconciler: the one-method contract every kind of controller work follows
// (after controller-runtime's reconcile.Reconciler).
//
// Reconcile(key) is level-based and idempotent: it reads the object the key
// names as it is now, makes the world match it, and reports when it wants to
// run again. It never learns which event caused it, so any number of calls in
// any order converge on the same result; a missing object means "clean up".
// The controller calls every Reconciler on its single worker thread only, so
// reconcilers share worker-thread state without locks.
#pragma once

#include <algorithm>
#include <chrono>

#include "controller/work_key.h"

namespace ferry::controller {

struct ReconcileResult {
  bool requeue = false;                        // again as soon as possible (a write raced)
  std::chrono::milliseconds requeue_after{0};  // again after this long (> 0)

  // The sooner of two wishes (a reconciler made of steps returns one result).
  ReconcileResult Merge(const ReconcileResult& other) const {
    ReconcileResult out;
    out.requeue = requeue || other.requeue;
    bool both = requeue_after.count() > 0 && other.requeue_after.count() > 0;
    out.requeue_after = both ? std::min(requeue_after, other.requeue_after)
                             : std::max(requeue_after, other.requeue_after);
    return out;
  }
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual ReconcileResult Reconcile(const WorkKey& key) = 0;
};

}  // namespace ferry::controller
