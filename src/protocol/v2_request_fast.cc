// ParseV2RequestFast: the common V2 request in one pass over its bytes (v2_request_fast.h).
//
// DESIGN: a recursive-descent reader over the body that decodes straight into the
// InferRequest. Every check answers "is this exactly what the simdjson path would read the same
// way?"; a "no" returns false at once and the full path takes over — there are no error
// messages here. Numbers: integers of up to 18 digits are exact in int64 (simdjson's INT64);
// "-0" is left to the full path (simdjson reads it as a double); anything with a fraction or
// exponent goes through std::from_chars, which rounds correctly, as simdjson does.
//
// Bounds: the body must end in '}' (after whitespace), and that byte is kept out of the range
// read (end_ points at it). Every scan that stops at a byte class without '}' (digits,
// whitespace, a given punctuation byte) then needs no end check; only string scans, literals
// and a '}' check the end. The object's own '}' must be that last byte.
#include "protocol/v2_request_fast.h"

#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ferry::protocol::internal {
namespace {

constexpr size_t kMaxDepth = 8;  // deeper data (rare) takes the full path

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// What a byte inside a string is to this reader: printable ASCII but '"' and '\\' is plain;
// controls, escapes and non-ASCII (which simdjson checks and decodes) are left to the full path.
enum : uint8_t { kPlain, kQuote, kOther };
constexpr auto kStringByte = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = c == '"' ? kQuote : (c < 0x20 || c >= 0x7f || c == '\\') ? kOther : kPlain;
  }
  return t;
}();

// 10^0 .. 10^22: exactly representable, so one multiply or divide by them rounds correctly.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A JSON number as simdjson would classify it: an integer (INT64) or a double.
struct Number {
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
};

// The leaves of a tensor's "data" and the length of its lists at each depth. The values stay in
// `inline_values` up to its size (no allocation for the usual few rows), then in `heap`.
struct Leaves {
  double inline_values[32];
  std::vector<double> heap;
  double* values = inline_values;
  size_t size = 0;
  size_t capacity = 32;
  int64_t dims[kMaxDepth];
  size_t leaf_depth = 0;
  bool any_leaf = false;

  void Push(double v) {
    if (size == capacity) Grow();
    values[size++] = v;
  }
  void Grow() {
    heap.resize(capacity * 2);
    if (values == inline_values) std::memcpy(heap.data(), inline_values, sizeof(inline_values));
    values = heap.data();
    capacity = heap.size();
  }
};

// The lowest set high bit marks the first byte of `w` (in memory order) that kStringByte does
// not call plain: a control character, '"', '\\', DEL or a byte >= 0x80. Each term's false
// alarms (from a borrow or carry) sit only above a true mark, so the lowest mark is exact.
uint64_t SpecialBytes(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
          ((backslash - kOnes) & ~backslash) | (w + kOnes) | w) &
         kHigh;
}

class Reader {
 public:
  // [p, end) is read; *end is the body's last byte, a '}'.
  Reader(const char* p, const char* end) : p_(p), end_(end) {}

  // Every field of *req is written (it may hold an earlier request: its storage is reused).
  bool Root(InferRequest* req) {
    bool seen[3] = {};
    req->id.reset();
    req->parameters.Clear();
    req->outputs.clear();
    if (!Eat('{')) return false;
    do {
      // Keys are matched as they are written, quotes included: one with an escape, or any
      // other key, is not read here.
      Ws();
      const int k = Word("\"inputs\"") ? 0 : Word("\"id\"") ? 1 : Word("\"parameters\"") ? 2 : -1;
      if (!Claim(k, seen) || !Eat(':')) return false;
      bool ok = false;
      if (k == 0) {
        ok = Inputs(&req->inputs);
      } else if (k == 1) {
        std::string_view id;
        ok = String(&id);
        if (ok) req->id.emplace(id);
      } else {
        ok = Params(&req->parameters, false);
      }
      if (!ok) return false;
    } while (Eat(','));
    Ws();
    return p_ == end_ && seen[0];  // the closing '}' is the body's last byte
  }

