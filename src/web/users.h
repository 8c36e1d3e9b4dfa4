// Static dashboard users (like Dex's staticPasswords in Kubeflow) and the
// in-memory login sessions. Owned by WebHandler; thread-safe.
//
// DATA_DIR/users holds one user per line: `EMAIL pbkdf2-sha256$ITER$SALT$HASH`
// (hex salt and hash) or, for hand-edited files, `EMAIL plain:PASSWORD`.
// Lines starting with '#' are comments. On first start the file is created
// with Kubeflow's default user user@example.com / 12341234.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "common/status.h"

namespace ferry::web {

inline constexpr char kDefaultUser[] = "user@example.com";
inline constexpr char kDefaultPassword[] = "12341234";

class UserStore {
 public:
  // Reads `path`, creating it with the default user when missing.
  static StatusOr<UserStore> Open(const std::string& path);

  bool Check(const std::string& email, const std::string& password) const;
  // True while the default user still signs in with the default password.
  bool default_password_active() const { return default_active_; }

 private:
  std::map<std::string, std::string> users_;  // email -> stored secret
  bool default_active_ = false;
};

// "pbkdf2-sha256$ITER$SALT$HASH" for `password` with a fresh salt.
std::string HashPassword(const std::string& password);
// Constant-time-ish comparison of two secrets.
bool SecretEquals(const std::string& a, const std::string& b);
// 32 random bytes as hex.
std::string RandomToken();

class SessionTable {
 public:
  explicit SessionTable(std::chrono::seconds ttl) : ttl_(ttl) {}
  std::string Create(const std::string& user);
  bool Lookup(const std::string& id, std::string* user);
  void Remove(const std::string& id);

 private:
  struct Session {
    std::string user;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::string, Session> sessions_;  // guarded by mu_
};

}  // namespace ferry::web
