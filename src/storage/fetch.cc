#include "storage/fetch.h"
#include "storage/ordered_md5.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

#include "common/strings.h"
#include "storage/archive.h"
#include "storage/dest_path.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return LowerHex(md, len);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string ReadSmallFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteMarker(const fs::path& dir, const std::string& fingerprint, mode_t mode) {
  fs::path p = dir / std::string(kCompleteMarker);
  ASSIGN_OR_RETURN(int fd, CreateFileExclusive(p, mode));
  std::string line = fingerprint + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) return InternalError("cannot write `" + p.string() + "`; check free space");
  return OkStatus();
}

// A mount point field of /proc/self/mountinfo with its octal escapes
// (`\040` for a space) decoded.
std::string UnescapeMountPath(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int v = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = field[i + k];
        octal = octal && c >= '0' && c <= '7';
        v = v * 8 + (c - '0');
      }
      if (octal) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

// True when `dir` is listed as a mount point: a bind mount from the same
// filesystem (a pod's volume, a test's read-only bind) has the same st_dev as
// its parent, so the device comparison alone misses it.
bool ListedAsMountPoint(const fs::path& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNT_POINT ...
    size_t pos = 0;
    for (int field = 0; field < 4 && pos != std::string::npos; ++field) {
      pos = line.find(' ', pos);
      if (pos != std::string::npos) ++pos;
    }
    if (pos == std::string::npos) continue;
    size_t end = line.find(' ', pos);
    std::string_view mp(line.data() + pos, (end == std::string::npos ? line.size() : end) - pos);
    if (UnescapeMountPath(mp) == dir.string()) return true;
  }
  return false;
}

bool IsMountPoint(const fs::path& dir) {
  struct stat a, b;
  if (::stat(dir.c_str(), &a) != 0 || !S_ISDIR(a.st_mode)) return false;
  fs::path parent = dir.parent_path();  // dir is absolute and normal
  if (::stat(parent.c_str(), &b) != 0) return false;
  if (a.st_dev != b.st_dev || a.st_ino == b.st_ino) return true;  // "/" is its own parent
  std::error_code ec;
  fs::path real = fs::canonical(dir, ec);
  return !ec && ListedAsMountPoint(real);
}

// Hard-links (or copies) the tree `from` into the existing directory `to`.
Status LinkTree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::create_hard_links, ec);
  if (ec) {
    ec.clear();
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  }
  if (ec) {
    return InternalError("cannot copy `" + from.string() + "` to `" + to.string() +
                         "`: " + ec.message() + "; check permissions and free space");
  }
  return OkStatus();
}

// Removes a directory tree on scope exit unless released.
class TempDir {
 public:
  explicit TempDir(fs::path p) : path_(std::move(p)) {}
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  const fs::path& path() const { return path_; }
  void Release() { path_.clear(); }

 private:
  fs::path path_;
};

// A new directory in `parent` (created if missing) with mode `mode`.
StatusOr<fs::path> MakeTemp(const fs::path& parent, const std::string& stem, mode_t mode) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  std::string tmpl = (parent / ("." + stem + ".ferry-tmp-XXXXXX")).string();
  if (ec || ::mkdtemp(tmpl.data()) == nullptr) {
    return InternalError("cannot create a temporary directory in `" + parent.string() +
                         "`: " + (ec ? ec.message() : std::strerror(errno)) +
                         "; the destination's parent must be writable");
  }
  ::chmod(tmpl.c_str(), mode);  // mkdtemp makes 0700; shared fetches want 0755
  return fs::path(tmpl);
}

// Every entry lands inside the destination under a name of its own; checked
// for every provider before anything is written.
Status CheckEntries(const Manifest& m) {
  std::set<std::string_view> seen;
  for (const auto& e : m.entries) {
    RETURN_IF_ERROR(CheckRelativePath(e.rel_path, e.display));
    if (!seen.insert(e.rel_path).second) {
      return InvalidArgumentError(e.display + " and another object would both be saved as `" +
                                  e.rel_path + "`; nothing was written. Rename one at the source");
    }
  }
  return OkStatus();
}

