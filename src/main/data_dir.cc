#include "main/data_dir.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <system_error>

#include "common/base64.h"
#include "storage/dest_path.h"

namespace ferry::main {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxDepth = 64;

// The trees below DATA whose every file Ferry writes itself (a constant list: nothing built
// before main in every role of the binary).
constexpr std::string_view kOwnedTrees[] = {"certs", "models", "cache"};

mode_t Wanted(const struct stat& st) {
  if (S_ISDIR(st.st_mode)) return 0700;
  return (st.st_mode & 0100) ? 0700 : 0600;
}

// Replaces `p` by a copy of itself with mode `mode` (same directory, then rename).
Status PrivateCopy(const fs::path& p, mode_t mode) {
  int in = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) return InternalError(std::strerror(errno));
  std::string tmpl = (p.parent_path() / ("." + p.filename().string() + ".ferry-XXXXXX")).string();
  int out = ::mkstemp(tmpl.data());
  if (out < 0) {
    ::close(in);
    return InternalError(std::strerror(errno));
  }
  bool ok = ::fchmod(out, mode) == 0;
  char buf[1 << 16];
  ssize_t n = 0;
  while (ok && (n = ::read(in, buf, sizeof(buf))) > 0) {
    ok = ::write(out, buf, static_cast<size_t>(n)) == n;
  }
  ok = ok && n == 0 && ::fsync(out) == 0;
  int err = ok ? 0 : errno;
  ::close(in);
  if (::close(out) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && ::rename(tmpl.c_str(), p.c_str()) == 0) return OkStatus();
  if (ok) err = errno;
  ::unlink(tmpl.c_str());
  return InternalError(std::strerror(err));
}

class Tightener {
 public:
  explicit Tightener(std::FILE* log) : log_(log) {}

  // Narrows the mode of `p` (described by `st`) to what it should be.
  void Fix(const fs::path& p, const struct stat& st) {
    mode_t old = st.st_mode & 07777;
    mode_t now = old & Wanted(st);
    if (now == old) return;
    bool shared = S_ISREG(st.st_mode) && st.st_nlink > 1;
    Status done = shared ? PrivateCopy(p, now)
                  : ::chmod(p.c_str(), now) == 0 ? OkStatus()
                                                  : InternalError(std::strerror(errno));
    if (!done.ok()) {
      std::fprintf(log_, "ferry up: warning: cannot make %s private (mode %04o): %s\n", p.c_str(),
                   old, done.message().c_str());
      return;
    }
    std::fprintf(log_, "ferry up: data directory: %s had mode %04o, now %04o%s\n", p.c_str(), old,
                 now, shared ? " (it shared its inode with another link: replaced by a copy)" : "");
  }

  void Tree(const fs::path& dir, int depth) {
    if (depth > kMaxDepth) return;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      struct stat st;
      if (::lstat(it->path().c_str(), &st) != 0 || S_ISLNK(st.st_mode)) continue;
      Fix(it->path(), st);
      if (S_ISDIR(st.st_mode)) Tree(it->path(), depth + 1);
    }
  }

 private:
  std::FILE* log_;
};

}  // namespace

Status PrepareDataDir(const std::string& dir, std::FILE* log) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("cannot create data dir " + dir + ": " + ec.message());
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPreconditionError("data dir " + dir + " is not a directory");
  }
  Tightener t(log);
  t.Fix(dir, st);
  if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
    return PermissionDeniedError("data dir " + dir + " is open to other users (mode " + mode +
                                 ") and cannot be made private; chmod 700 it or choose another "
                                 "--data-dir");
  }
  fs::path pvc = fs::path(dir) / "pvc";
  if (::mkdir(pvc.c_str(), 0700) != 0 && errno != EEXIST) {
    return InternalError("cannot create " + pvc.string() + ": " + std::strerror(errno));
  }
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISLNK(st.st_mode)) continue;
    t.Fix(it->path(), st);
    const std::string name = it->path().filename().string();
    if (S_ISDIR(st.st_mode) &&
        std::find(std::begin(kOwnedTrees), std::end(kOwnedTrees), name) != std::end(kOwnedTrees)) {
      t.Tree(it->path(), 1);
    }
  }
  if (ec) return InternalError("cannot list data dir " + dir + ": " + ec.message());
  return OkStatus();
}

