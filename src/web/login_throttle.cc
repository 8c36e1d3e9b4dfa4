#include "web/login_throttle.h"

#include <algorithm>
#include <cctype>

namespace ferry::web {

std::string AccountKey(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) {
    email.remove_prefix(1);
  }
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) {
    email.remove_suffix(1);
  }
  std::string key(email);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

int64_t LoginThrottle::Remaining(Table& table, const std::string& key, Clock::time_point now) {
  auto it = table.find(key);
  if (it == table.end()) return 0;
  if (now - it->second.last > limits_.forget_after) {
    table.erase(it);
    return 0;
  }
  if (it->second.blocked_until <= now) return 0;
  auto left = it->second.blocked_until - now;
  // Round up: "retry in 0 s" while still blocked would invite a retry loop.
  return std::chrono::ceil<std::chrono::seconds>(left).count();
}

int64_t LoginThrottle::RetryAfter(std::string_view account, std::string_view address,
                                  Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t wait = Remaining(addresses_, std::string(address), now);
  if (!account.empty()) wait = std::max(wait, Remaining(accounts_, AccountKey(account), now));
  return wait;
}

void LoginThrottle::Count(Table& table, const std::string& key, int free, Clock::time_point now) {
  Entry& e = table[key];
  if (e.failures > 0 && now - e.last > limits_.forget_after) e = Entry{};
  ++e.failures;
  e.last = now;
  if (e.failures >= free) {
    // 1 s at the limit, doubling with every failure after it, capped.
    int doublings = std::min(e.failures - free, 20);
    auto delay = std::min<std::chrono::seconds>(limits_.first_delay * (int64_t{1} << doublings),
                                                limits_.max_delay);
    e.blocked_until = now + delay;
  }
  Bound(table, now);
}

void LoginThrottle::Failed(std::string_view account, std::string_view address,
                           Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  Count(addresses_, std::string(address), limits_.address_free, now);
  if (!account.empty()) Count(accounts_, AccountKey(account), limits_.account_free, now);
}

void LoginThrottle::Succeeded(std::string_view account) {
  std::lock_guard<std::mutex> lock(mu_);
  accounts_.erase(AccountKey(account));
}

// Keeps a table under max_entries: forgotten entries go first, then the
// least recently failed (a flood of made-up names cannot grow memory).
void LoginThrottle::Bound(Table& table, Clock::time_point now) {
  if (table.size() <= limits_.max_entries) return;
  for (auto it = table.begin(); it != table.end();) {
    it = now - it->second.last > limits_.forget_after ? table.erase(it) : std::next(it);
  }
  while (table.size() > limits_.max_entries) {
    auto oldest = std::min_element(table.begin(), table.end(), [](const auto& a, const auto& b) {
      return a.second.last < b.second.last;
    });
    table.erase(oldest);
  }
}

}  // namespace ferry::web
