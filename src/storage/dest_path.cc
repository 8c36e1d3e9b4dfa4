#include "storage/dest_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ferry::storage {
namespace fs = std::filesystem;

Status CheckRelativePath(std::string_view rel, std::string_view display) {
  std::string_view why;
  if (rel.empty()) {
    why = "an empty path";
  } else if (rel.front() == '/') {
    why = "an absolute path";
  } else if (rel.find('\0') != std::string_view::npos) {
    why = "a NUL byte";
  } else {
    size_t pos = 0;
    while (pos <= rel.size() && why.empty()) {
      size_t next = rel.find('/', pos);
      if (next == std::string_view::npos) next = rel.size();
      std::string_view seg = rel.substr(pos, next - pos);
      if (seg.empty()) why = "an empty path segment";
      if (seg == "." || seg == "..") why = "a `.` or `..` path segment";
      pos = next + 1;
    }
  }
  if (why.empty()) return OkStatus();
  return InvalidArgumentError(std::string(display) + " would be saved as `" + std::string(rel) +
                              "`, which has " + std::string(why) +
                              " and could land outside the model directory; nothing was "
                              "written. Rename it at the source");
}

bool PathIsUnder(const fs::path& path, const fs::path& base) {
  auto p = path.begin();
  for (auto b = base.begin(); b != base.end(); ++b) {
    if (b->empty()) continue;  // the trailing "" of "/a/b/"
    if (p == path.end() || *p != *b) return false;
    ++p;
  }
  return true;
}

StatusOr<fs::path> JoinInside(const fs::path& dir, std::string_view rel, std::string_view display) {
  RETURN_IF_ERROR(CheckRelativePath(rel, display));
  fs::path base = dir.lexically_normal();
  fs::path joined = (base / std::string(rel)).lexically_normal();
  if (!PathIsUnder(joined, base) || joined == base) {
    return InvalidArgumentError(std::string(display) +
                                " would be saved outside the model "
                                "directory (as `" +
                                std::string(rel) +
                                "`); nothing was written. Rename it at the source");
  }
  return joined;
}

Status CreateParentDirs(const fs::path& dir, const fs::path& path, mode_t mode) {
  fs::path base = dir.lexically_normal();
  fs::path rel = path.lexically_normal().lexically_relative(base).parent_path();
  fs::path cur = base;
  for (const auto& seg : rel) {
    if (seg.empty() || seg == ".") continue;
    cur /= seg;
    if (::mkdir(cur.c_str(), mode) == 0) continue;
    int err = errno;
    struct stat st;
    if (err == EEXIST && ::lstat(cur.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return InternalError("cannot create directory `" + cur.string() + "`: " +
                         (err == EEXIST ? "something else is in its place" : std::strerror(err)) +
                         "; check that the destination is writable and has space");
  }
  return OkStatus();
}

StatusOr<int> CreateFileExclusive(const fs::path& path, mode_t mode, int extra_flags) {
  int flags = O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | extra_flags;
  if ((extra_flags & O_ACCMODE) == 0) flags |= O_WRONLY;
  int fd = ::open(path.c_str(), flags, mode);
  if (fd >= 0) return fd;
  int err = errno;
  if (err == EEXIST) {
    return AlreadyExistsError("`" + path.string() +
                              "` already exists; Ferry never overwrites a file while fetching "
                              "(two source objects map to the same name?)");
  }
  return InternalError("cannot create `" + path.string() + "`: " + std::strerror(err) +
                       "; check that the destination is writable and has space");
}

}  // namespace ferry::storage
