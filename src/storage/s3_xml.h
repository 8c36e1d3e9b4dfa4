// Parsers for the AWS XML documents Ferry reads: S3's ListObjectsV2 result
// and <Error> body, and STS's AssumeRoleWithWebIdentity result (whose
// <ErrorResponse> ParseS3Error also reads). A small, allocation-light scanner (no XML library is
// among the allowed dependencies); it understands exactly the flat element
// structure S3 returns, decodes the five XML entities and numeric character
// references, and rejects malformed input with a Status instead of crashing
// (fuzzed by tests/fuzz/s3xml). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::storage {

struct S3Object {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes
};

struct ListObjectsPage {
  std::vector<S3Object> objects;
  bool is_truncated = false;
  std::string next_continuation_token;
};

StatusOr<ListObjectsPage> ParseListObjectsV2(std::string_view xml);

struct S3Error {
  std::string code;  // e.g. "SignatureDoesNotMatch"; empty if the body was not an S3 error
  std::string message;
};
S3Error ParseS3Error(std::string_view xml);

// The <Credentials> of an AssumeRoleWithWebIdentityResponse.
struct StsCredentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  std::string expiration;  // ISO 8601, as STS wrote it
};
StatusOr<StsCredentials> ParseAssumeRoleWithWebIdentity(std::string_view xml);

// Decodes &amp; &lt; &gt; &quot; &apos; &#N; &#xN; ; fails on anything else.
StatusOr<std::string> XmlUnescape(std::string_view text);

}  // namespace ferry::storage
