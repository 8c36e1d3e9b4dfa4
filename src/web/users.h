// Static dashboard users (like Dex's staticPasswords in Kubeflow) and the
// in-memory login sessions.
//
// DATA_DIR/users holds one user per line: `EMAIL pbkdf2-sha256$ITER$SALT$HASH`
// (hex salt and hash) or, for hand-edited files, `EMAIL plain:PASSWORD`.
// Lines starting with '#' are comments. On first start the file is created
// with Kubeflow's default user user@example.com / 12341234. The store
// re-reads the file when it changes (`ferry passwd` while `ferry up` runs).
//
// Owned by PasswordSignIn (sign_in.h); thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

namespace ferry::web {

inline constexpr char kDefaultUser[] = "user@example.com";
inline constexpr char kDefaultPassword[] = "12341234";

class UserStore {
 public:
  // Reads `path`, creating it with the default user when missing.
  static StatusOr<std::unique_ptr<UserStore>> Open(const std::string& path);

  bool Check(const std::string& email, const std::string& password);
  // True while the default user still signs in with the default password.
  bool default_password_active();

 private:
  explicit UserStore(std::string path) : path_(std::move(path)) {}
  // Re-reads the file when its identity (inode, size, mtime) changed; keeps
  // the last good contents when it cannot be read.
  void Refresh();
  Status Load();

  const std::string path_;
  std::mutex mu_;
  std::map<std::string, std::string> users_;  // guarded by mu_; email -> stored secret
  bool default_active_ = false;               // guarded by mu_
  ino_t ino_ = 0;                             // guarded by mu_; the file as last read
  off_t size_ = -1;                           // guarded by mu_
  std::chrono::nanoseconds mtime_{0};         // guarded by mu_
};

// Sets `email`'s password in the users file at `path` (replacing its line or
// adding one), hashed with PBKDF2; written to a temporary file and renamed
// over the old one (0600), so a running `ferry up` reads it whole.
Status SetUserPassword(const std::string& path, const std::string& email,
                       const std::string& password);

// "pbkdf2-sha256$ITER$SALT$HASH" for `password` with a fresh salt.
std::string HashPassword(const std::string& password);
// Constant-time-ish comparison of two secrets.
bool SecretEquals(const std::string& a, const std::string& b);
// 32 random bytes as hex.
std::string RandomToken();

class SessionTable {
 public:
  explicit SessionTable(std::chrono::seconds ttl) : ttl_(ttl) {}
  // `admin`: the session was opened with the admin token (its holder), not a
  // password; only such a session's API calls carry the admin credential.
  std::string Create(const std::string& user, bool admin = false);
  bool Lookup(const std::string& id, std::string* user, bool* admin = nullptr);
  void Remove(const std::string& id);

 private:
  struct Session {
    std::string user;
    bool admin = false;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::string, Session> sessions_;  // guarded by mu_
};

}  // namespace ferry::web
