#include "web/assets.h"

#include <cstdint>
#include <cstdio>
#include <map>

#include "web/gzip.h"

namespace ferry::web {
namespace {

std::string Etag(std::string_view body) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable across builds, cheap
  for (unsigned char c : body) {
    h = (h ^ c) * 1099511628211ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof(buf), "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

const std::map<std::string_view, Asset>& Table() {
  static const auto* table = [] {
    auto* t = new std::map<std::string_view, Asset>();
    for (const EmbeddedAsset* a = kAssets; a->path != nullptr; ++a) {
      std::string_view body(reinterpret_cast<const char*>(a->data), a->size);
      Asset asset{a->path, body, ContentTypeFor(a->path), Etag(body), "", ""};
      std::string gz = GzipCompress(body);
      if (!gz.empty() && gz.size() < body.size()) {
        asset.gzip = std::move(gz);
        asset.gzip_etag = asset.etag.substr(0, asset.etag.size() - 1) + "-gzip\"";
      }
      (*t)[a->path] = std::move(asset);
    }
    return t;
  }();
  return *table;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  if (path.ends_with(".png")) return "image/png";
  if (path.ends_with(".json")) return "application/json";
  return "application/octet-stream";
}

const Asset* FindAsset(std::string_view path) {
  const auto& t = Table();
  auto it = t.find(path);
  return it == t.end() ? nullptr : &it->second;
}

}  // namespace ferry::web
