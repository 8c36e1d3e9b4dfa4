// StorageProvider: one implementation per URI scheme (s3://, http(s)://,
// file:// and plain paths, pvc://), all registered in one list (providers.cc).
//
// The fetch orchestrator (fetch.h) calls List() first (cheap: a listing, a
// HEAD or a stat) to learn what the URI names and its version, which keys the
// content cache; then Download() into a fresh temporary directory. Providers
// never write the final destination; the orchestrator renames the complete
// result into place. A provider instance is used by one fetch at a time but
// may run its own worker threads inside Download(); the ProgressTracker is
// thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/dest_path.h"
#include "storage/local_access.h"
#include "storage/s3_config.h"

namespace ferry::storage {

struct Progress {
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;  // 0 when unknown
  size_t objects_done = 0;
  size_t objects_total = 0;
};
using ProgressCallback = std::function<void(const Progress&)>;

struct FetchOptions {
  S3Config s3;
  int concurrency = 4;                           // parallel objects / parts
  uint64_t part_size = 16ull << 20;              // ranged GET part size
  uint64_t multipart_threshold = 32ull << 20;    // objects above this may be split into parts
  // A large object starts as one whole-object GET; once its first bytes show
  // that the rest would take longer than this, the remainder is split into
  // ranged parts fetched in parallel (0 = split at the first byte).
  std::chrono::milliseconds split_after{1000};
  int max_attempts = 5;                          // per request, incl. the first (boto3 legacy)
  std::chrono::milliseconds retry_backoff{200};  // doubled per attempt, with jitter
  std::chrono::milliseconds connect_timeout{15000};
  std::chrono::seconds read_timeout{30};  // abort when no byte arrives for this long
  LocalAccess local;        // where file://, plain paths and pvc:// may read
  FileModes modes = kPrivateModes;  // of every file and directory a fetch creates
  std::string cache_dir;                  // content cache; empty = disabled
  // Stage inside DEST and move entries up instead of one rename; chosen
  // automatically when DEST is a mount point (see fetch.h).
  bool in_place = false;
  int s3_list_page_size = 0;  // ListObjectsV2 max-keys; 0 = server default
  // Extra request headers ("Name: value") for http(s):// downloads from a
  // host name (KServe's `<host>-headers` variable); unset = none.
  std::function<StatusOr<std::vector<std::string>>(std::string_view host)> http_headers;
  ProgressCallback progress;  // may be empty; called from worker threads
};

// One file a URI resolves to.
struct ManifestEntry {
  std::string source;    // provider-specific: S3 key, URL, absolute path
  std::string rel_path;  // where it lands, relative to the destination
  std::optional<uint64_t> size;
  std::string version;  // ETag, or size+mtime; part of the cache key
  std::string display;  // full URI of this one file, for messages
};

struct Manifest {
  std::vector<ManifestEntry> entries;
  std::string location;  // human-readable, for messages (e.g. "s3://b/p/ at http://h:9000")
};

// Thread-safe progress accounting; forwards to the callback at most every
// ~100 ms plus once at the end.
class ProgressTracker {
 public:
  ProgressTracker(ProgressCallback cb, uint64_t bytes_total, size_t objects_total);
  void AddBytes(int64_t delta);  // negative when a retried part is rolled back
  void ObjectDone();
  void Finish();  // forces a final callback
  Progress Snapshot() const;

 private:
  void Report(bool force);
  ProgressCallback cb_;
  std::atomic<int64_t> bytes_done_{0};
  std::atomic<size_t> objects_done_{0};
  const uint64_t bytes_total_;
  const size_t objects_total_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_report_{};
};

class StorageProvider {
 public:
  virtual ~StorageProvider() = default;
  // What `uri` names. Fails (NotFound) when it names nothing.
  virtual StatusOr<Manifest> List(std::string_view uri) = 0;
  // Downloads every entry into `dir`, an existing empty directory.
  virtual Status Download(const Manifest& manifest, const std::string& dir,
                          ProgressTracker& progress) = 0;
};

struct ProviderRegistration {
  std::vector<std::string_view> schemes;  // "s3", "file", "" (plain path), ...
  std::function<std::unique_ptr<StorageProvider>(const FetchOptions&)> make;
};

// The one list of providers. Adding a scheme means adding an entry here.
const std::vector<ProviderRegistration>& Providers();

// The lower-case scheme of `uri` ("" for a plain path).
std::string UriScheme(std::string_view uri);

// The provider for `uri`, or Unimplemented naming the scheme.
StatusOr<std::unique_ptr<StorageProvider>> ProviderFor(std::string_view uri,
                                                       const FetchOptions& options);

}  // namespace ferry::storage