// Non-throwing directory listing (std::filesystem's range-for throws).
std::vector<fs::path> ListDir(const fs::path& dir, std::error_code& ec) {
  std::vector<fs::path> out;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) out.push_back(it->path());
  return out;
}

// Moves the complete tree `tmp` into place at `dest` (see header).
Status Install(const fs::path& tmp, const fs::path& dest, bool inside_dest) {
  std::error_code ec;
  if (inside_dest) {
    // Drop the marker first so a crash mid-way never leaves a "complete"
    // destination, then the previous version (everything but tmp).
    fs::remove(dest / std::string(kCompleteMarker), ec);
    for (const auto& e : ListDir(dest, ec)) {
      if (e != tmp) fs::remove_all(e, ec);
    }
    std::vector<fs::path> entries = ListDir(tmp, ec);
    if (ec) return InternalError("cannot list `" + tmp.string() + "`: " + ec.message());
    for (const auto& e : entries) {
      if (e.filename() == std::string(kCompleteMarker)) continue;
      fs::path to = dest / e.filename();
      fs::rename(e, to, ec);
      if (ec)
        return InternalError("cannot move `" + e.string() + "` into `" + dest.string() +
                             "`: " + ec.message());
    }
    fs::rename(tmp / std::string(kCompleteMarker), dest / std::string(kCompleteMarker), ec);
    if (ec) return InternalError("cannot finish `" + dest.string() + "`: " + ec.message());
    return OkStatus();
  }
  if (::rename(tmp.c_str(), dest.c_str()) == 0) return OkStatus();  // absent or empty DEST
  if (errno == ENOTEMPTY || errno == EEXIST) {
    if (!fs::exists(dest / std::string(kCompleteMarker), ec)) {
      return FailedPreconditionError("destination `" + dest.string() +
                                     "` is not empty and was not written by ferry; empty it or "
                                     "choose another directory");
    }
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dest.c_str(), RENAME_EXCHANGE) == 0) {
      return OkStatus();  // tmp now holds the old version; TempDir removes it
    }
  }
  return InternalError("cannot rename `" + tmp.string() + "` to `" + dest.string() +
                       "`: " + std::strerror(errno));
}

// A destination may be absent, empty, or a previous Ferry download; anything
// else belongs to someone else and is never overwritten.
Status CheckDestination(const fs::path& dest) {
  std::error_code ec;
  if (!fs::exists(dest, ec)) return OkStatus();
  if (!fs::is_directory(dest, ec)) {
    return FailedPreconditionError("destination `" + dest.string() +
                                   "` exists and is not a directory; remove it or choose another "
                                   "path");
  }
  if (fs::is_empty(dest, ec) || fs::exists(dest / std::string(kCompleteMarker), ec)) {
    return OkStatus();
  }
  return FailedPreconditionError("destination `" + dest.string() +
                                 "` is not empty and was not written by ferry; empty it or "
                                 "choose another directory");
}

StatusOr<bool> MaybeUnpack(const Manifest& m, const fs::path& tmp, const FileModes& modes) {
  if (m.entries.size() != 1 || !IsArchiveName(m.entries[0].rel_path)) return false;
  fs::path archive = tmp / m.entries[0].rel_path;
  // Unpack beside the archive inside tmp, then drop the archive (KServe does too).
  fs::path stage = tmp / ".ferry-unpack";
  std::error_code ec;
  if (::mkdir(stage.c_str(), modes.dir) != 0) {
    return InternalError("cannot create `" + stage.string() + "`: " + std::strerror(errno));
  }
  RETURN_IF_ERROR(ExtractArchive(archive.string(), stage.string(), m.entries[0].display, modes));
  fs::remove(archive, ec);
  std::vector<fs::path> entries = ListDir(stage, ec);
  if (ec) return InternalError("cannot list `" + stage.string() + "`: " + ec.message());
  for (const auto& e : entries) {
    fs::rename(e, tmp / e.filename(), ec);
    if (ec) return InternalError("cannot move unpacked `" + e.string() + "`: " + ec.message());
  }
  fs::remove(stage, ec);
  return true;
}

}  // namespace

