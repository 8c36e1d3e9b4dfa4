#include <boost/beast/http/status.hpp>
#include <charconv>

#include "common/strings.h"
#include "http/http_message.h"

namespace ferry::http::internal {
namespace {

void AppendNumber(uint64_t v, std::string* out) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, res.ptr);
}

}  // namespace

bool ResponseHasBody(int status) {
  return !(status / 100 == 1 || status == 204 || status == 304);
}

void AppendResponseHead(const HttpResponse& r, unsigned version, bool keep_alive,
                        std::string_view date, std::string* out) {
  out->append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  AppendNumber(static_cast<uint64_t>(r.status), out);
  out->push_back(' ');
  auto reason = boost::beast::http::obsolete_reason(
      static_cast<boost::beast::http::status>(r.status));
  out->append(reason.data(), reason.size());
  out->append("\r\nServer: ferry\r\nDate: ");
  out->append(date);
  out->append("\r\n");
  if (!r.content_type.empty()) {
    out->append("Content-Type: ");
    out->append(r.content_type);
    out->append("\r\n");
  }
  for (const auto& [k, v] : r.headers) {
    // Framing headers are the listener's to write (as Beast's prepare_payload
    // and keep_alive did): a handler's copy would contradict them.
    if (EqualsIgnoreCase(k, "content-length") || EqualsIgnoreCase(k, "transfer-encoding") ||
        EqualsIgnoreCase(k, "connection")) {
      continue;
    }
    out->append(k);
    out->append(": ");
    out->append(v);
    out->append("\r\n");
  }
  if (version >= 11 && !keep_alive) out->append("Connection: close\r\n");
  if (version < 11 && keep_alive) out->append("Connection: keep-alive\r\n");
  if (ResponseHasBody(r.status)) {
    out->append("Content-Length: ");
    AppendNumber(r.body.size(), out);
    out->append("\r\n");
  }
  out->append("\r\n");
}

}  // namespace ferry::http::internal
