#include "storage/local_provider.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "storage/dest_path.h"
#include "storage/local_access.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;
using DevIno = std::pair<dev_t, ino_t>;

constexpr int kMaxDepth = 64;

std::string Version(const struct stat& st) {
  int64_t ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return std::to_string(st.st_size) + "@" + std::to_string(ns);
}

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Walks one source directory into manifest entries (see the header's DESIGN).
class TreeWalker {
 public:
  TreeWalker(fs::path root, std::string uri, std::vector<DevIno> denied, Manifest* m)
      : root_(std::move(root)), uri_(std::move(uri)), denied_(std::move(denied)), m_(m) {}

  Status Walk() { return Dir(root_, "", 0); }

 private:
  Status Dir(const fs::path& real, const std::string& prefix, int depth) {
    std::string shown = prefix.empty() ? "." : prefix.substr(0, prefix.size() - 1);
    struct stat st;
    if (::stat(real.c_str(), &st) != 0) return ReadError(shown, std::strerror(errno));
    DevIno id{st.st_dev, st.st_ino};
    if (std::find(denied_.begin(), denied_.end(), id) != denied_.end()) {
      return PermissionDeniedError("model directory " + uri_ + " holds `" + shown +
                                   "`, which is Ferry's data directory; it is never readable as "
                                   "a model. Point storageUri at the model's own directory");
    }
    if (!visited_.insert(id).second) return OkStatus();  // a loop, or a second link to it
    if (depth > kMaxDepth) {
      return FailedPreconditionError("model directory " + uri_ + " is nested deeper than " +
                                     std::to_string(kMaxDepth) + " levels at `" + shown +
                                     "`; flatten it");
    }
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(real, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    if (ec) return ReadError(shown, ec.message());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      fs::path p = real / name;
      std::string rel = prefix + name;
      if (::lstat(p.c_str(), &st) != 0) return ReadError(rel, std::strerror(errno));
      if (S_ISLNK(st.st_mode)) {
        RETURN_IF_ERROR(Link(p, rel, depth));
      } else if (S_ISDIR(st.st_mode)) {
        RETURN_IF_ERROR(Dir(p, rel + "/", depth + 1));
      } else if (S_ISREG(st.st_mode)) {
        Add(p, rel, st);
      }
    }
    return OkStatus();
  }

  Status Link(const fs::path& link, const std::string& rel, int depth) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf));
    if (n < 0) return ReadError(rel, std::strerror(errno));
    std::string target(buf, static_cast<size_t>(n));
    fs::path written(target);
    // The written target decides first (touching nothing outside), then the
    // resolved one, which sees through further links.
    fs::path lexical =
        (written.is_absolute() ? written : link.parent_path() / written).lexically_normal();
    if (!PathIsUnder(lexical, root_)) return Escape(rel, target);
    std::error_code ec;
    fs::path real = fs::canonical(link, ec);
    if (ec) {
      return FailedPreconditionError("model directory " + uri_ + " holds symlink `" + rel +
                                     "` -> `" + target + "`, which cannot be resolved (" +
                                     ec.message() + "); fix or remove the link");
    }
    if (!PathIsUnder(real, root_)) return Escape(rel, target);
    struct stat st;
    if (::stat(real.c_str(), &st) != 0) return ReadError(rel, std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return Dir(real, rel + "/", depth + 1);
    if (S_ISREG(st.st_mode)) Add(real, rel, st);
    return OkStatus();
  }

  void Add(const fs::path& real, const std::string& rel, const struct stat& st) {
    m_->entries.push_back({real.string(), rel, static_cast<uint64_t>(st.st_size), Version(st),
                           uri_ + " (" + rel + ")"});
  }

  Status Escape(const std::string& rel, const std::string& target) const {
    return PermissionDeniedError(
        "model directory " + uri_ + " holds symlink `" + rel + "` -> `" + target +
        "`, which leads outside it; Ferry never follows a link out of the model directory. "
        "Replace the link with the file it points to, or point storageUri at the target");
  }

  Status ReadError(const std::string& rel, const std::string& why) const {
    return PermissionDeniedError("cannot read `" + rel + "` in model directory " + uri_ + ": " +
                                 why + "; check its permissions");
  }

  const fs::path root_;
  const std::string uri_;
  const std::vector<DevIno> denied_;
  Manifest* m_;
  std::set<DevIno> visited_;
};

