// Helpers shared by the storage tests: temp directories, small files and
// archives written with libarchive (so tests need no external tools).
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ferry::storage::testing {

namespace fs = std::filesystem;

inline fs::path MakeTestDir(const std::string& name) {
  fs::path p =
      fs::path(FERRY_BINARY_DIR) / "storage-test-tmp" / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline void WriteFile(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ArchiveEntry {
  std::string name;
  std::string content;       // regular file content
  std::string symlink = "";  // non-empty: a symlink to this target
  bool directory = false;
};

enum class ArchiveKind { kTar, kTarGz, kZip };

inline void WriteArchive(const fs::path& path, const std::vector<ArchiveEntry>& entries,
                         ArchiveKind kind) {
  archive* a = archive_write_new();
  if (kind == ArchiveKind::kZip) {
    archive_write_set_format_zip(a);
  } else {
    archive_write_set_format_pax_restricted(a);
    if (kind == ArchiveKind::kTarGz) archive_write_add_filter_gzip(a);
  }
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.name.c_str());
    if (e.directory) {
      archive_entry_set_filetype(en, AE_IFDIR);
      archive_entry_set_perm(en, 0755);
    } else if (!e.symlink.empty()) {
      archive_entry_set_filetype(en, AE_IFLNK);
      archive_entry_set_symlink(en, e.symlink.c_str());
      archive_entry_set_perm(en, 0777);
    } else {
      archive_entry_set_filetype(en, AE_IFREG);
      archive_entry_set_perm(en, 0644);
      archive_entry_set_size(en, static_cast<la_int64_t>(e.content.size()));
    }
    archive_write_header(a, en);
    if (!e.content.empty()) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
}

}  // namespace ferry::storage::testing
