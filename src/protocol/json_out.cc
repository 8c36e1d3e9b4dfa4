#include "protocol/json_out.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ferry::protocol {
namespace {

constexpr char kHex[] = "0123456789abcdef";

char* WriteUnicodeEscape(char* p, unsigned char c) {
  const char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
  std::memcpy(p, buf, 6);
  return p + 6;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t cp;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
    return 0;
  }
  return len;
}

// Whether all 8 bytes of `w` are held as they are in a JSON string (not a control character,
// '"', '\\' or a byte >= 0x80). A byte below 0x20 gets its high bit set by the first
// subtraction; a '"' or '\\' is zero after its xor and gets it from the minus one; a byte
// >= 0x80 has it. A borrow between bytes comes only from such a byte, so a word of plain bytes
// sets none (a borrow's false alarm only sends the word to the slow path).
bool PlainWord(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  return (((w - kOnes * 0x20) | ((w ^ (kOnes * '"')) - kOnes) | ((w ^ (kOnes * '\\')) - kOnes) |
           w) &
          kHigh) == 0;
}

bool PlainByte(unsigned char c) { return c >= 0x20 && c != '"' && c != '\\' && c < 0x80; }

// The escaped text of s[i..] at p, then the closing quote; s[..i) is already written.
[[gnu::noinline]] char* EscapeFrom(std::string_view s, size_t i, char* p) {
  while (i < s.size()) {
    uint64_t w;
    if (i + 8 <= s.size() && (std::memcpy(&w, s.data() + i, 8), PlainWord(w))) {
      std::memcpy(p, &w, 8);
      p += 8;
      i += 8;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (PlainByte(c)) {
      *p++ = static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        p = WriteUnicodeEscape(p, c);
        ++i;
      } else {
        std::memcpy(p, s.data() + i, len);
        p += len;
        i += len;
      }
      continue;
    }
    char short_escape = 0;
    switch (c) {
      case '"':
        short_escape = '"';
        break;
      case '\\':
        short_escape = '\\';
        break;
      case '\n':
        short_escape = 'n';
        break;
      case '\r':
        short_escape = 'r';
        break;
      case '\t':
        short_escape = 't';
        break;
      case '\b':
        short_escape = 'b';
        break;
      case '\f':
        short_escape = 'f';
        break;
      default:
        break;
    }
    if (short_escape != 0) {
      *p++ = '\\';
      *p++ = short_escape;
    } else {
      p = WriteUnicodeEscape(p, c);
    }
    ++i;
  }
  *p++ = '"';
  return p;
}

// The n bytes (1..16) of s at p, and whether all are plain: two overlapping loads cover them,
// without a call to memcpy or a loop (names, ids, keys and datatypes are this short).
bool CopyShort(char* p, const char* s, size_t n) {
  uint64_t w;
  if (n >= 8) {
    uint64_t head, tail;
    std::memcpy(&head, s, 8);
    std::memcpy(&tail, s + n - 8, 8);
    std::memcpy(p, &head, 8);
    std::memcpy(p + n - 8, &tail, 8);
    return PlainWord(head) && PlainWord(tail);
  }
  if (n >= 4) {
    uint32_t head, tail;
    std::memcpy(&head, s, 4);
    std::memcpy(&tail, s + n - 4, 4);
    std::memcpy(p, &head, 4);
    std::memcpy(p + n - 4, &tail, 4);
    w = head | (uint64_t{tail} << 32);
  } else {
    const auto b0 = static_cast<unsigned char>(s[0]);
    const auto b1 = static_cast<unsigned char>(s[n / 2]);
    const auto b2 = static_cast<unsigned char>(s[n - 1]);
    p[0] = static_cast<char>(b0);
    p[n / 2] = static_cast<char>(b1);
    p[n - 1] = static_cast<char>(b2);
    w = 0x6161616161000000ull | b0 | (uint64_t{b1} << 8) | (uint64_t{b2} << 16);
  }
  return PlainWord(w);
}

