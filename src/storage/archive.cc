#include "storage/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <vector>

#include "common/strings.h"
#include "storage/dest_path.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;

// Depth of a relative path after resolving `.`/`..` lexically; -1 if it ever
// climbs above its start.
int ResolvedDepth(std::string_view path, int start_depth) {
  int depth = start_depth;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view seg = path.substr(pos, next - pos);
    if (seg == "..") {
      if (--depth < 0) return -1;
    } else if (!seg.empty() && seg != ".") {
      ++depth;
    }
    pos = next + 1;
  }
  return depth;
}

Status ArchiveError(std::string_view display, archive* a, std::string_view what) {
  const char* msg = archive_error_string(a);
  return DataLossError("archive " + std::string(display) + " is corrupt or unreadable (" +
                       std::string(what) + ": " + (msg ? msg : "unknown error") +
                       "); re-create and re-upload it");
}

Status Refuse(std::string_view display, std::string_view entry, std::string_view why) {
  return PermissionDeniedError("archive " + std::string(display) + " contains entry `" +
                               std::string(entry) + "` " + std::string(why) +
                               "; refusing to unpack it (re-create the archive with relative "
                               "paths inside the model directory)");
}

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;

Status CopyData(archive* in, archive* out, std::string_view display) {
  const void* buf;
  size_t size;
  la_int64_t offset;
  for (;;) {
    int r = archive_read_data_block(in, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) return OkStatus();
    if (r < ARCHIVE_WARN) return ArchiveError(display, in, "reading data");
    if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN) {
      return InternalError("cannot write unpacked data from archive " + std::string(display) +
                           ": " + archive_error_string(out) + "; check free space");
    }
  }
}

Status CheckEntry(archive_entry* e, std::string_view display) {
  const char* name = archive_entry_pathname(e);
  std::string path = name ? name : "";
  if (!IsSafeEntryPath(path)) return Refuse(display, path, "that escapes the destination");
  mode_t type = archive_entry_filetype(e);
  if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
    if (archive_entry_hardlink(e) == nullptr) {
      return Refuse(display, path, "that is a device, FIFO or socket");
    }
  }
  if (const char* link = archive_entry_symlink(e); type == AE_IFLNK && link != nullptr) {
    if (!IsSafeLinkTarget(path, link)) {
      return Refuse(display, path, "that is a symlink pointing outside the destination");
    }
  }
  if (const char* hard = archive_entry_hardlink(e); hard != nullptr && !IsSafeEntryPath(hard)) {
    return Refuse(display, path, "that is a hard link to a path outside the destination");
  }
  return OkStatus();
}

// Lexical checks cannot see through chains of links (a -> ., b -> a/..), so
// after unpacking, every symlink is resolved for real and must stay inside.
Status CheckLinksInside(const std::string& dest_dir, std::string_view display) {
  std::error_code ec;
  fs::path root = fs::canonical(dest_dir, ec);
  if (ec) return InternalError("cannot resolve `" + dest_dir + "`: " + ec.message());
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_symlink(ec) || ec) continue;
    fs::path real = fs::weakly_canonical(it->path(), ec);
    if (ec) break;
    if (!PathIsUnder(real, root)) {
      return Refuse(display, it->path().lexically_relative(root).string(),
                    "that is a symlink resolving outside the destination");
    }
  }
  if (ec)
    return InternalError("cannot scan unpacked archive " + std::string(display) + ": " +
                         ec.message());
  return OkStatus();
}

}  // namespace

bool IsArchiveName(std::string_view filename) {
  std::string n = AsciiLower(filename);
  return n.ends_with(".tar") || n.ends_with(".tar.gz") || n.ends_with(".tgz") ||
         n.ends_with(".zip");
}

bool IsSafeEntryPath(std::string_view entry) {
  if (entry.empty() || entry.front() == '/') return false;
  return ResolvedDepth(entry, 0) >= 0 && entry.find("/../") == std::string_view::npos &&
         entry.rfind("../", 0) != 0 && entry != ".." &&
         !(entry.size() >= 3 && entry.substr(entry.size() - 3) == "/..");
}

bool IsSafeLinkTarget(std::string_view entry, std::string_view target) {
  if (target.empty() || target.front() == '/') return false;
  // The link lives in entry's directory; resolve target from there.
  std::string_view dir = entry;
  while (!dir.empty() && dir.back() == '/') dir.remove_suffix(1);
  size_t slash = dir.rfind('/');
  dir = slash == std::string_view::npos ? std::string_view() : dir.substr(0, slash);
  int depth = ResolvedDepth(dir, 0);
  return depth >= 0 && ResolvedDepth(target, depth) >= 0;
}

Status ExtractArchive(const std::string& archive_path, const std::string& dest_dir,
                      std::string_view display, const FileModes& modes) {
  ReadPtr in(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  archive_read_support_format_zip(in.get());
  if (archive_read_open_filename(in.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return ArchiveError(display, in.get(), "opening");
  }
  WritePtr out(archive_write_disk_new(), archive_write_free);
  // Entries are re-rooted under dest_dir (an absolute path) after CheckEntry,
  // so libarchive's NOABSOLUTEPATHS cannot be used; SECURE_SYMLINKS still
  // stops writes through links planted by earlier entries.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  size_t entries = 0;
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(in.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return ArchiveError(display, in.get(), "reading entry header");
    RETURN_IF_ERROR(CheckEntry(e, display));
    std::string rel = archive_entry_pathname(e);
    archive_entry_set_pathname(e, (fs::path(dest_dir) / rel).c_str());
    if (const char* hard = archive_entry_hardlink(e)) {
      archive_entry_set_hardlink(e, (fs::path(dest_dir) / hard).c_str());
    }
    archive_entry_set_perm(e, archive_entry_filetype(e) == AE_IFDIR ? modes.dir
                              : (archive_entry_perm(e) & 0111)      ? modes.exec
                                                                    : modes.file);
    if (archive_write_header(out.get(), e) < ARCHIVE_WARN) {
      return InternalError("cannot unpack entry `" + rel + "` of archive " + std::string(display) +
                           ": " + archive_error_string(out.get()));
    }
    if (archive_entry_size(e) > 0) RETURN_IF_ERROR(CopyData(in.get(), out.get(), display));
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      return InternalError("cannot finish entry `" + rel + "` of archive " + std::string(display) +
                           ": " + archive_error_string(out.get()));
    }
    ++entries;
  }
  RETURN_IF_ERROR(CheckLinksInside(dest_dir, display));
  if (entries == 0) {
    return DataLossError("archive " + std::string(display) +
                         " holds no entries; re-create it from the model directory");
  }
  return OkStatus();
}

}  // namespace ferry::storage