StatusOr<storage::LocalAccess> LocalAccessFromFlags(const std::vector<std::string>& roots,
                                                    const std::vector<std::string>& claims,
                                                    const std::string& data_dir) {
  std::error_code ec;
  storage::LocalAccess a;
  a.restricted = true;
  fs::path given = fs::absolute(data_dir, ec).lexically_normal();
  fs::path data = fs::canonical(data_dir, ec);
  if (ec) return InternalError("cannot resolve data dir " + data_dir + ": " + ec.message());
  a.denied = {given.string()};
  if (data != given) a.denied.push_back(data.string());
  a.pvc_root = (data / "pvc").string();
  auto existing_dir = [&](const std::string& flag, const std::string& d) -> StatusOr<fs::path> {
    std::error_code e;
    fs::path c = fs::canonical(d, e);
    if (e || !fs::is_directory(c, e)) {
      return InvalidArgumentError(flag + " " + d + ": not an existing directory" +
                                  (e ? " (" + e.message() + ")" : std::string()));
    }
    return c;
  };
  for (const auto& r : roots) {
    ASSIGN_OR_RETURN(fs::path c, existing_dir("--allow-local-models", r));
    if (storage::PathIsUnder(c, data)) {
      return InvalidArgumentError("--allow-local-models " + r +
                                  " is inside the data directory " + data.string() +
                                  ", which is never readable as a model (Secrets, users, every "
                                  "namespace's models); give a directory outside it, or use "
                                  "pvc://CLAIM with DATA/pvc/CLAIM");
    }
    fs::path abs = fs::absolute(r, ec).lexically_normal();
    a.roots.push_back(abs.string());
    if (c != abs) a.roots.push_back(c.string());
  }
  for (const auto& m : claims) {
    size_t eq = m.find('=');
    std::string claim = m.substr(0, eq);
    if (eq == std::string::npos || !storage::IsValidClaimName(claim)) {
      return InvalidArgumentError("--pvc " + m + ": write CLAIM=DIR with CLAIM a Kubernetes name");
    }
    ASSIGN_OR_RETURN(fs::path c, existing_dir("--pvc", m.substr(eq + 1)));
    if (storage::PathIsUnder(c, data) && !storage::PathIsUnder(c, data / "pvc")) {
      return InvalidArgumentError("--pvc " + m + ": the directory is inside the data directory " +
                                  data.string() + " but not under its pvc/; give a directory "
                                  "outside it");
    }
    a.claims[claim] = c.string();
  }
  return a;
}

StatusOr<std::string> AdminToken(const std::string& dir) {
  std::string path = dir + "/admin-token";
  std::ifstream in(path);
  std::string token;
  if (in && std::getline(in, token) && !token.empty()) return token;
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return InternalError("no randomness for the admin token");
  static const char* kHex = "0123456789abcdef";
  for (unsigned char c : raw) {
    token += kHex[c >> 4];
    token += kHex[c & 15];
  }
  std::ofstream out(path, std::ios::trunc);
  out << token << "\n";
  out.close();
  ::chmod(path.c_str(), 0600);
  return token;
}

Status WriteKubeconfig(const std::string& dir, uint16_t port, const std::string& ca_pem,
                       const std::string& token) {
  std::ostringstream k;
  k << "apiVersion: v1\nkind: Config\nclusters:\n- name: ferry\n  cluster:\n"
    << "    server: https://127.0.0.1:" << port << "\n"
    << "    certificate-authority-data: " << Base64Encode(ca_pem) << "\n"
    << "contexts:\n- name: ferry\n  context:\n    cluster: ferry\n    user: ferry-admin\n"
    << "    namespace: default\ncurrent-context: ferry\nusers:\n- name: ferry-admin\n"
    << "  user:\n    token: " << token << "\n";
  std::string path = dir + "/kubeconfig";
  std::ofstream out(path, std::ios::trunc);
  out << k.str();
  out.close();
  ::chmod(path.c_str(), 0600);
  return out ? OkStatus() : InternalError("cannot write " + path);
}

}  // namespace ferry::main
