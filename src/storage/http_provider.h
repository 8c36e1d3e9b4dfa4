// The http:// and https:// provider: one file per URI (KServe's generic
// HTTP source). A HEAD learns size, ETag and range support (falling back to a
// plain GET when HEAD is refused); large files are fetched in parallel ranged
// parts through transfer.h. The saved name is the last path segment of the
// URL (query stripped); archives are unpacked by the fetch orchestrator.
// Requests carry the headers FetchOptions::http_headers gives for the host
// (KServe's `<host>-headers`, e.g. an Authorization header).
// Azure Blob / File URLs are refused as not supported yet.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/provider.h"

namespace ferry::storage {

std::unique_ptr<StorageProvider> MakeHttpProvider(const FetchOptions& options);

// The URL's host name as Python's urlparse().hostname gives it (lower case,
// no userinfo, port or IPv6 brackets): KServe's `<host>-headers` key.
std::string UrlHostname(std::string_view url);

// The file name a URL is saved under ("model.tar.gz" for .../model.tar.gz?x=1).
std::string FileNameForUrl(std::string_view url);

}  // namespace ferry::storage
