// Providers for files already reachable from this machine: file:// URIs and
// plain paths (a file or a directory tree), and pvc://NAME/path, which KServe
// mounts at <pvc_root>/NAME/path (FetchOptions::pvc_root, default /mnt/pvc).
// Files are hard-linked into the destination when on the same filesystem,
// copied otherwise. The version used for caching is size + mtime.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/provider.h"

namespace ferry::storage {

std::unique_ptr<StorageProvider> MakeLocalProvider(const FetchOptions& options);

// Maps file://, pvc:// or a plain path to a local filesystem path.
StatusOr<std::string> LocalPathForUri(std::string_view uri, const std::string& pvc_root);

}  // namespace ferry::storage
