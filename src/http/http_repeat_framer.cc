// RepeatFramer (http_repeat_framer.h).
//
// DESIGN: a match is decided on raw bytes only. Without a Content-Length the whole remembered
// header section must be the front of `bytes`. With one, the bytes before its value and those
// after it must match, and the value between must be what ParseLength (http_fast_parse.cc)
// takes: 1 to 15 decimal digits, no leading zero. ParseCommonRequest's scan of such a header
// section differs from the remembered one only in that value, the body length and the offsets
// after it, so the request line, the fields and every decision on them (framing fields,
// keep-alive, the field count limit) are the remembered ones; the limits that depend on sizes
// (header bytes, body bytes) and the completeness of the body are checked again here.
#include "http/http_repeat_framer.h"

#include <cstddef>
#include <cstring>

namespace ferry::http::internal {
namespace {

uint64_t Load8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

uint32_t Load4(const char* p) {
  uint32_t x;
  std::memcpy(&x, p, 4);
  return x;
}

// Whether the n bytes at a and b are equal, a word at a time (fields are short: a call to
// memcmp costs more than the compare).
bool SameBytes(const char* a, const char* b, size_t n) {
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (Load8(a + i) != Load8(b + i)) return false;
    }
    return Load8(a + n - 8) == Load8(b + n - 8);
  }
  if (n >= 4) return Load4(a) == Load4(b) && Load4(a + n - 4) == Load4(b + n - 4);
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// `s` holds [p, p + n), assigning only when it does not already.
inline void Set(std::string& s, const char* p, size_t n) {
  if (s.size() != n || !SameBytes(s.data(), p, n)) s.assign(p, n);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Where `inner` starts in `outer`, or -1 when it is not a view into it.
int64_t OffsetIn(std::string_view inner, std::string_view outer) {
  const auto i = reinterpret_cast<uintptr_t>(inner.data());
  const auto o = reinterpret_cast<uintptr_t>(outer.data());
  if (i < o || i + inner.size() > o + outer.size()) return -1;
  return static_cast<int64_t>(i - o);
}

}  // namespace

size_t RepeatFramer::Frame(std::string_view bytes, const HttpServerOptions& options,
                           HttpRequest* out, size_t* need) {
  if (!head_.empty()) {
    if (size_t n = FrameRepeat(bytes, options, out)) {
      misses_ = 0;
      return n;
    }
  }
  // Every request is remembered at first; once they keep differing, one in 16.
  const bool remember = misses_ < 4 || misses_ % 16 == 0;
  const size_t n = ParseCommonRequest(bytes, options, out, remember ? &layout_ : nullptr, need);
  if (n == 0) return 0;
  if (misses_ < UINT32_MAX) ++misses_;
  if (remember) Remember(bytes, *out);
  return n;
}

size_t RepeatFramer::FrameRepeat(std::string_view bytes, const HttpServerOptions& options,
                                 HttpRequest* out) {
  const char* const b = bytes.data();
  const size_t n = head_.size();
  size_t header_bytes = n;
  uint64_t length = 0;
  size_t at = 0, digits = 0;  // the Content-Length value: its offset and size in `bytes`
  if (layout_.length_field < 0) {
    if (bytes.size() < n || std::memcmp(b, head_.data(), n) != 0) return 0;
  } else {
    const RequestLayout::Field& f = layout_.fields[static_cast<size_t>(layout_.length_field)];
    at = f.value_off;
    if (bytes.size() < at || std::memcmp(b, head_.data(), at) != 0) return 0;
    while (digits < 16 && at + digits < bytes.size() && IsDigit(b[at + digits])) {
      length = length * 10 + static_cast<uint64_t>(b[at + digits] - '0');
      ++digits;
    }
    if (digits == 0 || digits > 15 || (b[at] == '0' && digits > 1)) return 0;
    const size_t rest = n - at - f.value_len;
    header_bytes = at + digits + rest;
    if (bytes.size() < header_bytes ||
        std::memcmp(b + at + digits, head_.data() + at + f.value_len, rest) != 0) {
      return 0;
    }
  }
  if (header_bytes + 8 > options.max_header_bytes) return 0;
  if (length > options.max_body_bytes || bytes.size() - header_bytes < length) return 0;

  // How far the bytes after the Content-Length value moved with its digits.
  const ptrdiff_t shift = static_cast<ptrdiff_t>(header_bytes) - static_cast<ptrdiff_t>(n);
  Set(out->method, b, layout_.target_off - 1);
  Set(out->target, b + layout_.target_off, target_len_);
  const size_t count = layout_.fields.size();
  if (out->headers.size() != count) out->headers.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const RequestLayout::Field& f = layout_.fields[i];
    auto& [name, value] = out->headers[i];
    Set(name, names_.data() + f.name_off, f.name_len);
    if (static_cast<int64_t>(i) == layout_.length_field) {
      Set(value, b + at, digits);
    } else {
      Set(value, b + f.value_off + (f.value_off > at ? shift : ptrdiff_t{0}), f.value_len);
    }
  }
  out->body.assign(b + header_bytes, static_cast<size_t>(length));
  const std::string_view target = out->target;
  out->path = path_in_target_ ? target.substr(path_off_, path_len_) : std::string_view("/");
  out->query = query_len_ != 0 ? target.substr(query_off_, query_len_) : std::string_view();
  out->keep_alive = keep_alive_;
  return header_bytes + static_cast<size_t>(length);
}

void RepeatFramer::Remember(std::string_view bytes, const HttpRequest& req) {
  const int64_t path_off = OffsetIn(req.path, req.target);
  const int64_t query_off = OffsetIn(req.query, req.target);
  if (layout_.header_bytes > kMaxRemembered || (path_off < 0 && req.path != "/") ||
      (query_off < 0 && !req.query.empty())) {
    head_.clear();  // layout_ no longer describes it
    return;
  }
  head_.assign(bytes.data(), layout_.header_bytes);
  names_.clear();
  for (size_t i = 0; i < layout_.fields.size(); ++i) {
    const std::string& name = req.headers[i].first;
    layout_.fields[i].name_off = static_cast<uint32_t>(names_.size());
    names_.append(name);
  }
  target_len_ = static_cast<uint32_t>(req.target.size());
  path_in_target_ = path_off >= 0;
  path_off_ = path_in_target_ ? static_cast<uint32_t>(path_off) : 0;
  path_len_ = static_cast<uint32_t>(req.path.size());
  query_off_ = query_off >= 0 ? static_cast<uint32_t>(query_off) : 0;
  query_len_ = static_cast<uint32_t>(req.query.size());
  keep_alive_ = req.keep_alive;
}

}  // namespace ferry::http::internal
