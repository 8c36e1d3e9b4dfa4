// Attrs: typed, validated access to a fitted estimator's attributes in the
// pickle ValueTree. Every error names the estimator class and the attribute,
// so a user sees e.g. "LogisticRegression.coef_ has shape [3] but ...".
// A short-lived view used only while building estimators at load time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pickle/value.h"
#include "runtime/sklearn/build_context.h"

namespace ferry::sklearn {

// A numeric array converted to float64, C order.
struct Array {
  std::vector<int64_t> shape;
  std::vector<double> v;
  int64_t dim(size_t i) const { return i < shape.size() ? shape[i] : 1; }
  size_t size() const { return v.size(); }
};

class Attrs {
 public:
  // `ctx`, when given, is charged for every array converted.
  explicit Attrs(const pickle::Value& obj, BuildContext* ctx = nullptr);

  const std::string& cls() const { return cls_; }
  const pickle::Value& value() const { return obj_; }
  // Raw attribute; null when absent.
  const pickle::Value* Get(std::string_view key) const { return obj_.Get(key); }
  bool Has(std::string_view key) const;

  // Required attributes.
  StatusOr<const pickle::Value*> Require(std::string_view key) const;
  // numpy array, numpy scalar, Python number or list of numbers -> float64.
  StatusOr<Array> Numbers(std::string_view key) const;
  StatusOr<double> Number(std::string_view key) const;
  StatusOr<int64_t> Int(std::string_view key) const;
  StatusOr<std::string> Str(std::string_view key) const;
  // Optional attributes with a default.
  bool BoolOr(std::string_view key, bool fallback) const;
  std::string StrOr(std::string_view key, std::string fallback) const;
  double NumberOr(std::string_view key, double fallback) const;

  // An error about attribute `key`, prefixed with "Class.key".
  Status Error(std::string_view key, std::string_view what) const;

 private:
  const pickle::Value& obj_;
  BuildContext* ctx_;
  std::string cls_;
};

// Converts any numeric pickle value (array, scalar, number, list) to an Array.
StatusOr<Array> ToArray(const pickle::Value* v);

}  // namespace ferry::sklearn
