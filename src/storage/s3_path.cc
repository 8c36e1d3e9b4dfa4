#include "storage/s3_path.h"

#include <cstdio>
#include <vector>

#include "storage/dest_path.h"

namespace ferry::storage {

StatusOr<S3Uri> ParseS3Uri(std::string_view uri) {
  constexpr std::string_view kScheme = "s3://";
  if (uri.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgumentError("`" + std::string(uri) + "` is not an s3:// URI");
  }
  std::string_view rest = uri.substr(kScheme.size());
  size_t slash = rest.find('/');
  S3Uri out;
  out.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.prefix = std::string(rest.substr(slash + 1));
  if (out.bucket.empty()) {
    return InvalidArgumentError("S3 URI `" + std::string(uri) +
                                "` has no bucket; write s3://BUCKET/path/to/model");
  }
  while (!out.prefix.empty() && out.prefix.front() == '/') out.prefix.erase(0, 1);
  return out;
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string CanonicalQuery(const std::map<std::string, std::string>& params) {
  // Sorting must happen on the encoded names; for the ASCII names S3 uses the
  // order is the same, but encode first to be exact.
  std::map<std::string, std::string> encoded;
  for (const auto& [k, v] : params) encoded[UriEncode(k, false)] = UriEncode(v, false);
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

KeyMatch MatchKey(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return KeyMatch::kDirectory;
  if (prefix.back() == '/') {
    return key.substr(0, prefix.size()) == prefix && key.size() > prefix.size()
               ? KeyMatch::kDirectory
               : KeyMatch::kNone;
  }
  if (key == prefix) return KeyMatch::kExact;
  if (key.size() > prefix.size() + 1 && key.substr(0, prefix.size()) == prefix &&
      key[prefix.size()] == '/') {
    return KeyMatch::kDirectory;
  }
  return KeyMatch::kNone;
}

StatusOr<std::string> RelativePathForKey(std::string_view prefix, std::string_view key) {
  std::string_view rel;
  switch (MatchKey(prefix, key)) {
    case KeyMatch::kNone:
      return InvalidArgumentError("key `" + std::string(key) + "` is not under prefix `" +
                                  std::string(prefix) + "`");
    case KeyMatch::kExact: {
      size_t slash = key.rfind('/');
      rel = slash == std::string_view::npos ? key : key.substr(slash + 1);
      break;
    }
    case KeyMatch::kDirectory: {
      size_t skip = prefix.empty() ? 0 : prefix.size() + (prefix.back() == '/' ? 0 : 1);
      rel = key.substr(skip);
      break;
    }
  }
  // The same check Fetch applies to every provider's entries (dest_path.h).
  RETURN_IF_ERROR(CheckRelativePath(rel, "object key `" + std::string(key) + "`"));
  return std::string(rel);
}

std::string ListPrefix(const S3Uri& uri) { return uri.prefix; }

}  // namespace ferry::storage
