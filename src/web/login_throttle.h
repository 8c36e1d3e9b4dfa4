// Failed sign-ins counted per account and per client address, with a delay
// that doubles past a few free failures. A blocked sign-in is answered at
// once (429 with Retry-After by the caller) — nothing sleeps on a listener
// thread. A success clears the account's count, not the address's (else one
// valid account would reset an attacker's address between guesses); counts
// are forgotten after an hour without failures, and the tables are bounded.
//
// Accounts are counted whether or not they exist, so the answers do not tell
// which do. Time is passed in (tests drive it). Thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ferry::web {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    int account_free = 5;   // failures per account before the first delay
    int address_free = 20;  // per client address (several users may share one)
    std::chrono::seconds first_delay{1};
    std::chrono::seconds max_delay{15 * 60};
    std::chrono::seconds forget_after{60 * 60};  // longer than max_delay
    size_t max_entries = 10000;                  // per table
  };

  LoginThrottle() : LoginThrottle(Limits{}) {}
  explicit LoginThrottle(Limits limits) : limits_(limits) {}

  // Whole seconds until a sign-in for `account` from `address` may be tried
  // (0: now). An empty account checks the address only (admin token).
  int64_t RetryAfter(std::string_view account, std::string_view address, Clock::time_point now);
  void Failed(std::string_view account, std::string_view address, Clock::time_point now);
  void Succeeded(std::string_view account);

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last;
    Clock::time_point blocked_until;
  };
  using Table = std::unordered_map<std::string, Entry>;

  int64_t Remaining(Table& table, const std::string& key, Clock::time_point now);
  void Count(Table& table, const std::string& key, int free, Clock::time_point now);
  void Bound(Table& table, Clock::time_point now);

  const Limits limits_;
  std::mutex mu_;
  Table accounts_;   // guarded by mu_; lower-cased emails
  Table addresses_;  // guarded by mu_
};

// The key an email is counted under (trimmed, lower-cased).
std::string AccountKey(std::string_view email);

}  // namespace ferry::web
