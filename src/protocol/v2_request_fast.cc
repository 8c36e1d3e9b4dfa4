// ParseV2RequestFast: the common V2 request in one pass over its bytes (v2_request_fast.h).
//
// DESIGN: a recursive-descent reader over the body that decodes straight into the
// InferRequest. Every check answers "is this exactly what the simdjson path would read the same
// way?"; a "no" returns false at once and the full path takes over — there are no error
// messages here. Numbers: integers of up to 18 digits are exact in int64 (simdjson's INT64);
// "-0" is left to the full path (simdjson reads it as a double); anything with a fraction or
// exponent goes through std::from_chars, which rounds correctly, as simdjson does.
#include "protocol/v2_request_fast.h"

#include <array>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cstring>
#include <limits>

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

// `s` == `lit`, with the length known at compile time so the compare is inlined.
template <size_t N>
bool Is(std::string_view s, const char (&lit)[N]) {
  return s.size() == N - 1 && std::memcmp(s.data(), lit, N - 1) == 0;
}

// 10^0 .. 10^22: exactly representable, so one multiply or divide by them rounds correctly.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A JSON number as simdjson would classify it: an integer (INT64) or a double.
struct Number {
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
};

// The leaves of a tensor's "data" and the length of its lists at each depth.
struct Leaves {
  boost::container::small_vector<double, 32> values;
  int64_t dims[kMaxDepth];
  size_t leaf_depth = 0;
  bool any_leaf = false;
};

