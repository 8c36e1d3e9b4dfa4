// The s3:// provider: ListObjectsV2 (paged) + parallel/ranged GETs signed by
// libcurl's CURLOPT_AWS_SIGV4, against AWS or any S3-compatible endpoint
// (MinIO, Ceph, s3rver) configured through S3Config.
//
// Addressing is path-style (endpoint/bucket/key) unless
// S3Config::virtual_bucket. Every request carries x-amz-content-sha256 (S3 and
// MinIO require it; libcurl 7.88 does not add it). Prefix semantics are those
// documented in s3_path.h (whole path segments only, kserve#3776). Errors name
// the URI, the endpoint, where the offending setting came from, and the fix.
// Created per fetch by the registry in providers.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/http_client.h"
#include "storage/provider.h"
#include "storage/s3_config.h"

namespace ferry::storage {

std::unique_ptr<StorageProvider> MakeS3Provider(const FetchOptions& options);

// URL of an object, path-style or virtual-hosted per `cfg`.
std::string S3ObjectUrl(const S3Config& cfg, std::string_view bucket, std::string_view key);
// URL of a bucket listing with an already-canonical query string.
std::string S3ListUrl(const S3Config& cfg, std::string_view bucket, std::string_view query);

// The user-facing Status for a failed S3 request on `what` (e.g. "s3://b/p/").
Status MapS3Failure(const S3Config& cfg, std::string_view what, const HttpResponse& resp);

// Fails before any request when a non-anonymous endpoint has no credentials.
Status CheckS3Credentials(const S3Config& cfg, std::string_view uri);

}  // namespace ferry::storage
