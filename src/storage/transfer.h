// Parallel, resumable-by-part HTTP downloads shared by the S3 and HTTP(S)
// providers.
//
// DownloadFiles() fetches a list of remote files into a directory with a
// bounded pool of worker threads (FetchOptions::concurrency). A file larger
// than FetchOptions::multipart_threshold starts as one whole-object GET; when
// its first bytes (8 MB or 250 ms) show the rest would take longer than
// split_after, the GET stops at the next part boundary and the tail is queued
// as ranged GETs of part_size, written in place with pwrite, so parts of one
// object and different objects proceed in parallel. A fast server (a local
// MinIO) thus streams once; a slow or far one gets parallel ranges. Each request is retried with
// exponential backoff and jitter on 5xx/429, timeouts, resets and refused
// connections. After the last part lands, the file size is checked and, when
// the ETag is a single-part MD5 (32 hex digits), the MD5 too. The first
// permanent failure stops all workers; the caller discards the directory.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/http_client.h"
#include "storage/provider.h"

namespace ferry::storage {

struct RemoteFile {
  std::string url;
  std::string rel_path;  // relative to the target directory; already validated
  std::string display;   // e.g. "s3://bucket/key", for messages
  std::optional<uint64_t> size;
  std::string etag;  // unquoted; MD5-verified when it is 32 hex digits
  bool ranges_ok = true;
};

// Turns a failed response (after retries) into the user-facing Status.
using FailureMapper = std::function<Status(const RemoteFile&, const HttpResponse&)>;

Status DownloadFiles(const std::vector<RemoteFile>& files, const std::string& dir,
                     const HttpRequest& base, const FetchOptions& options,
                     const FailureMapper& on_failure, ProgressTracker& progress);

// Performs `req`, retrying retryable failures per `options`. `before_retry`
// runs before each new attempt (to reset sinks).
HttpResponse PerformWithRetry(const HttpRequest& req, const FetchOptions& options,
                              const BodySink& sink = nullptr,
                              const std::function<void()>& before_retry = nullptr);

// Hex MD5 of a file's contents.
StatusOr<std::string> FileMd5Hex(const std::string& path);

}  // namespace ferry::storage
