#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstring>

#include "common/strings.h"
#include "http/http_message.h"

namespace ferry::http::internal {

bool ResponseHasBody(int status) {
  return !(status / 100 == 1 || status == 204 || status == 304);
}

// Sized first, then written with plain copies into one resize of `out`: a dozen string appends
// per response cost more than the head's bytes.
void AppendResponseHead(const HttpResponse& r, unsigned version, bool keep_alive,
                        std::string_view date, std::string* out) {
  static constexpr std::string_view kServer = "\r\nServer: ferry\r\nDate: ";
  static constexpr std::string_view kContentType = "\r\nContent-Type: ";
  static constexpr std::string_view kClose = "\r\nConnection: close";
  static constexpr std::string_view kKeepAlive = "\r\nConnection: keep-alive";
  static constexpr std::string_view kLength = "\r\nContent-Length: ";
  auto reason = boost::beast::http::obsolete_reason(
      static_cast<boost::beast::http::status>(r.status));
  // Framing headers are the listener's to write (as Beast's prepare_payload
  // and keep_alive did): a handler's copy would contradict them.
  auto framing = [](const std::string& k) {
    return EqualsIgnoreCase(k, "content-length") || EqualsIgnoreCase(k, "transfer-encoding") ||
           EqualsIgnoreCase(k, "connection");
  };
  const bool close_line = version >= 11 && !keep_alive;
  const bool keep_alive_line = version < 11 && keep_alive;
  const bool has_body = ResponseHasBody(r.status);
  size_t n = 9 + 11 + 1 + reason.size() + kServer.size() + date.size() + 4;  // line, Date, end
  if (!r.content_type.empty()) n += kContentType.size() + r.content_type.size();
  for (const auto& [k, v] : r.headers) n += 4 + k.size() + v.size();
  if (close_line) n += kClose.size();
  if (keep_alive_line) n += kKeepAlive.size();
  if (has_body) n += kLength.size() + 20;
  const size_t start = out->size();
  out->resize(start + n);
  char* const begin = out->data();
  char* p = begin + start;
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  put(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  p = std::to_chars(p, p + 11, r.status).ptr;
  *p++ = ' ';
  put({reason.data(), reason.size()});
  put(kServer);
  put(date);
  if (!r.content_type.empty()) {
    put(kContentType);
    put(r.content_type);
  }
  for (const auto& [k, v] : r.headers) {
    if (framing(k)) continue;
    put("\r\n");
    put(k);
    put(": ");
    put(v);
  }
  if (close_line) put(kClose);
  if (keep_alive_line) put(kKeepAlive);
  if (has_body) {
    put(kLength);
    p = std::to_chars(p, p + 20, static_cast<uint64_t>(r.body.size())).ptr;
  }
  put("\r\n\r\n");
  out->resize(static_cast<size_t>(p - begin));
}

}  // namespace ferry::http::internal
