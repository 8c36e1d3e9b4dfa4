// ParseCommonRequest (http_fast_parse.h): one pass over a whole, plain HTTP/1.1 request.
//
// DESIGN: the grammar accepted here is a subset of what Beast's basic_parser and
// RequestParser accept, chosen so the result cannot differ: the request line is
// `METHOD SP target SP HTTP/1.1 CRLF` with a method Beast knows and target bytes in
// 0x21..0x7e (Beast's path characters minus the non-ASCII RequestParser refuses); a field is
// `tchar+ ":" OWS value OWS CRLF` with value bytes in 0x20..0x7e or HTAB and trimmed of OWS
// at both ends, as Beast hands it to on_field_impl; no line folding, no bare LF. The framing
// fields Beast interprets are read the way it reads them, or the request is declined. Limits
// are kept with room to spare, so a request near one goes to Beast, which owns the refusal.
#include "http/http_fast_parse.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "common/strings.h"

namespace ferry::http::internal {
namespace {

constexpr size_t kMaxFields = 32;

// RFC 9110 tchar: Beast's token table.
constexpr auto kTchar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

constexpr auto kLower = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  }
  return t;
}();

bool IsTchar(char c) { return kTchar[static_cast<unsigned char>(c)]; }
bool IsTargetByte(char c) { return c > 0x20 && c < 0x7f; }
bool IsValueByte(char c) { return (c >= 0x20 && c < 0x7f) || c == '\t'; }
bool IsOws(char c) { return c == ' ' || c == '\t'; }

// Whether all 8 bytes of `x` lie in [lo, 0x7e] (lo <= 0x80): no byte below lo, none equal to
// 0x7f, none with the high bit set. Exact (the classic "has less" / "has zero" word tricks).
bool AllIn(uint64_t x, uint8_t lo) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const uint64_t below = (x - kOnes * lo) & ~x;
  const uint64_t del = x ^ (kOnes * 0x7f);
  const uint64_t is_del = (del - kOnes) & ~del;
  return ((below | is_del | x) & kHighs) == 0;
}

// Skips bytes in [lo, 0x7e], eight at a time while eight remain.
const char* SkipPlain(const char* p, const char* end, uint8_t lo) {
  while (end - p >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    if (!AllIn(x, lo)) break;
    p += 8;
  }
  return p;
}

// Methods Beast's string_to_verb knows (case-sensitive) that Ferry's handlers answer.
bool KnownMethod(std::string_view m) {
  switch (m.size()) {
    case 3:
      return m == "GET" || m == "PUT";
    case 4:
      return m == "POST" || m == "HEAD";
    case 5:
      return m == "PATCH";
    case 6:
      return m == "DELETE";
    case 7:
      return m == "OPTIONS";
    default:
      return false;
  }
}

// A Content-Length Beast reads as this number: plain decimal, no sign, no list, no leading
// zero, small enough that no bound is near.
bool ParseLength(std::string_view v, uint64_t* out) {
  if (v.empty() || v.size() > 15 || (v[0] == '0' && v.size() > 1)) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = n;
  return true;
}

// No initializers: the array of them below is not zeroed per request.
struct Field {
  const char* name;
  const char* value;
  uint32_t name_size;
  uint32_t value_size;
};

}  // namespace