 private:
  void Ws() {
    // Most tokens follow no whitespace: one compare decides. *end_ ('}') stops the loop.
    while (true) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t')) return;
      ++p_;
    }
  }
  // `c` (not '}'), after optional whitespace.
  bool Eat(char c) {
    if (*p_ == c) {  // the usual case: no whitespace before it
      ++p_;
      return true;
    }
    Ws();
    if (*p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  // '}' closing an inner object: never the body's last byte, which closes the root.
  bool EatClose() {
    Ws();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    return false;
  }
  // `lit` (its length known at compile time, so the compare is inlined) at p_.
  template <size_t N>
  bool Word(const char (&lit)[N]) {
    if (static_cast<size_t>(end_ - p_) < N - 1 || std::memcmp(p_, lit, N - 1) != 0) return false;
    p_ += N - 1;
    return true;
  }
  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // A string of printable ASCII without escapes (simdjson would decode the rest: left to it),
  // scanned eight bytes at a time.
  bool String(std::string_view* out) {
    if (!Eat('"')) return false;
    const char* start = p_;
#if defined(__SSE2__)
    // 16 bytes at a time: a signed "< 0x20" also catches the bytes >= 0x80.
    while (end_ - p_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      const __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                       _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
      if (const int mask = _mm_movemask_epi8(special); mask != 0) {
        p_ += __builtin_ctz(static_cast<unsigned>(mask));
        return StringEnd(start, out);
      }
      p_ += 16;
    }
#endif
    while (end_ - p_ >= 8) {
      uint64_t w;
      std::memcpy(&w, p_, 8);
      if (const uint64_t special = SpecialBytes(w); special != 0) {
        p_ += __builtin_ctzll(special) / 8;
        return StringEnd(start, out);
      }
      p_ += 8;
    }
    while (p_ < end_ && kStringByte[static_cast<unsigned char>(*p_)] == kPlain) ++p_;
    return p_ < end_ && StringEnd(start, out);
  }
  // At the first byte of the string at `start` that is not plain: its closing quote, or not a
  // string this reader takes.
  bool StringEnd(const char* start, std::string_view* out) {
    if (*p_ != '"') return false;
    *out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }

  // `"key":`; the key's text in *key.
  bool Key(std::string_view* key) { return String(key) && Eat(':'); }
  // Key number k (-1: not one this reader knows) seen for the first time. A repeated key is
  // left to the full path, which reads the first.
  static bool Claim(int k, bool* seen) {
    if (k < 0 || seen[k]) return false;
    seen[k] = true;
    return true;
  }

  [[gnu::always_inline]] bool ReadNumber(Number* n) {
    Ws();
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    const char* digits = p_;
    uint64_t mantissa = 0;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (IsDigit(*p_)) mantissa = mantissa * 10 + (*p_++ - '0');
    } else {
      return false;
    }
    const size_t int_digits = static_cast<size_t>(p_ - digits);
    if (int_digits > 18) return false;  // beyond int64's exact range: the full path
    size_t frac_digits = 0;
    bool integer = true;
    if (*p_ == '.') {
      ++p_;
      const char* f = p_;
      while (IsDigit(*p_)) {
        if (int_digits + frac_digits < 18) mantissa = mantissa * 10 + (*p_ - '0');
        ++frac_digits;
        ++p_;
      }
      if (p_ == f) return false;
      integer = false;
    }
    int64_t exp = 0;
    if (*p_ == 'e' || *p_ == 'E') {
      ++p_;
      const bool exp_negative = *p_ == '-';
      if (*p_ == '+' || *p_ == '-') ++p_;
      const char* e = p_;
      while (IsDigit(*p_)) {
        if (exp < 1000) exp = exp * 10 + (*p_ - '0');
        ++p_;
      }
      if (p_ == e) return false;
      if (exp_negative) exp = -exp;
      integer = false;
    }
    if (integer) {
      if (negative && mantissa == 0) return false;  // "-0": simdjson reads a double
      n->is_int = true;
      n->i = negative ? -static_cast<int64_t>(mantissa) : static_cast<int64_t>(mantissa);
      return true;
    }
    n->is_int = false;
    // Clinger's fast path: a mantissa below 2^53 and a power of ten that is exact make one
    // correctly rounded multiply or divide. Anything else: std::from_chars.
    const int64_t e10 = exp - static_cast<int64_t>(frac_digits);
    if (int_digits + frac_digits <= 15 && e10 >= -22 && e10 <= 22) {
      double d = static_cast<double>(mantissa);
      d = e10 < 0 ? d / kPow10[-e10] : d * kPow10[e10];
      n->d = negative ? -d : d;
      return true;
    }
    auto [ptr, ec] = std::from_chars(start, p_, n->d);
    return ec == std::errc() && ptr == p_;
  }

  // The usual leaf, [-]digits[.digits] with at most 15 digits and no exponent, as ReadNumber
  // reads it (an integer exactly, a fraction by one division by an exact power of ten). False,
  // with nothing read, for anything else: ReadNumber decides it.
  bool ShortDecimal(double* out) {
    const char* p = p_;
    const bool negative = *p == '-';
    p += negative;
    const char* digits = p;
    uint64_t mantissa = 0;
    while (IsDigit(*p)) mantissa = mantissa * 10 + static_cast<uint64_t>(*p++ - '0');
    const size_t int_digits = static_cast<size_t>(p - digits);
    size_t frac_digits = 0;
    const bool fraction = *p == '.';
    if (fraction) {
      const char* f = ++p;
      while (IsDigit(*p)) mantissa = mantissa * 10 + static_cast<uint64_t>(*p++ - '0');
      frac_digits = static_cast<size_t>(p - f);
    }
    if (int_digits == 0 || (int_digits > 1 && *digits == '0') || (fraction && frac_digits == 0) ||
        int_digits + frac_digits > 15 || *p == 'e' || *p == 'E' ||
        (!fraction && negative && mantissa == 0)) {  // "-0": a double to simdjson
      return false;
    }
    double v = static_cast<double>(mantissa);
    if (fraction) v /= kPow10[frac_digits];
    *out = negative ? -v : v;
    p_ = p;
    return true;
  }

  bool Params(Parameters* out, bool input) {
    if (!Eat('{')) return false;
    if (EatClose()) return true;
    do {
      std::string_view key;
      if (!Key(&key)) return false;
      // A repeated key, or the binary extension's size (needs the tail): the full path.
      if ((!out->empty() && out->Find(key) != nullptr) || (input && key == "binary_data_size")) {
        return false;
      }
      Ws();
      if (*p_ == '"') {
        std::string_view s;
        if (!String(&s)) return false;
        out->Append<std::string>(key, s);
      } else if (*p_ == 't' || *p_ == 'f') {
        const bool v = *p_ == 't';
        if (!Literal(v ? "true" : "false")) return false;
        out->Append<bool>(key, v);
      } else if (*p_ == 'n') {
        if (!Literal("null")) return false;  // skipped, as the full path does
      } else {
        Number n;
        if (!ReadNumber(&n)) return false;
        if (n.is_int) {
          out->Append<int64_t>(key, n.i);
        } else {
          out->Append<double>(key, n.d);
        }
      }
    } while (Eat(','));
    return EatClose();
  }

  bool ReadShape(Shape* shape) {
    if (!Eat('[')) return false;
    if (Eat(']')) return true;
    shape->reserve(4);  // one allocation for the usual 1-4 dimensions
    do {
      Number n;
      Ws();
      if (*p_ == '-') return false;
      if (!ReadNumber(&n) || !n.is_int) return false;
      shape->push_back(n.i);
    } while (Eat(','));
    return Eat(']');
  }

  // A non-empty list (nested lists at `depth` + 1) of numbers or nulls, rectangular. The full
  // path's DataWalker takes the same shapes: with no empty list, every leaf at one depth and
  // one length per depth is exactly "not ragged".
  bool Data(size_t depth, Leaves* leaves) {
    if (depth >= kMaxDepth || !Eat('[')) return false;
    int64_t n = 0;
    Ws();
    if (*p_ == '[') {  // a list of lists: a '[' must start each element (else ragged)
      do {
        if (!Data(depth + 1, leaves)) return false;
        ++n;
      } while (Eat(','));
    } else {  // a list of leaves, at the one depth every leaf has
      if (!leaves->any_leaf) {
        leaves->any_leaf = true;
        leaves->leaf_depth = depth + 1;
      } else if (leaves->leaf_depth != depth + 1) {
        return false;
      }
      do {
        Ws();
        double v;
        if (*p_ == 'n') {
          if (!Literal("null")) return false;
          v = std::numeric_limits<double>::quiet_NaN();
        } else if (!ShortDecimal(&v)) {
          Number num;
          if (!ReadNumber(&num)) return false;
          v = num.is_int ? static_cast<double>(num.i) : num.d;
        }
        leaves->Push(v);
        ++n;
      } while (Eat(','));
    }
    if (!Eat(']')) return false;
    if (leaves->dims[depth] < 0) {
      leaves->dims[depth] = n;
    } else if (leaves->dims[depth] != n) {
      return false;
    }
    return true;
  }

  bool Input(Tensor* t) {
    bool seen[5] = {};
    t->Reset();
    Leaves leaves;
    for (int64_t& d : leaves.dims) d = -1;
    if (!Eat('{')) return false;
    do {
      std::string_view s;
      Ws();
      const int k = Word("\"data\"")         ? 4
                    : Word("\"name\"")       ? 0
                    : Word("\"shape\"")      ? 1
                    : Word("\"datatype\"")   ? 2
                    : Word("\"parameters\"") ? 3
                                             : -1;
      if (!Claim(k, seen) || !Eat(':')) return false;
      bool ok = false;
      switch (k) {
        case 0:
          ok = String(&s);
          if (ok) t->name.assign(s);
          break;
        case 1:
          ok = ReadShape(&t->shape);
          break;
        case 2:
          Ws();
          if (Word("\"FP64\"")) {
            t->datatype = DataType::kFp64;
            ok = true;
          } else if (Word("\"FP32\"")) {
            t->datatype = DataType::kFp32;
            ok = true;
          }
          break;
        case 3:
          ok = Params(&t->parameters, true);
          break;
        case 4:
          ok = Data(0, &leaves);
          break;
        default:
          return false;
      }
      if (!ok) return false;
    } while (Eat(','));
    if (!EatClose() || !seen[0] || !seen[1] || !seen[2] || !seen[4]) return false;
    // ElementCount without its StatusOr (the dims are non-negative: ReadShape takes no '-');
    // a product past its 2^40 bound is left to the full path, which refuses it.
    constexpr int64_t kMaxCount = int64_t{1} << 40;
    int64_t count = 1;
    for (const int64_t d : t->shape) {
      if (d > kMaxCount || (d != 0 && count > kMaxCount / d)) return false;
      count *= d;
    }
    if (count != static_cast<int64_t>(leaves.size)) return false;
    const size_t n = leaves.size;
    if (t->datatype == DataType::kFp64) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(leaves.values);
      t->raw.assign(bytes, bytes + n * sizeof(double));
    } else {
      t->raw.resize(n * sizeof(float));
      float* to = t->mutable_data<float>();
      for (size_t i = 0; i < n; ++i) to[i] = static_cast<float>(leaves.values[i]);
    }
    return true;
  }

  // Into the tensors already there first (an earlier request's, reused), then new ones.
  bool Inputs(std::vector<Tensor>* inputs) {
    if (!Eat('[')) return false;
    size_t n = 0;
    do {
      if (!Input(n < inputs->size() ? &(*inputs)[n] : &inputs->emplace_back())) return false;
      ++n;
    } while (Eat(','));
    inputs->resize(n);
    return Eat(']');
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool ParseV2RequestFast(std::string_view json, InferRequest* out) {
  size_t n = json.size();
  while (n > 0 && (json[n - 1] == ' ' || json[n - 1] == '\n' || json[n - 1] == '\r' ||
                   json[n - 1] == '\t')) {
    --n;
  }
  if (n == 0 || json[n - 1] != '}') return false;
  return Reader(json.data(), json.data() + n - 1).Root(out);
}

bool SameInferRequest(const InferRequest& a, const InferRequest& b) {
  auto same_params = [](const Parameters& x, const Parameters& y) {
    return x.entries() == y.entries();
  };
  if (a.id != b.id || !same_params(a.parameters, b.parameters) ||
      a.inputs.size() != b.inputs.size() || a.outputs.size() != b.outputs.size()) {
    return false;
  }
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const Tensor& x = a.inputs[i];
    const Tensor& y = b.inputs[i];
    if (x.name != y.name || x.datatype != y.datatype || x.shape != y.shape ||
        !same_params(x.parameters, y.parameters) || x.raw != y.raw || x.bytes != y.bytes ||
        x.null_mask != y.null_mask) {
      return false;
    }
  }
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    if (a.outputs[i].name != b.outputs[i].name ||
        !same_params(a.outputs[i].parameters, b.outputs[i].parameters)) {
      return false;
    }
  }
  return true;
}

}  // namespace ferry::protocol::internal
