// Safe unpacking of single-file model archives (.tar, .tar.gz, .tgz, .zip),
// the way KServe's storage initializer unpacks them, but refusing any entry
// that would land outside the destination: absolute paths, `..` segments,
// symlinks or hard links whose target leaves the destination, and device
// files. Uses libarchive; called by the fetch orchestrator on its temporary
// directory, so a refused or corrupt archive never reaches the final path.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/dest_path.h"

namespace ferry::storage {

// True for names KServe treats as archives (.tar, .tar.gz, .tgz, .zip).
bool IsArchiveName(std::string_view filename);

// Unpacks `archive_path` into the existing directory `dest_dir`. `display`
// names the archive in errors (e.g. its URI). Entries get `modes`, never the
// archive's own permissions.
Status ExtractArchive(const std::string& archive_path, const std::string& dest_dir,
                      std::string_view display, const FileModes& modes = kPrivateModes);

// Whether `entry` (a relative archive path) stays inside the destination, and
// whether a link at `entry` pointing to `target` does. Exposed for tests.
bool IsSafeEntryPath(std::string_view entry);
bool IsSafeLinkTarget(std::string_view entry, std::string_view target);

}  // namespace ferry::storage