class Reader {
 public:
  explicit Reader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  // Every field of *req is written (it may hold an earlier request: its storage is reused).
  bool Root(InferRequest* req) {
    bool seen[3] = {};
    req->id.reset();
    req->parameters.Clear();
    req->outputs.clear();
    if (!Eat('{')) return false;
    do {
      std::string_view key;
      if (!Key(&key)) return false;
      const int k = Is(key, "inputs") ? 0 : Is(key, "id") ? 1 : Is(key, "parameters") ? 2 : -1;
      if (!Claim(k, seen)) return false;
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
    if (!Eat('}') || !seen[0]) return false;
    Ws();
    return p_ == end_;
  }

 private:
  void Ws() {
    // Most tokens follow no whitespace: one compare decides.
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t')) return;
      ++p_;
    }
  }
  bool Eat(char c) {
    if (p_ < end_ && *p_ == c) {  // the usual case: no whitespace before it
      ++p_;
      return true;
    }
    Ws();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // A string of printable ASCII without escapes (simdjson would decode the rest: left to it).
  bool String(std::string_view* out) {
    if (!Eat('"')) return false;
    const char* start = p_;
    while (p_ < end_) {
      const uint8_t kind = kStringByte[static_cast<unsigned char>(*p_)];
      if (kind != kPlain) {
        if (kind != kQuote) return false;
        *out = std::string_view(start, static_cast<size_t>(p_ - start));
        ++p_;
        return true;
      }
      ++p_;
    }
    return false;
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

  bool ReadNumber(Number* n) {
    Ws();
    const char* start = p_;
    const bool negative = p_ < end_ && *p_ == '-';
    if (negative) ++p_;
    const char* digits = p_;
    uint64_t mantissa = 0;
    if (p_ < end_ && *p_ == '0') {
      ++p_;
    } else if (p_ < end_ && *p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && IsDigit(*p_)) mantissa = mantissa * 10 + (*p_++ - '0');
    } else {
      return false;
    }
    const size_t int_digits = static_cast<size_t>(p_ - digits);
    if (int_digits > 18) return false;  // beyond int64's exact range: the full path
    size_t frac_digits = 0;
    bool integer = true;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      const char* f = p_;
      while (p_ < end_ && IsDigit(*p_)) {
        if (int_digits + frac_digits < 18) mantissa = mantissa * 10 + (*p_ - '0');
        ++frac_digits;
        ++p_;
      }
      if (p_ == f) return false;
      integer = false;
    }
    int64_t exp = 0;
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      const bool exp_negative = p_ < end_ && *p_ == '-';
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* e = p_;
      while (p_ < end_ && IsDigit(*p_)) {
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

  bool Params(Parameters* out, bool input) {
    if (!Eat('{')) return false;
    if (Eat('}')) return true;
    do {
      std::string_view key;
      if (!Key(&key)) return false;
      // A repeated key, or the binary extension's size (needs the tail): the full path.
      if (out->Find(key) != nullptr || (input && key == "binary_data_size")) return false;
      Ws();
      if (p_ >= end_) return false;
      if (*p_ == '"') {
        std::string_view s;
        if (!String(&s)) return false;
        out->Set(std::string(key), std::string(s));
      } else if (*p_ == 't' || *p_ == 'f') {
        const bool v = *p_ == 't';
        if (!Literal(v ? "true" : "false")) return false;
        out->Set(std::string(key), v);
      } else if (*p_ == 'n') {
        if (!Literal("null")) return false;  // skipped, as the full path does
      } else {
        Number n;
        if (!ReadNumber(&n)) return false;
        if (n.is_int) {
          out->Set(std::string(key), n.i);
        } else {
          out->Set(std::string(key), n.d);
        }
      }
    } while (Eat(','));
    return Eat('}');
  }

  bool ReadShape(Shape* shape) {
    if (!Eat('[')) return false;
    if (Eat(']')) return true;
    shape->reserve(4);  // one allocation for the usual 1-4 dimensions
    do {
      Number n;
      Ws();
      if (p_ < end_ && *p_ == '-') return false;
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
    do {
      Ws();
      if (p_ >= end_) return false;
      if (*p_ == '[') {
        if (!Data(depth + 1, leaves)) return false;
      } else {
        if (!leaves->any_leaf) {
          leaves->any_leaf = true;
          leaves->leaf_depth = depth + 1;
        } else if (leaves->leaf_depth != depth + 1) {
          return false;
        }
        if (*p_ == 'n') {
          if (!Literal("null")) return false;
          leaves->values.push_back(std::numeric_limits<double>::quiet_NaN());
        } else {
          Number num;
          if (!ReadNumber(&num)) return false;
          leaves->values.push_back(num.is_int ? static_cast<double>(num.i) : num.d);
        }
      }
      ++n;
    } while (Eat(','));
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
      if (!Key(&s)) return false;
      const int k = Is(s, "data")         ? 4
                    : Is(s, "name")       ? 0
                    : Is(s, "shape")      ? 1
                    : Is(s, "datatype")   ? 2
                    : Is(s, "parameters") ? 3
                                          : -1;
      if (!Claim(k, seen)) return false;
      bool ok = false;
      switch (k) {
        case 0:
          ok = String(&s);
          if (ok) t->name.assign(s);
          break;
        case 1:
          ok = ReadShape(&t->shape);
          break;
        case 2: {
          ok = String(&s) && (Is(s, "FP64") || Is(s, "FP32"));
          if (ok) t->datatype = s[2] == '6' ? DataType::kFp64 : DataType::kFp32;
          break;
        }
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
    if (!Eat('}') || !seen[0] || !seen[1] || !seen[2] || !seen[4]) return false;
    // ElementCount without its StatusOr (the dims are non-negative: ReadShape takes no '-');
    // a product past its 2^40 bound is left to the full path, which refuses it.
    constexpr int64_t kMaxCount = int64_t{1} << 40;
    int64_t count = 1;
    for (const int64_t d : t->shape) {
      if (d > kMaxCount || (d != 0 && count > kMaxCount / d)) return false;
      count *= d;
    }
    if (count != static_cast<int64_t>(leaves.values.size())) return false;
    const size_t n = leaves.values.size();
    if (t->datatype == DataType::kFp64) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(leaves.values.data());
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
  return Reader(json).Root(out);
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
