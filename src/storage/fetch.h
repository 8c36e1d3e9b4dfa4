// Fetch: downloads one model URI into a destination directory, all or nothing.
//
// Steps: pick the provider for the URI's scheme (provider.h), List() it, and
// compute a fingerprint of (URI, every file's path, size and ETag/mtime).
//  * If DEST already holds a complete Ferry download with that fingerprint
//    (marker file `.ferry-complete`), nothing is downloaded. Sources whose
//    files carry no version (an HTTP server without ETag/Last-Modified) are
//    always downloaded.
//  * Else if the content cache (FetchOptions::cache_dir) holds it, it is
//    hard-linked (or copied) from there.
//  * Else the provider downloads into a temporary directory NEXT TO DEST
//    (same filesystem); a single .tar/.tar.gz/.tgz/.zip is unpacked there and
//    removed, like KServe does.
// The result then replaces DEST with ONE rename (renameat2 RENAME_EXCHANGE
// when DEST is a previous download), so DEST never holds half a model. When
// DEST is a mount point (KServe's emptyDir at /mnt/models) a directory cannot
// be renamed over it: the temp dir is created inside DEST and its entries are
// moved up one by one, the completion marker last.
// Blocking; runs the provider's worker threads internally. Not safe to run two
// fetches into the same DEST at once.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/provider.h"

namespace ferry::storage {

struct FetchResult {
  enum class Source { kDownloaded, kUpToDate, kCache } source = Source::kDownloaded;
  uint64_t bytes = 0;     // bytes listed (before unpacking)
  size_t files = 0;       // files listed
  bool unpacked = false;  // an archive was unpacked
};

// Name of the marker written last into a complete destination.
inline constexpr std::string_view kCompleteMarker = ".ferry-complete";

StatusOr<FetchResult> Fetch(std::string_view uri, const std::string& dest,
                            const FetchOptions& options);

// Stable fingerprint of a URI + its manifest (hex SHA-256). Exposed for tests.
std::string ManifestFingerprint(std::string_view uri, const Manifest& manifest);

}  // namespace ferry::storage
