// PasswordSignIn: the one gate both password forms go through — the
// dashboard's /login and the built-in oauth2-proxy's /oauth2/sign_in — so
// they share the users file (re-read when it changes), the throttle (an
// attacker gains nothing by alternating forms) and the exposure rule:
//  - Kubeflow's well-known default password is refused from any client that
//    is not on this machine (the peer address of the connection, never a
//    header), whatever the account;
//  - once a listener binds beyond loopback (`--bind 0.0.0.0`, or a gateway
//    Service patched to LoadBalancer/NodePort) the pages stop printing the
//    default password and tell the user to run `ferry passwd`.
//
// Who calls it: WebHandler and Oauth2Proxy (Check and the page notes);
// `ferry up` creates one and reports exposure (SetExposed). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "web/login_throttle.h"
#include "web/users.h"

namespace ferry::web {

class PasswordSignIn {
 public:
  struct Options {
    LoginThrottle::Limits limits;
    std::function<LoginThrottle::Clock::time_point()> now;  // tests; default steady_clock
  };

  // Opens (creating with the default user) the users file at `users_path`.
  static StatusOr<std::shared_ptr<PasswordSignIn>> Open(const std::string& users_path,
                                                        Options options = {});

  enum class Verdict {
    kOk,
    kWrong,           // unknown email or wrong password
    kThrottled,       // too many failures: 429, retry_after seconds
    kDefaultRefused,  // the well-known default password from another machine
  };
  struct Result {
    Verdict verdict = Verdict::kWrong;
    int64_t retry_after = 0;  // kThrottled
  };
  // Checks a password sign-in from the connection's peer `client_address`.
  Result Check(std::string_view email, std::string_view password, std::string_view client_address);

  // The admin-token form (dashboard): no account to count, the address is.
  int64_t TokenRetryAfter(std::string_view client_address);
  void TokenFailed(std::string_view client_address);

  // A listener reaches beyond loopback (set by `ferry up`).
  void SetExposed(bool exposed) { exposed_.store(exposed); }
  bool exposed() const { return exposed_.load(); }
  // The default user still has the default password.
  bool DefaultPasswordInUse() { return users_->default_password_active(); }
  // The pages may print the default password: in use, and only this machine can connect.
  bool ShowDefaultPassword() { return !exposed() && DefaultPasswordInUse(); }

  const std::string& users_path() const { return users_path_; }

 private:
  PasswordSignIn(std::string users_path, std::unique_ptr<UserStore> users, Options options);
  LoginThrottle::Clock::time_point Now() const;

  const std::string users_path_;
  std::unique_ptr<UserStore> users_;
  Options options_;
  LoginThrottle throttle_;
  std::atomic<bool> exposed_{false};
};

// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback; false for anything
// else, including an empty or unparsable address.
bool IsLoopbackAddress(std::string_view ip);

// The `ferry passwd` command line that sets `email`'s password for the data
// dir holding `users_path`.
std::string PasswdCommand(const std::string& users_path, std::string_view email);

}  // namespace ferry::web