// The n bytes of s at p, which has 8 bytes of room past them, and whether all are plain: the
// copy is padded with plain bytes to whole 8-byte words and checked a word at a time there.
bool CopyLong(char* p, const char* s, size_t n) {
  std::memcpy(p, s, n);
  std::memcpy(p + n, "aaaaaaaa", 8);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (!PlainWord(w)) return false;
  }
  return true;
}

// WriteJsonString for what its inlined part does not finish: the empty string, a long one,
// one that needs escaping.
[[gnu::noinline]] char* WriteJsonStringRest(char* p, std::string_view s) {
  const size_t n = s.size();
  char* text = p + 1;
  *p = '"';
  const bool plain =
      n - 1 < 16 ? CopyShort(text, s.data(), n) : (n == 0 || CopyLong(text, s.data(), n));
  if (!plain) return EscapeFrom(s, 0, text);  // rewrites the copy from its start, escaped
  text[n] = '"';
  return text + n + 1;
}

// `s` quoted and escaped at p, which has room for 6 * s.size() + 10 bytes; returns the end.
// The usual short plain string is done inline, with no call and no registers to save.
inline char* WriteJsonString(char* p, std::string_view s) {
  const size_t n = s.size();
  if (n - 1 < 16 && CopyShort(p + 1, s.data(), n)) {
    p[0] = '"';
    p[n + 1] = '"';
    return p + n + 2;
  }
  return WriteJsonStringRest(p, s);
}

// Shortest round trip; a float keeps a ".0" when it has neither '.' nor 'e', as Python's repr
// does ("5.0"); NaN and ±Inf are null.
template <typename T>
char* WriteFloating(char* p, T v) {
  if (!std::isfinite(v)) {
    std::memcpy(p, "null", 4);
    return p + 4;
  }
  char* end = std::to_chars(p, p + JsonOut::kMaxNumberChars, v).ptr;
  for (const char* c = p; c < end; ++c) {
    if (*c == '.' || *c == 'e') return end;
  }
  end[0] = '.';
  end[1] = '0';
  return end + 2;
}

template <typename T>
char* WriteInteger(char* p, T v) {
  if (static_cast<uint64_t>(v) < 10) {  // class labels, shape dimensions: one digit
    *p = static_cast<char>('0' + v);
    return p + 1;
  }
  return std::to_chars(p, p + JsonOut::kMaxNumberChars, v).ptr;
}

char* WriteNumber(char* p, double v) { return WriteFloating(p, v); }
char* WriteNumber(char* p, float v) { return WriteFloating(p, v); }
char* WriteNumber(char* p, int64_t v) { return WriteInteger(p, v); }

template <typename T>
T Load(const Tensor& t, int64_t i) {
  T v;
  std::memcpy(&v, t.raw.data() + i * sizeof(T), sizeof(T));
  return v;
}

// The number type an element of T is written as.
template <typename T>
using Wide = std::conditional_t<std::is_floating_point_v<T>, T,
                                std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

}  // namespace

void JsonOut::Grow(size_t n) {
  const size_t used = p_ == nullptr ? out_->size() : static_cast<size_t>(p_ - out_->data());
  // All the capacity there is (a reused string has room for the last body), or a
  // reallocation, which at least doubles it.
  out_->resize(std::max(used + n, out_->capacity()));
  p_ = out_->data() + used;
  limit_ = out_->data() + out_->size();
}

void JsonOut::String(std::string_view s) {
  Ensure(6 * s.size() + 10);
  p_ = WriteJsonString(p_, s);
}

void JsonOut::Int(int64_t v) {
  Ensure(kMaxNumberChars);
  p_ = WriteInteger(p_, v);
}

void JsonOut::Uint(uint64_t v) {
  Ensure(kMaxNumberChars);
  p_ = WriteInteger(p_, v);
}

void JsonOut::Double(double v) {
  Ensure(kMaxNumberChars);
  p_ = WriteFloating(p_, v);
}

void JsonOut::Float(float v) {
  Ensure(kMaxNumberChars);
  p_ = WriteFloating(p_, v);
}

