#include "web/gzip.h"

#include <zlib.h>

#include <cstdlib>
#include <memory>

#include "common/strings.h"

namespace ferry::web {
namespace {

constexpr size_t kMinSize = 1024;

// q of one Accept-Encoding element ("gzip;q=0.5"): 1 without a q parameter.
double Quality(std::string_view params) {
  size_t q = params.find("q=");
  if (q == std::string_view::npos) return 1.0;
  return std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr);
}

bool Compressible(std::string_view type) {
  return type.rfind("text/", 0) == 0 || type.find("json") != std::string_view::npos ||
         type.find("javascript") != std::string_view::npos ||
         type.find("svg") != std::string_view::npos;
}

class GzipSink : public http::ForwardingSink {
 public:
  using ForwardingSink::ForwardingSink;
  void Send(http::HttpResponse r) override {
    MaybeGzip(&r);
    inner().Send(std::move(r));
  }
};

}  // namespace

bool AcceptsGzip(const http::HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (name != "accept-encoding") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      size_t semi = item.find(';');
      std::string_view coding = TrimWhitespace(item.substr(0, semi));
      if ((EqualsIgnoreCase(coding, "gzip") || coding == "*") &&
          Quality(semi == std::string_view::npos ? "" : item.substr(semi)) > 0) {
        return true;
      }
    }
  }
  return false;
}

std::string GzipCompress(std::string_view data) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t n = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return "";
  out.resize(n);
  return out;
}

bool MaybeGzip(http::HttpResponse* r) {
  if (r->body.size() < kMinSize || !Compressible(r->content_type)) return false;
  for (const auto& [name, value] : r->headers) {
    if (EqualsIgnoreCase(name, "content-encoding")) return false;
  }
  std::string gz = GzipCompress(r->body);
  if (gz.empty() || gz.size() >= r->body.size()) return false;
  r->body = std::move(gz);
  r->headers.emplace_back("Content-Encoding", "gzip");
  r->headers.emplace_back("Vary", "Accept-Encoding");
  return true;
}

http::Responder GzipResponder(http::Responder inner) {
  return http::Responder(std::make_shared<GzipSink>(std::move(inner)));
}

}  // namespace ferry::web
