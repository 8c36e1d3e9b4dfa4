// Labels: a classifier's classes_ (integers, floats or strings) and how to
// turn predicted class indices into the output Tensor sklearn would return.
// Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "pickle/value.h"
#include "protocol/tensor.h"

namespace ferry::sklearn {

class Labels {
 public:
  enum class Type { kInt, kFloat, kString };

  // From a classes_ value: a numeric, unicode or object numpy array.
  static StatusOr<Labels> FromValue(const pickle::Value* classes, const std::string& who);

  size_t size() const { return text_.size(); }
  Type type() const { return type_; }
  protocol::DataType datatype() const;
  // classes_ as text, for metadata.
  const std::vector<std::string>& text() const { return text_; }
  const std::vector<double>& numbers() const { return numbers_; }
  // [rows] tensor of classes_[idx[i]].
  protocol::Tensor Make(const int32_t* idx, size_t rows) const;

 private:
  Type type_ = Type::kInt;
  std::vector<double> numbers_;
  std::vector<int64_t> ints_;  // kInt: the labels exactly
  std::vector<std::string> text_;
};

}  // namespace ferry::sklearn
