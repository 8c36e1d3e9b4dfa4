// The deadline of the work running on this thread, for long computations that
// cannot be interrupted from outside (a predict over many rows): the caller
// sets it with ScopedDeadline, the loop calls CheckDeadline() between chunks
// and stops with DEADLINE_EXCEEDED once it has passed.
//
// Threads: the deadline is thread_local; each thread sees only its own.
#pragma once

#include <chrono>
#include <string_view>

#include "common/status.h"

namespace ferry {

using DeadlineClock = std::chrono::steady_clock;

// No deadline.
inline constexpr DeadlineClock::time_point kNoDeadline = DeadlineClock::time_point::max();

// Sets this thread's deadline for its lifetime (nests: the earlier deadline
// wins; the previous one is restored on destruction). `what` names the work
// in the error, e.g. "predict of model iris"; it must outlive the scope (no
// copy: this sits on every predict).
class ScopedDeadline {
 public:
  ScopedDeadline(DeadlineClock::time_point deadline, std::string_view what);
  ~ScopedDeadline();
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;

 private:
  DeadlineClock::time_point prev_deadline_;
  std::string_view prev_what_;
};

// This thread's deadline (kNoDeadline when none is set), and the work it names.
DeadlineClock::time_point CurrentDeadline();
std::string_view CurrentDeadlineWhat();

// OK, or DEADLINE_EXCEEDED naming the work and how far past its deadline it is.
Status CheckDeadline();

}  // namespace ferry
