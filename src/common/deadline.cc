#include "common/deadline.h"

#include <algorithm>
#include <string>

namespace ferry {
namespace {

struct ThreadDeadline {
  DeadlineClock::time_point at = kNoDeadline;
  std::string_view what;
};

thread_local ThreadDeadline t_deadline;

}  // namespace

ScopedDeadline::ScopedDeadline(DeadlineClock::time_point deadline, std::string_view what)
    : prev_deadline_(t_deadline.at), prev_what_(t_deadline.what) {
  if (deadline < t_deadline.at) {
    t_deadline.at = deadline;
    t_deadline.what = what;
  }
}

ScopedDeadline::~ScopedDeadline() {
  t_deadline.at = prev_deadline_;
  t_deadline.what = prev_what_;
}

DeadlineClock::time_point CurrentDeadline() { return t_deadline.at; }

std::string_view CurrentDeadlineWhat() { return t_deadline.what; }

Status CheckDeadline() {
  if (t_deadline.at == kNoDeadline) return OkStatus();
  auto now = DeadlineClock::now();
  if (now < t_deadline.at) return OkStatus();
  auto late = std::chrono::duration_cast<std::chrono::milliseconds>(now - t_deadline.at).count();
  return DeadlineExceededError((t_deadline.what.empty() ? std::string("work")
                                                        : std::string(t_deadline.what)) +
                               " ran past its deadline (stopped " + std::to_string(late) +
                               " ms after it)");
}

}  // namespace ferry
