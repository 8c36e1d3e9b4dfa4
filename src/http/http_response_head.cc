#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

#include "common/strings.h"
#include "http/http_message.h"

namespace ferry::http::internal {

bool ResponseHasBody(int status) { return !(status / 100 == 1 || status == 204 || status == 304); }

namespace {

// What every response head of one status starts with: "HTTP/1.1 200 OK\r\nServer: ferry\r\nDate: "
// and the date. Per thread (no lock), rebuilt when the status, version or date changes: once a
// second for a thread answering one kind of request.
struct HeadStart {
  int status = -1;
  unsigned version = 0;
  std::string date;
  std::string bytes;
};

const std::string& StartOf(int status, unsigned version, std::string_view date) {
  thread_local HeadStart start;
  if (status == start.status && version == start.version && date == start.date) {
    return start.bytes;
  }
  auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  char code[12];
  char* code_end = std::to_chars(code, code + sizeof(code), status).ptr;
  start.bytes.assign(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  start.bytes.append(code, static_cast<size_t>(code_end - code));
  start.bytes.push_back(' ');
  start.bytes.append(reason.data(), reason.size());
  start.bytes.append("\r\nServer: ferry\r\nDate: ");
  start.bytes.append(date);
  start.status = status;
  start.version = version;
  start.date.assign(date);
  return start.bytes;
}

// Framing headers are the listener's to write (as Beast's prepare_payload and keep_alive did): a
// handler's copy would contradict them. Told apart by length first.
bool Framing(const std::string& k) {
  switch (k.size()) {
    case 14:
      return EqualsIgnoreCase(k, "content-length");
    case 17:
      return EqualsIgnoreCase(k, "transfer-encoding");
    case 10:
      return EqualsIgnoreCase(k, "connection");
    default:
      return false;
  }
}

}  // namespace

// Sized first, then written with plain copies into one resize of `out`: a dozen string appends
// per response cost more than the head's bytes.
void AppendResponseHead(const HttpResponse& r, unsigned version, bool keep_alive,
                        std::string_view date, std::string* out) {
  static constexpr std::string_view kContentType = "\r\nContent-Type: ";
  static constexpr std::string_view kClose = "\r\nConnection: close";
  static constexpr std::string_view kKeepAlive = "\r\nConnection: keep-alive";
  static constexpr std::string_view kLength = "\r\nContent-Length: ";
  const std::string& start_line = StartOf(r.status, version, date);
  const bool close_line = version >= 11 && !keep_alive;
  const bool keep_alive_line = version < 11 && keep_alive;
  const bool has_body = ResponseHasBody(r.status);
  size_t n = start_line.size() + 4;  // through the blank line
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
  put(start_line);
  if (!r.content_type.empty()) {
    put(kContentType);
    put(r.content_type);
  }
  for (const auto& [k, v] : r.headers) {
    if (Framing(k)) continue;
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
