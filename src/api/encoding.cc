#include "api/encoding.h"

#include <cstdio>
#include <ctime>
#include <random>

namespace ferry::api {

std::string NewUid() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x4000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", unsigned(a >> 32),
                unsigned((a >> 16) & 0xffff), unsigned(a & 0xffff), unsigned(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Rfc3339Micro(std::chrono::system_clock::time_point t) {
  std::string out = Rfc3339(t);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  char frac[16];
  std::snprintf(frac, sizeof(frac), ".%06lld",
                static_cast<long long>(((us % 1000000) + 1000000) % 1000000));
  out.insert(out.size() - 1, frac);
  return out;
}

bool ParseRfc3339(std::string_view s, std::chrono::system_clock::time_point* t) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return false;
  *t = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

std::string HumanDuration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  auto fmt = [](long long a, const char* ua, long long b, const char* ub) {
    std::string out = std::to_string(a) + ua;
    if (b) out += std::to_string(b) + ub;
    return out;
  };
  long long m = s / 60, h = s / 3600, days = h / 24, years = days / 365;
  if (s < 120) return std::to_string(s) + "s";
  if (m < 10) return fmt(m, "m", s % 60, "s");
  if (m < 180) return std::to_string(m) + "m";
  if (h < 8) return fmt(h, "h", m % 60, "m");
  if (h < 48) return std::to_string(h) + "h";
  if (h < 24 * 8) return fmt(days, "d", h % 24, "h");
  if (h < 24 * 365 * 2) return std::to_string(days) + "d";
  if (years < 8) return fmt(years, "y", days % 365, "d");
  return std::to_string(years) + "y";
}

}  // namespace ferry::api
