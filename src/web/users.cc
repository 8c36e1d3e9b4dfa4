#include "web/users.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/strings.h"

namespace ferry::web {
namespace {

constexpr int kIterations = 60000;

std::string Pbkdf2(const std::string& password, const std::string& salt, int iterations) {
  unsigned char out[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof(out), out);
  return LowerHex(out, sizeof(out));
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string p;
  while (std::getline(in, p, sep)) parts.push_back(p);
  return parts;
}

bool Verify(const std::string& stored, const std::string& password) {
  if (stored.rfind("plain:", 0) == 0) return SecretEquals(stored.substr(6), password);
  auto parts = Split(stored, '$');
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return false;
  int iterations = std::atoi(parts[1].c_str());
  if (iterations <= 0) return false;
  return SecretEquals(Pbkdf2(password, parts[2], iterations), parts[3]);
}

}  // namespace

std::string RandomToken() {
  unsigned char raw[32];
  RAND_bytes(raw, sizeof(raw));
  return LowerHex(raw, sizeof(raw));
}

bool SecretEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::string HashPassword(const std::string& password) {
  std::string salt = RandomToken().substr(0, 32);
  return "pbkdf2-sha256$" + std::to_string(kIterations) + "$" + salt + "$" +
         Pbkdf2(password, salt, kIterations);
}

StatusOr<std::unique_ptr<UserStore>> UserStore::Open(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    std::ofstream out(path, std::ios::trunc);
    out << "# Dashboard users: EMAIL pbkdf2-sha256$ITER$SALT$HASH  or  EMAIL plain:PASSWORD\n"
        << "# Default (Kubeflow's Dex default); set a password with `ferry passwd EMAIL`:\n"
        << kDefaultUser << " " << HashPassword(kDefaultPassword) << "\n";
    out.close();
    if (!out) {
      return InternalError("cannot write the dashboard users file " + path +
                           ": check that the data dir is writable");
    }
    ::chmod(path.c_str(), 0600);
  }
  std::unique_ptr<UserStore> store(new UserStore(path));
  std::lock_guard<std::mutex> lock(store->mu_);
  RETURN_IF_ERROR(store->Load());
  return store;
}

Status UserStore::Load() {
  struct stat st;
  std::ifstream in(path_);
  if (!in || ::stat(path_.c_str(), &st) != 0) {
    return InternalError("cannot read the dashboard users file " + path_ +
                         ": check that it exists and is readable");
  }
  std::map<std::string, std::string> users;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto space = line.find_first_of(" \t");
    if (space == std::string::npos) continue;
    auto secret = line.find_first_not_of(" \t", space);
    if (secret == std::string::npos) continue;
    users[line.substr(0, space)] = line.substr(secret);
  }
  users_ = std::move(users);
  auto it = users_.find(kDefaultUser);
  default_active_ = it != users_.end() && Verify(it->second, kDefaultPassword);
  ino_ = st.st_ino;
  size_ = st.st_size;
  mtime_ = std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  return OkStatus();
}

void UserStore::Refresh() {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return;  // gone: keep what was read
  auto mtime =
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  std::lock_guard<std::mutex> lock(mu_);
  if (st.st_ino == ino_ && st.st_size == size_ && mtime == mtime_) return;
  (void)Load();
}

bool UserStore::Check(const std::string& email, const std::string& password) {
  Refresh();
  std::string secret;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = users_.find(email);
    if (it != users_.end()) secret = it->second;
  }
  if (secret.empty()) {
    // The same work as for a real account: the time taken does not tell
    // which emails exist.
    static const std::string kDummy = HashPassword(RandomToken());
    Verify(kDummy, password);
    return false;
  }
  return Verify(secret, password);
}

bool UserStore::default_password_active() {
  Refresh();
  std::lock_guard<std::mutex> lock(mu_);
  return default_active_;
}

Status SetUserPassword(const std::string& path, const std::string& email,
                       const std::string& password) {
  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    std::string line;
    while (in && std::getline(in, line)) lines.push_back(line);
  }
  if (lines.empty()) {
    lines.push_back(
        "# Dashboard users: EMAIL pbkdf2-sha256$ITER$SALT$HASH  or  EMAIL plain:PASSWORD");
  }
  std::string entry = email + " " + HashPassword(password);
  bool replaced = false;
  for (std::string& line : lines) {
    if (line.empty() || line[0] == '#') continue;
    if (line.substr(0, line.find_first_of(" \t")) == email) {
      line = replaced ? "# (duplicate, replaced by `ferry passwd`) " + line : entry;
      replaced = true;
    }
  }
  if (!replaced) lines.push_back(entry);
  std::string text;
  for (const std::string& line : lines) text += line + "\n";

  std::string tmp = path + ".tmp-" + RandomToken().substr(0, 12);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return InternalError("cannot write " + tmp + ": " + std::strerror(errno) +
                         " (is the data dir right and writable?)");
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return InternalError("cannot replace " + path + ": " + err);
  }
  return OkStatus();
}

std::string SessionTable::Create(const std::string& user, bool admin) {
  std::string id = RandomToken();
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.expires < now ? sessions_.erase(it) : std::next(it);
  }
  sessions_[id] = Session{user, admin, now + ttl_};
  return id;
}

bool SessionTable::Lookup(const std::string& id, std::string* user, bool* admin) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  if (it->second.expires < std::chrono::steady_clock::now()) {
    sessions_.erase(it);
    return false;
  }
  if (user != nullptr) *user = it->second.user;
  if (admin != nullptr) *admin = it->second.admin;
  return true;
}

void SessionTable::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(id);
}

}  // namespace ferry::web
