// Where fetched files land: the one check every manifest entry passes before
// anything is written, and how files and directories are created there.
//
// A ManifestEntry's rel_path comes from untrusted input (an S3 key, a URL's
// last segment, a walked directory), so Fetch checks every entry with
// CheckRelativePath before a provider writes, whatever the provider; writers
// join with JoinInside, which checks again (the same function), so no path
// leaves the destination even if a provider forgets. Files are created
// exclusively (O_EXCL | O_NOFOLLOW: nothing is ever replaced, no link is
// followed) with the modes of FileModes, never with the source's mode.
//
// Pure functions and single system calls; thread-safe.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "common/status.h"

namespace ferry::storage {

// Modes of what a fetch creates. Private for `ferry up` (its data directory
// holds Secrets and every tenant's models); shared for `ferry
// storage-initializer`, whose files the pod's model-server container reads,
// which may run as another user (KServe's own initializer leaves 0644).
struct FileModes {
  mode_t file = 0600;
  mode_t exec = 0700;  // files unpacked from an archive with an execute bit
  mode_t dir = 0700;
};
inline constexpr FileModes kPrivateModes{0600, 0700, 0700};
inline constexpr FileModes kSharedModes{0644, 0755, 0755};

// Ok when `rel` is a relative path of non-empty segments other than `.` and
// `..` (no leading '/', no NUL). `display` names the object in the error,
// which is InvalidArgument and says to rename it at the source.
Status CheckRelativePath(std::string_view rel, std::string_view display);

// `dir` / `rel` after CheckRelativePath, re-checked to be lexically inside `dir`.
StatusOr<std::filesystem::path> JoinInside(const std::filesystem::path& dir, std::string_view rel,
                                           std::string_view display);

// Creates the missing directories between `dir` (which exists) and the parent
// of `path` (inside `dir`) with `mode`; fails when one of them exists but is
// not a directory (a symlink included).
Status CreateParentDirs(const std::filesystem::path& dir, const std::filesystem::path& path,
                        mode_t mode);

// Opens a new file for writing (plus `extra_flags`, e.g. O_RDWR); fails with
// AlreadyExists when anything, a symlink included, is at `path`. Returns the fd.
StatusOr<int> CreateFileExclusive(const std::filesystem::path& path, mode_t mode,
                                  int extra_flags = 0);

// Whether `path` is `base` or below it, component-wise (both absolute and
// lexically normal; "/a/bc" is not below "/a/b").
bool PathIsUnder(const std::filesystem::path& path, const std::filesystem::path& base);

}  // namespace ferry::storage
