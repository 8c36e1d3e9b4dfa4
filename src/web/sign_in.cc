#include "web/sign_in.h"

#include <arpa/inet.h>

#include <cstring>

namespace ferry::web {

bool IsLoopbackAddress(std::string_view ip) {
  std::string s(ip);
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return false;
  static const unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6.s6_addr, kLoopback, 16) == 0) return true;
  return std::memcmp(v6.s6_addr, kMapped, 12) == 0 && v6.s6_addr[12] == 127;
}

std::string PasswdCommand(const std::string& users_path, std::string_view email) {
  size_t slash = users_path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : users_path.substr(0, slash);
  return "ferry passwd " + std::string(email) + " --data-dir " + dir;
}

StatusOr<std::shared_ptr<PasswordSignIn>> PasswordSignIn::Open(const std::string& users_path,
                                                               Options options) {
  ASSIGN_OR_RETURN(auto users, UserStore::Open(users_path));
  return std::shared_ptr<PasswordSignIn>(
      new PasswordSignIn(users_path, std::move(users), std::move(options)));
}

PasswordSignIn::PasswordSignIn(std::string users_path, std::unique_ptr<UserStore> users,
                               Options options)
    : users_path_(std::move(users_path)),
      users_(std::move(users)),
      options_(std::move(options)),
      throttle_(options_.limits) {}

LoginThrottle::Clock::time_point PasswordSignIn::Now() const {
  return options_.now ? options_.now() : LoginThrottle::Clock::now();
}

PasswordSignIn::Result PasswordSignIn::Check(std::string_view email, std::string_view password,
                                             std::string_view client_address) {
  auto now = Now();
  // Checked before the password: a blocked guess costs no PBKDF2 either.
  if (int64_t wait = throttle_.RetryAfter(email, client_address, now); wait > 0) {
    return {Verdict::kThrottled, wait};
  }
  if (password == kDefaultPassword && !IsLoopbackAddress(client_address)) {
    throttle_.Failed(email, client_address, now);
    return {Verdict::kDefaultRefused, 0};
  }
  if (!users_->Check(std::string(email), std::string(password))) {
    throttle_.Failed(email, client_address, now);
    return {Verdict::kWrong, 0};
  }
  throttle_.Succeeded(email);
  return {Verdict::kOk, 0};
}

int64_t PasswordSignIn::TokenRetryAfter(std::string_view client_address) {
  return throttle_.RetryAfter("", client_address, Now());
}

void PasswordSignIn::TokenFailed(std::string_view client_address) {
  throttle_.Failed("", client_address, Now());
}

}  // namespace ferry::web
