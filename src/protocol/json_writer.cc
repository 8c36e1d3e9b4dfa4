#include "protocol/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace ferry::protocol {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendUnicodeEscape(std::string* out, unsigned char c) {
  char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
  out->append(buf, 6);
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

// The end of the run of bytes from `i` that JSON strings hold as they are (not a control
// character, '"', '\\' or a byte >= 0x80), eight bytes at a time: ids, names and keys are
// written on every response. Stops at the 8-byte word holding the first such byte; the
// caller's byte loop finishes the run.
// Whether all 8 bytes of `w` are held as they are in a JSON string. A byte below 0x20 gets its
// high bit set by the first subtraction; a '"' or '\\' is zero after its xor and gets it from
// the minus one; a byte >= 0x80 has it. A borrow between bytes comes only from such a byte, so
// a word of plain bytes sets none (a borrow's false alarm only sends the word to the slow path).
bool PlainWord(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  return (((w - kOnes * 0x20) | ((w ^ (kOnes * '"')) - kOnes) | ((w ^ (kOnes * '\\')) - kOnes) |
           w) &
          kHigh) == 0;
}

size_t PlainRunEnd(std::string_view s, size_t i) {
  while (i + 8 <= s.size()) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (!PlainWord(w)) break;
    i += 8;
  }
  return i;
}

// End of the run of bytes from `i` that need no escaping: PlainRunEnd, then byte by byte.
size_t PlainRun(std::string_view s, size_t i) {
  size_t run = PlainRunEnd(s, i);
  while (run < s.size()) {
    const auto c = static_cast<unsigned char>(s[run]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
      break;
    }
    ++run;
  }
  return run;
}

template <typename T>
void AppendFloating(std::string* out, T v) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string_view text(buf, end - buf);
  out->append(text);
  // Keep floats recognisable as floats, as Python's repr does ("5.0").
  if (text.find_first_of(".e") == std::string_view::npos) {
    out->append(".0");
  }
}

template <typename T>
void AppendInteger(std::string* out, T v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end - buf);
}

template <typename T>
T Load(const Tensor& t, int64_t i) {
  T v;
  std::memcpy(&v, t.raw.data() + i * sizeof(T), sizeof(T));
  return v;
}

void AppendNestedLevel(std::string* out, const Tensor& t, size_t dim, int64_t* next) {
  out->push_back('[');
  for (int64_t k = 0; k < t.shape[dim]; ++k) {
    if (k != 0) {
      out->push_back(',');
    }
    if (dim + 1 == t.shape.size()) {
      AppendElement(out, t, (*next)++);
    } else {
      AppendNestedLevel(out, t, dim + 1, next);
    }
  }
  out->push_back(']');
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  // The usual string (a name, an id, a key, a datatype) is short and needs no escaping: its
  // quotes and text go out in one append instead of three.
  // The text is copied first, padded with plain bytes to whole 8-byte words, and checked a word
  // at a time there: no byte loop for the tail.
  constexpr size_t kShort = 64;
  if (s.size() <= kShort) {
    char buf[kShort + 16];
    std::memcpy(buf + 1, s.data(), s.size());
    std::memcpy(buf + 1 + s.size(), "aaaaaaaa", 8);
    bool plain = true;
    for (size_t i = 0; i < s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, buf + 1 + i, 8);
      if (!PlainWord(w)) {
        plain = false;
        break;
      }
    }
    if (plain) {
      buf[0] = '"';
      buf[s.size() + 1] = '"';
      out->append(buf, s.size() + 2);
      return;
    }
  }
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run that needs no escaping in one append.
    size_t run = PlainRun(s, i);
    out->append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) {
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        AppendUnicodeEscape(out, c);
        ++i;
      } else {
        out->append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        AppendUnicodeEscape(out, c);
        break;
    }
    ++i;
  }
  out->push_back('"');
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonString(&out, s);
  return out;
}

void AppendDouble(std::string* out, double v) { AppendFloating(out, v); }
void AppendFloat(std::string* out, float v) { AppendFloating(out, v); }
void AppendInt(std::string* out, int64_t v) { AppendInteger(out, v); }
void AppendUint(std::string* out, uint64_t v) { AppendInteger(out, v); }

void AppendShape(std::string* out, const Shape& shape) {
  out->push_back('[');
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) {
      out->push_back(',');
    }
    AppendInt(out, shape[i]);
  }
  out->push_back(']');
}

void AppendParamValue(std::string* out, const ParamValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) {
    out->append(*b ? "true" : "false");
  } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
    AppendInt(out, *i);
  } else if (const double* d = std::get_if<double>(&value)) {
    AppendDouble(out, *d);
  } else {
    AppendJsonString(out, std::get<std::string>(value));
  }
}

void AppendParameters(std::string* out, const Parameters& params) {
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : params.entries()) {
    if (!first) {
      out->push_back(',');
    }
    first = false;
    AppendJsonString(out, key);
    out->push_back(':');
    AppendParamValue(out, value);
  }
  out->push_back('}');
}

void AppendElement(std::string* out, const Tensor& t, int64_t i) {
  switch (t.datatype) {
    case DataType::kBool:
      out->append(t.raw[i] ? "true" : "false");
      return;
    case DataType::kUint8:
      AppendUint(out, Load<uint8_t>(t, i));
      return;
    case DataType::kUint16:
      AppendUint(out, Load<uint16_t>(t, i));
      return;
    case DataType::kUint32:
      AppendUint(out, Load<uint32_t>(t, i));
      return;
    case DataType::kUint64:
      AppendUint(out, Load<uint64_t>(t, i));
      return;
    case DataType::kInt8:
      AppendInt(out, Load<int8_t>(t, i));
      return;
    case DataType::kInt16:
      AppendInt(out, Load<int16_t>(t, i));
      return;
    case DataType::kInt32:
      AppendInt(out, Load<int32_t>(t, i));
      return;
    case DataType::kInt64:
      AppendInt(out, Load<int64_t>(t, i));
      return;
    case DataType::kFp64:
      AppendDouble(out, Load<double>(t, i));
      return;
    case DataType::kFp32:
      AppendFloat(out, Load<float>(t, i));
      return;
    case DataType::kFp16:
    case DataType::kBf16:
      AppendFloat(out, static_cast<float>(t.AsDouble(i)));
      return;
    case DataType::kBytes:
      if (!t.null_mask.empty() && t.null_mask[i]) {
        out->append("null");
      } else {
        AppendJsonString(out, t.bytes[i]);
      }
      return;
    default:
      out->append("null");
      return;
  }
}

void AppendFlatData(std::string* out, const Tensor& t) {
  const int64_t n = t.num_elements();
  out->push_back('[');
  for (int64_t i = 0; i < n; ++i) {
    if (i != 0) {
      out->push_back(',');
    }
    AppendElement(out, t, i);
  }
  out->push_back(']');
}

void AppendNestedData(std::string* out, const Tensor& t) {
  auto count = ElementCount(t.shape);
  if (t.shape.size() <= 1 || !count.ok() || *count != t.num_elements()) {
    AppendFlatData(out, t);
    return;
  }
  int64_t next = 0;
  AppendNestedLevel(out, t, 0, &next);
}

}  // namespace ferry::protocol
