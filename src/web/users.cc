#include "web/users.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

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

StatusOr<UserStore> UserStore::Open(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::ofstream out(path, std::ios::trunc);
    out << "# Dashboard users: EMAIL pbkdf2-sha256$ITER$SALT$HASH  or  EMAIL plain:PASSWORD\n"
        << "# Default (Kubeflow's Dex default), change or remove it:\n"
        << kDefaultUser << " " << HashPassword(kDefaultPassword) << "\n";
    out.close();
    if (!out) {
      return InternalError("cannot write the dashboard users file " + path +
                           ": check that the data dir is writable");
    }
    ::chmod(path.c_str(), 0600);
    in.open(path);
  }
  UserStore store;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.find_first_of(" \t");
    if (space == std::string::npos) continue;
    auto secret = line.find_first_not_of(" \t", space);
    if (secret == std::string::npos) continue;
    store.users_[line.substr(0, space)] = line.substr(secret);
  }
  store.default_active_ = store.Check(kDefaultUser, kDefaultPassword);
  return store;
}

bool UserStore::Check(const std::string& email, const std::string& password) const {
  auto it = users_.find(email);
  return it != users_.end() && Verify(it->second, password);
}

std::string SessionTable::Create(const std::string& user) {
  std::string id = RandomToken();
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.expires < now ? sessions_.erase(it) : std::next(it);
  }
  sessions_[id] = Session{user, now + ttl_};
  return id;
}

bool SessionTable::Lookup(const std::string& id, std::string* user) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  if (it->second.expires < std::chrono::steady_clock::now()) {
    sessions_.erase(it);
    return false;
  }
  if (user != nullptr) *user = it->second.user;
  return true;
}

void SessionTable::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(id);
}

}  // namespace ferry::web