// Copies all bytes of `in` into `out`: a reflink where the filesystem can,
// else copy_file_range, else read/write.
Status CopyBytes(int in, int out, uint64_t* copied) {
  struct stat st;
  if (::ioctl(out, FICLONE, in) == 0 && ::fstat(out, &st) == 0) {
    *copied = static_cast<uint64_t>(st.st_size);
    return OkStatus();
  }
  bool kernel_copy = true;
  std::vector<char> buf;
  for (;;) {
    ssize_t n;
    if (kernel_copy) {
      n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP ||
                    errno == EPERM)) {
        kernel_copy = false;  // offsets are where the kernel left them
        buf.resize(1 << 20);
        continue;
      }
    } else {
      n = ::read(in, buf.data(), buf.size());
      for (ssize_t done = 0; n > 0 && done < n;) {
        ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return InternalError(std::strerror(errno));
        done += w;
      }
    }
    if (n == 0) return OkStatus();
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return InternalError(std::strerror(errno));
    *copied += static_cast<uint64_t>(n);
  }
}

class LocalProvider : public StorageProvider {
 public:
  explicit LocalProvider(const FetchOptions& options) : options_(options) {}

  StatusOr<Manifest> List(std::string_view uri) override {
    const LocalAccess& access = options_.local;
    ASSIGN_OR_RETURN(LocalSource source, ResolveLocalUri(uri, access));
    ASSIGN_OR_RETURN(std::string real, CanonicalSource(uri, source, access));
    root_ = real;
    Manifest m;
    m.location = std::string(uri) + (source.path != uri ? " (" + source.path + ")" : "");
    struct stat st;
    if (::stat(root_.c_str(), &st) != 0) {
      return NotFoundError("model path " + m.location + " cannot be read: " + std::strerror(errno) +
                           "; check storageUri and permissions");
    }
    if (S_ISREG(st.st_mode)) {
      std::string name = fs::path(source.path).filename().string();
      m.entries.push_back(
          {root_.string(), name, static_cast<uint64_t>(st.st_size), Version(st), std::string(uri)});
      return m;
    }
    std::vector<DevIno> denied;
    for (const auto& d : access.denied) {
      struct stat ds;
      if (access.restricted && ::stat(d.c_str(), &ds) == 0)
        denied.push_back({ds.st_dev, ds.st_ino});
    }
    TreeWalker walker(root_, std::string(uri), std::move(denied), &m);
    RETURN_IF_ERROR(walker.Walk());
    if (m.entries.empty()) {
      return NotFoundError("model directory " + m.location + " holds no files; check storageUri");
    }
    return m;
  }

  Status Download(const Manifest& manifest, const std::string& dir,
                  ProgressTracker& progress) override {
    for (const auto& e : manifest.entries) {
      ASSIGN_OR_RETURN(fs::path to, JoinInside(dir, e.rel_path, e.display));
      RETURN_IF_ERROR(CreateParentDirs(dir, to, options_.modes.dir));
      Fd in;
      in.fd = ::open(e.source.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (in.fd < 0) {
        return errno == ELOOP ? Changed(e) : CopyError(e, std::strerror(errno));
      }
      RETURN_IF_ERROR(CheckOpenedInside(in.fd, e));
      Fd out;
      ASSIGN_OR_RETURN(out.fd, CreateFileExclusive(to, options_.modes.file));
      uint64_t copied = 0;
      Status st = CopyBytes(in.fd, out.fd, &copied);
      if (!st.ok()) return CopyError(e, st.message());
      progress.AddBytes(static_cast<int64_t>(copied));
      progress.ObjectDone();
    }
    return OkStatus();
  }

 private:
  // The file actually opened must be a regular file inside the root: a file
  // swapped for a link (or its directory for one) after List is refused.
  Status CheckOpenedInside(int fd, const ManifestEntry& e) const {
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return Changed(e);
    char buf[PATH_MAX];
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(proc.c_str(), buf, sizeof(buf));
    if (n > 0) {
      return PathIsUnder(fs::path(std::string(buf, static_cast<size_t>(n))), root_) ? OkStatus()
                                                                                    : Changed(e);
    }
    // No /proc: the opened inode must be the one the resolved path names.
    std::error_code ec;
    fs::path real = fs::canonical(e.source, ec);
    struct stat rs;
    if (ec || !PathIsUnder(real, root_) || ::stat(real.c_str(), &rs) != 0 ||
        rs.st_dev != st.st_dev || rs.st_ino != st.st_ino) {
      return Changed(e);
    }
    return OkStatus();
  }

  static Status Changed(const ManifestEntry& e) {
    return PermissionDeniedError(e.display +
                                 " changed while it was copied (it is now a link or leads outside "
                                 "the model directory); nothing outside was read. Retry once the "
                                 "model directory is stable");
  }

  static Status CopyError(const ManifestEntry& e, const std::string& why) {
    return InternalError("cannot copy " + e.display + ": " + why +
                         "; check permissions and free space");
  }

  const FetchOptions& options_;
  fs::path root_;  // canonical source root, set by List
};

}  // namespace

std::unique_ptr<StorageProvider> MakeLocalProvider(const FetchOptions& options) {
  return std::make_unique<LocalProvider>(options);
}

}  // namespace ferry::storage
