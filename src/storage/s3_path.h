// S3 URI parsing, prefix semantics and the canonical encodings SigV4 needs.
//
// Prefix semantics (deliberately stricter than KServe, see kserve#3776):
//   s3://bucket/models/iris  downloads every object under `models/iris/` (the
//   "directory"), or exactly the object `models/iris` if that key exists;
//   it NEVER downloads `models/iris-v2/...` or `models/iris.bak`.
//   s3://bucket/models/iris/ (trailing slash) only means the directory.
//   s3://bucket or s3://bucket/ downloads the whole bucket.
// Keys ending in `/` (folder markers) are skipped.
//
// libcurl 7.88 signs the query string verbatim (curl#9717), so the ListObjectsV2
// query is built here already canonical: parameters sorted by name, names and
// values percent-encoded with the RFC 3986 unreserved set. Pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ferry::storage {

struct S3Uri {
  std::string bucket;
  std::string prefix;  // key or key prefix, no leading '/'; may be empty
};

// Parses "s3://bucket[/prefix]".
StatusOr<S3Uri> ParseS3Uri(std::string_view uri);

// Percent-encodes every byte outside A-Za-z0-9-_.~ (and keeps '/' when asked).
std::string UriEncode(std::string_view s, bool keep_slash);

// "a=1&b=x%2Fy" with keys sorted and RFC 3986-encoded; ready to sign as is.
std::string CanonicalQuery(const std::map<std::string, std::string>& params);

// How a listed key relates to the requested prefix.
enum class KeyMatch {
  kNone,       // sibling or unrelated (e.g. models/iris-v2/x for prefix models/iris)
  kExact,      // the key IS the prefix (single-object download)
  kDirectory,  // the key lies under prefix + "/"
};
KeyMatch MatchKey(std::string_view prefix, std::string_view key);

// The path (relative to the destination) an object is saved under:
// kExact -> basename of key; kDirectory -> key minus "prefix/". Rejects
// paths that would escape the destination (CheckRelativePath).
StatusOr<std::string> RelativePathForKey(std::string_view prefix, std::string_view key);

// The prefix sent to ListObjectsV2: the raw prefix (so the exact object is
// found too); MatchKey filters siblings afterwards.
std::string ListPrefix(const S3Uri& uri);

}  // namespace ferry::storage
