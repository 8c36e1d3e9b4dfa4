// The dashboard's static files (web/*), compiled into the binary as byte
// arrays by src/web/embed_assets.cmake. Read-only after static init; any
// thread may call FindAsset.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ferry::web {

// One embedded file, path relative to web/ with a leading '/'.
struct EmbeddedAsset {
  const char* path;
  const unsigned char* data;
  size_t size;
};

// Terminated by an entry with path == nullptr. Defined in the generated .cc.
extern const EmbeddedAsset kAssets[];

struct Asset {
  std::string_view path;
  std::string_view body;
  std::string_view content_type;
  std::string etag;  // quoted strong ETag of the content
  // gzip of body (empty when it would not be smaller) and its own ETag: a
  // different representation needs a different strong ETag.
  std::string gzip;
  std::string gzip_etag;
};

// The asset at `path` ("/app.js"), or nullptr.
const Asset* FindAsset(std::string_view path);

// Content type from a file name's extension.
std::string_view ContentTypeFor(std::string_view path);

}  // namespace ferry::web