std::string ManifestFingerprint(std::string_view uri, const Manifest& manifest) {
  // v2: local files are copied, not hard-linked; a v1 cache entry may share
  // its inodes with a user's files, so it is never reused.
  std::string data = "ferry-fetch-v2\n" + std::string(uri) + "\n";
  for (const auto& e : manifest.entries) {
    data += e.rel_path + "\t" + (e.size ? std::to_string(*e.size) : "?") + "\t" + e.version + "\n";
  }
  return Sha256Hex(data);
}

StatusOr<FetchResult> Fetch(std::string_view uri, const std::string& dest_str,
                            const FetchOptions& options) {
  ASSIGN_OR_RETURN(auto provider, ProviderFor(uri, options));
  ASSIGN_OR_RETURN(Manifest manifest, provider->List(uri));
  RETURN_IF_ERROR(CheckEntries(manifest));
  FetchResult result;
  result.files = manifest.entries.size();
  for (const auto& e : manifest.entries) result.bytes += e.size.value_or(0);
  std::string fp = ManifestFingerprint(uri, manifest);

  std::error_code ec;
  fs::path dest = fs::absolute(dest_str, ec).lexically_normal();
  if (ec) return InternalError("cannot resolve destination `" + dest_str + "`: " + ec.message());
  if (dest.filename().empty()) dest = dest.parent_path();
  // Without an ETag/Last-Modified/mtime per file, equal fingerprints prove
  // nothing: always download then.
  bool versioned = std::all_of(manifest.entries.begin(), manifest.entries.end(),
                               [](const ManifestEntry& e) { return !e.version.empty(); });
  if (versioned && Trim(ReadSmallFile(dest / std::string(kCompleteMarker))) == fp) {
    result.source = FetchResult::Source::kUpToDate;
    return result;
  }
  RETURN_IF_ERROR(CheckDestination(dest));
  bool inside = options.in_place || IsMountPoint(dest);
  ASSIGN_OR_RETURN(fs::path tmp_path, MakeTemp(inside ? dest : dest.parent_path(),
                                               dest.filename().string(), options.modes.dir));
  TempDir tmp(tmp_path);

  fs::path cached =
      options.cache_dir.empty() || !versioned ? fs::path() : fs::path(options.cache_dir) / fp;
  if (!cached.empty() && fs::exists(cached / std::string(kCompleteMarker), ec)) {
    RETURN_IF_ERROR(LinkTree(cached, tmp.path()));
    result.source = FetchResult::Source::kCache;
  } else {
    ProgressTracker progress(options.progress, result.bytes, result.files);
    RETURN_IF_ERROR(provider->Download(manifest, tmp.path().string(), progress));
    progress.Finish();
    ASSIGN_OR_RETURN(result.unpacked, MaybeUnpack(manifest, tmp.path(), options.modes));
    RETURN_IF_ERROR(WriteMarker(tmp.path(), fp, options.modes.file));
    if (!cached.empty()) {  // best effort: a failing cache never fails the fetch
      auto ctmp = MakeTemp(cached.parent_path(), fp, options.modes.dir);
      if (ctmp.ok() && LinkTree(tmp.path(), *ctmp).ok()) {
        std::error_code ec;
        fs::rename(*ctmp, cached, ec);
        if (ec) fs::remove_all(*ctmp, ec);
      } else if (ctmp.ok()) {
        std::error_code ec;
        fs::remove_all(*ctmp, ec);
      }
    }
  }
  RETURN_IF_ERROR(Install(tmp.path(), dest, inside));
  return result;
}

}  // namespace ferry::storage