void JsonOut::ShapeList(const Shape& shape) {
  Ensure(shape.size() * (kMaxNumberChars + 1) + 2);
  *p_++ = '[';
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) *p_++ = ',';
    p_ = WriteInteger(p_, shape[i]);
  }
  *p_++ = ']';
}

void JsonOut::Value(const ParamValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) {
    Bool(*b);
  } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
    Int(*i);
  } else if (const double* d = std::get_if<double>(&value)) {
    Double(*d);
  } else {
    String(std::get<std::string>(value));
  }
}

void JsonOut::Params(const Parameters& params) {
  Char('{');
  bool first = true;
  for (const auto& [key, value] : params.entries()) {
    // Room for the whole entry at once: ',' key ':' value (a string value's worst case, or a
    // number's) and the closing '}'.
    const std::string* text = std::get_if<std::string>(&value);
    Ensure(6 * key.size() + 10 + (text != nullptr ? 6 * text->size() + 10 : kMaxNumberChars) + 3);
    if (!first) *p_++ = ',';
    first = false;
    p_ = WriteJsonString(p_, key);
    *p_++ = ':';
    if (text != nullptr) {
      p_ = WriteJsonString(p_, *text);
    } else {
      Value(value);
    }
  }
  Char('}');
}

void JsonOut::Element(const Tensor& t, int64_t i) {
  switch (t.datatype) {
    case DataType::kBool:
      Bool(t.raw[i] != 0);
      return;
    case DataType::kUint8:
      return Uint(Load<uint8_t>(t, i));
    case DataType::kUint16:
      return Uint(Load<uint16_t>(t, i));
    case DataType::kUint32:
      return Uint(Load<uint32_t>(t, i));
    case DataType::kUint64:
      return Uint(Load<uint64_t>(t, i));
    case DataType::kInt8:
      return Int(Load<int8_t>(t, i));
    case DataType::kInt16:
      return Int(Load<int16_t>(t, i));
    case DataType::kInt32:
      return Int(Load<int32_t>(t, i));
    case DataType::kInt64:
      return Int(Load<int64_t>(t, i));
    case DataType::kFp64:
      return Double(Load<double>(t, i));
    case DataType::kFp32:
      return Float(Load<float>(t, i));
    case DataType::kFp16:
    case DataType::kBf16:
      return Float(static_cast<float>(t.AsDouble(i)));
    case DataType::kBytes:
      if (!t.null_mask.empty() && t.null_mask[i]) {
        Raw("null");
      } else {
        String(t.bytes[i]);
      }
      return;
    default:
      Raw("null");
      return;
  }
}

template <typename T>
void JsonOut::Numbers(const Tensor& t, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    Ensure(kMaxNumberChars + 2);
    if (i != 0) *p_++ = ',';
    p_ = WriteNumber(p_, static_cast<Wide<T>>(Load<T>(t, i)));
  }
}

void JsonOut::FlatData(const Tensor& t) {
  const int64_t n = t.num_elements();
  Char('[');
  switch (t.datatype) {  // the common types without a switch per element
    case DataType::kFp64:
      Numbers<double>(t, n);
      break;
    case DataType::kFp32:
      Numbers<float>(t, n);
      break;
    case DataType::kInt64:
      Numbers<int64_t>(t, n);
      break;
    case DataType::kInt32:
      Numbers<int32_t>(t, n);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) {
        if (i != 0) Char(',');
        Element(t, i);
      }
  }
  Char(']');
}

void JsonOut::NestedLevel(const Tensor& t, size_t dim, int64_t* next) {
  Char('[');
  for (int64_t k = 0; k < t.shape[dim]; ++k) {
    if (k != 0) Char(',');
    if (dim + 1 == t.shape.size()) {
      Element(t, (*next)++);
    } else {
      NestedLevel(t, dim + 1, next);
    }
  }
  Char(']');
}

void JsonOut::NestedData(const Tensor& t) {
  auto count = ElementCount(t.shape);
  if (t.shape.size() <= 1 || !count.ok() || *count != t.num_elements()) {
    FlatData(t);
    return;
  }
  int64_t next = 0;
  NestedLevel(t, 0, &next);
}

}  // namespace ferry::protocol
