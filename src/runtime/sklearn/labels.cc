#include "runtime/sklearn/labels.h"

#include <cmath>
#include <cstdio>

namespace ferry::sklearn {

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
    for (double d : l.numbers_) {
      char buf[32];
      if (ints) {
        std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(d));
      } else {
        std::snprintf(buf, sizeof(buf), "%.17g", d);
      }
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
  const protocol::Shape shape{static_cast<int64_t>(rows)};
  if (type_ == Type::kString) {
    std::vector<std::string> out(rows);
    for (size_t r = 0; r < rows; ++r) {
      out[r] = text_[idx[r]];
    }
    return protocol::Tensor::FromStrings(std::move(out), shape);
  }
  if (type_ == Type::kInt) {
    std::vector<int64_t> out(rows);
    for (size_t r = 0; r < rows; ++r) {
      out[r] = static_cast<int64_t>(numbers_[idx[r]]);
    }
    return protocol::Tensor::FromInt64s(out, shape);
  }
  std::vector<double> out(rows);
  for (size_t r = 0; r < rows; ++r) {
    out[r] = numbers_[idx[r]];
  }
  return protocol::Tensor::FromDoubles(std::move(out), shape);
}

}  // namespace ferry::sklearn
