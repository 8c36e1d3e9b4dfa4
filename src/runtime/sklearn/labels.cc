#include "runtime/sklearn/labels.h"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace ferry::sklearn {
namespace {

// Integer class labels exactly as stored (no trip through double, which
// rounds above 2^53 and overflows int64 near its ends).
StatusOr<std::vector<int64_t>> ExactInts(const pickle::NDArray& a, const std::string& who) {
  std::vector<int64_t> out;
  if (a.is_object()) {
    for (const pickle::Value* v : a.objects) {
      if (v->kind == pickle::Kind::kInt) {
        out.push_back(v->i);
      } else if (v->kind == pickle::Kind::kBool) {
        out.push_back(v->b ? 1 : 0);
      } else {
        return InvalidArgumentError(who + ": classes_ holds " + v->Describe() +
                                    ", not an integer Ferry can represent");
      }
    }
    return out;
  }
  const auto item = static_cast<size_t>(a.dtype.itemsize);
  const auto n = static_cast<size_t>(a.size());
  if (item == 0 || item > 8 || a.data.size() < n * item) {
    return InvalidArgumentError(who + ": classes_ has an unsupported integer dtype");
  }
  for (size_t i = 0; i < n; ++i) {
    uint64_t u = 0;
    for (size_t b = 0; b < item; ++b) {
      u |= static_cast<uint64_t>(static_cast<unsigned char>(a.data[i * item + b])) << (8 * b);
    }
    if (a.dtype.kind == 'b') {
      out.push_back(u != 0 ? 1 : 0);
    } else if (a.dtype.kind == 'i') {
      const unsigned shift = static_cast<unsigned>(64 - 8 * item);
      out.push_back(static_cast<int64_t>(u << shift) >> shift);  // sign-extend
    } else if (u > static_cast<uint64_t>(INT64_MAX)) {
      return InvalidArgumentError(who + ": classes_ holds " + std::to_string(u) +
                                  ", above the largest INT64 label");
    } else {
      out.push_back(static_cast<int64_t>(u));
    }
  }
  return out;
}

}  // namespace

StatusOr<Labels> Labels::FromValue(const pickle::Value* classes, const std::string& who) {
  if (classes == nullptr || classes->kind != pickle::Kind::kArray || !classes->array) {
    return InvalidArgumentError(who + ": classes_ is missing or not a numpy array");
  }
  const pickle::NDArray& a = *classes->array;
  Labels l;
  const char k = a.dtype.kind;
  bool all_numbers = k == 'i' || k == 'u' || k == 'b' || k == 'f';
  if (a.is_object()) {
    all_numbers = true;
    for (const pickle::Value* v : a.objects) {
      if (v == nullptr || !v->is_number()) {
        all_numbers = false;
      }
    }
  }
  if (all_numbers) {
    ASSIGN_OR_RETURN(l.numbers_, pickle::ToDoubles(a));
    bool ints = k != 'f';
    if (a.is_object()) {
      for (const pickle::Value* v : a.objects) {
        ints = ints && v->kind != pickle::Kind::kFloat;
      }
    }
    l.type_ = ints ? Type::kInt : Type::kFloat;
    if (ints) {
      ASSIGN_OR_RETURN(l.ints_, ExactInts(a, who));
      for (int64_t v : l.ints_) l.text_.push_back(std::to_string(v));
      return l;
    }
    for (double d : l.numbers_) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", d);
      l.text_.push_back(buf);
    }
    return l;
  }
  auto strings = pickle::ToStrings(a);
  if (!strings.ok()) {
    return InvalidArgumentError(who + ": classes_ mixes types or holds unsupported values (" +
                                strings.status().message() + ")");
  }
  l.type_ = Type::kString;
  l.text_ = std::move(*strings);
  return l;
}

protocol::DataType Labels::datatype() const {
  switch (type_) {
    case Type::kInt:
      return protocol::DataType::kInt64;
    case Type::kFloat:
      return protocol::DataType::kFp64;
    case Type::kString:
      return protocol::DataType::kBytes;
  }
  return protocol::DataType::kFp64;
}

protocol::Tensor Labels::Make(const int32_t* idx, size_t rows) const {
  protocol::Shape shape{static_cast<int64_t>(rows)};
  if (type_ == Type::kString) {
    std::vector<std::string> out(rows);
    for (size_t r = 0; r < rows; ++r) {
      out[r] = text_[idx[r]];
    }
    return protocol::Tensor::FromStrings(std::move(out), std::move(shape));
  }
  if (type_ == Type::kInt) {
    protocol::Tensor t;
    t.datatype = protocol::DataType::kInt64;
    t.shape = std::move(shape);
    constexpr size_t kOnStack = 64;
    if (rows <= kOnStack) {
      // A small batch is copied in from the stack: the bytes are allocated once, not zeroed.
      int64_t values[kOnStack];
      for (size_t r = 0; r < rows; ++r) values[r] = ints_[idx[r]];
      const auto* bytes = reinterpret_cast<const uint8_t*>(values);
      t.raw.assign(bytes, bytes + rows * sizeof(int64_t));
      return t;
    }
    t.raw.resize(rows * sizeof(int64_t));  // written in place: no intermediate vector
    int64_t* out = t.mutable_data<int64_t>();
    for (size_t r = 0; r < rows; ++r) {
      out[r] = ints_[idx[r]];
    }
    return t;
  }
  std::vector<double> out(rows);
  for (size_t r = 0; r < rows; ++r) {
    out[r] = numbers_[idx[r]];
  }
  return protocol::Tensor::FromDoubles(std::move(out), std::move(shape));
}

}  // namespace ferry::sklearn