size_t ParseCommonRequest(std::string_view bytes, const HttpServerOptions& options,
                          HttpRequest* out, RequestLayout* layout, size_t* need) {
  if (need != nullptr) *need = 0;
  const char* const begin = bytes.data();
  const char* const end = begin + bytes.size();
  const char* p = begin;
  // Request line.
  while (p < end && *p >= 'A' && *p <= 'Z') ++p;
  const std::string_view method(begin, static_cast<size_t>(p - begin));
  if (!KnownMethod(method) || p >= end || *p != ' ') return 0;
  const char* target_begin = ++p;
  p = SkipPlain(p, end, 0x21);
  while (p < end && IsTargetByte(*p)) ++p;
  const std::string_view target(target_begin, static_cast<size_t>(p - target_begin));
  if (target.empty() || p >= end || *p != ' ') return 0;
  ++p;
  if (end - p < 10 || std::memcmp(p, "HTTP/1.1\r\n", 10) != 0) return 0;
  p += 10;
  // Fields, up to the empty line.
  Field fields[kMaxFields];
  size_t count = 0;
  bool has_length = false, close = false;
  uint64_t length = 0;
  int32_t length_field = -1;
  for (;;) {
    if (end - p < 2) return 0;
    if (p[0] == '\r') {
      if (p[1] != '\n') return 0;
      p += 2;
      break;
    }
    const char* name_begin = p;
    while (p < end && IsTchar(*p)) ++p;
    if (p == name_begin || p >= end || *p != ':') return 0;
    const std::string_view name(name_begin, static_cast<size_t>(p - name_begin));
    ++p;
    while (p < end && IsOws(*p)) ++p;
    const char* value_begin = p;
    p = SkipPlain(p, end, 0x20);
    while (p < end && IsValueByte(*p)) ++p;
    // CRLF, and the byte after it to tell a folded line (left to Beast, which refuses it).
    if (end - p < 3 || p[0] != '\r' || p[1] != '\n' || IsOws(p[2])) return 0;
    const char* value_end = p;
    while (value_end > value_begin && IsOws(value_end[-1])) --value_end;
    p += 2;
    const std::string_view value(value_begin, static_cast<size_t>(value_end - value_begin));
    if (count == kMaxFields || count >= options.max_header_count) return 0;
    fields[count++] = {name.data(), value.data(), static_cast<uint32_t>(name.size()),
                       static_cast<uint32_t>(value.size())};
    // The fields Beast frames or keeps alive by (told apart by length first).
    switch (name.size()) {
      case 14:  // content-length
        if (EqualsIgnoreCase(name, "content-length")) {
          if (has_length || !ParseLength(value, &length)) return 0;
          has_length = true;
          length_field = static_cast<int32_t>(count - 1);
        }
        break;
      case 10:  // connection
        if (EqualsIgnoreCase(name, "connection")) {
          if (EqualsIgnoreCase(value, "close")) {
            close = true;
          } else if (!EqualsIgnoreCase(value, "keep-alive")) {
            return 0;
          }
        }
        break;
      case 17:
        if (EqualsIgnoreCase(name, "transfer-encoding")) return 0;
        break;
      case 16:
        if (EqualsIgnoreCase(name, "proxy-connection")) return 0;
        break;
      case 7:
        if (EqualsIgnoreCase(name, "upgrade")) return 0;
        break;
      default:
        break;
    }
  }
  const auto header_bytes = static_cast<size_t>(p - begin);
  if (header_bytes + 8 > options.max_header_bytes) return 0;
  if (length > options.max_body_bytes) return 0;
  if (static_cast<uint64_t>(end - p) < length) {
    if (need != nullptr) *need = header_bytes + static_cast<size_t>(length);
    return 0;
  }

  // Eight name bytes (tchars: ASCII) lower-cased at once: 0x20 added where 'A' <= byte <= 'Z'.
  auto to_lower8 = [](const char* from, char* to) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    uint64_t x;
    std::memcpy(&x, from, 8);
    const uint64_t at_least_a = x + kOnes * (0x80 - 'A');
    const uint64_t above_z = x + kOnes * (0x80 - 'Z' - 1);
    x |= ((at_least_a & ~above_z) & (kOnes * 0x80)) >> 2;
    std::memcpy(to, &x, 8);
  };
  out->method.assign(method);
  out->target.assign(target);
  out->headers.resize(count);
  for (size_t i = 0; i < count; ++i) {
    auto& [name, value] = out->headers[i];
    const size_t n = fields[i].name_size;
    name.resize(n);
    const char* from = fields[i].name;
    char* to = name.data();
    size_t j = 0;
    for (; j + 8 <= n; j += 8) to_lower8(from + j, to + j);
    for (; j < n; ++j) to[j] = kLower[static_cast<unsigned char>(from[j])];
    value.assign(fields[i].value, fields[i].value_size);
  }
  out->body.assign(p, static_cast<size_t>(length));
  SplitTarget(out->target, &out->path, &out->query);
  out->keep_alive = !close;
  if (layout != nullptr) {
    layout->header_bytes = static_cast<uint32_t>(header_bytes);
    layout->target_off = static_cast<uint32_t>(target.data() - begin);
    layout->length_field = length_field;
    layout->fields.resize(count);
    for (size_t i = 0; i < count; ++i) {
      layout->fields[i] = {static_cast<uint32_t>(fields[i].name - begin), fields[i].name_size,
                           static_cast<uint32_t>(fields[i].value - begin), fields[i].value_size};
    }
  }
  return header_bytes + static_cast<size_t>(length);
}

}  // namespace ferry::http::internal
