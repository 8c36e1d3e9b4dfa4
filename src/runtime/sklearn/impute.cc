// SimpleImputer: replaces the missing marker with the fitted statistic per
// column, drops columns that were entirely missing at fit time (as sklearn
// 1.2 does unless keep_empty_features), and appends MissingIndicator columns
// when add_indicator was set. JSON null counts as NaN (see frame.h), so with
// missing_values=None nothing in a request is ever "missing".
#include <cmath>

#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

class SimpleImputer : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override;
  int64_t n_features_in() const override { return static_cast<int64_t>(stats_.size()); }
  bool accepts_strings() const override { return true; }
  std::string name() const override { return "SimpleImputer"; }

  struct Stat {
    bool is_string = false;
    bool valid = true;  // false: column dropped
    double number = 0;
    std::string text;
  };
  std::vector<Stat> stats_;
  // The missing marker.
  enum class Marker { kNaN, kNumber, kString, kNone } marker_ = Marker::kNaN;
  double marker_number_ = 0;
  std::string marker_text_;
  std::vector<size_t> indicator_features_;

 private:
  bool IsMissing(const Frame& x, size_t r, size_t c) const {
    switch (marker_) {
      case Marker::kNaN:
        return x.is_missing(r, c);
      case Marker::kNumber:
        return !x.is_string_col(c) && x.at(r, c) == marker_number_;
      case Marker::kString:
        return x.is_string_col(c) && !x.missing[r * x.cols + c] && x.str_at(r, c) == marker_text_;
      case Marker::kNone:
        return false;
    }
    return false;
  }
};

Status SimpleImputer::Transform(const Frame& in, Frame* out) const {
  if (in.cols != stats_.size()) {
    return InvalidArgumentError("SimpleImputer expects " + std::to_string(stats_.size()) +
                                " columns but the input has " + std::to_string(in.cols));
  }
  std::vector<size_t> keep;
  for (size_t c = 0; c < stats_.size(); ++c) {
    if (stats_[c].valid) {
      keep.push_back(c);
    }
  }
  const size_t width = keep.size() + indicator_features_.size();
  *out = Frame::Numeric(in.rows, width);
  for (size_t j = 0; j < keep.size(); ++j) {
    const size_t c = keep[j];
    if (stats_[c].is_string || in.is_string_col(c)) {
      if (!stats_[c].is_string) {
        return InvalidArgumentError("SimpleImputer: column " + std::to_string(c) +
                                    " holds strings but was imputed with a number at fit time");
      }
      out->MakeStringColumn(j);
    }
  }
  for (size_t r = 0; r < in.rows; ++r) {
    for (size_t j = 0; j < keep.size(); ++j) {
      const size_t c = keep[j];
      const Stat& s = stats_[c];
      const bool miss = IsMissing(in, r, c);
      const size_t o = r * width + j;
      if (out->is_string_col(j)) {
        if (miss) {
          out->strings[o] = s.text;
        } else if (in.is_string_col(c)) {
          out->strings[o] = in.str_at(r, c);
        } else {
          return InvalidArgumentError("SimpleImputer: column " + std::to_string(c) +
                                      " mixes numbers into a string column");
        }
      } else {
        out->numeric[o] = miss ? s.number : in.at(r, c);
      }
    }
    for (size_t i = 0; i < indicator_features_.size(); ++i) {
      out->numeric[r * width + keep.size() + i] = IsMissing(in, r, indicator_features_[i]) ? 1 : 0;
    }
  }
  return OkStatus();
}

}  // namespace

StatusOr<TransformerPtr> MakeSimpleImputer(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<SimpleImputer>();
  ASSIGN_OR_RETURN(const pickle::Value* stats, a.Require("statistics_"));
  if (!stats->array) {
    return a.Error("statistics_", "is not an array");
  }
  const std::string strategy = a.StrOr("strategy", "mean");
  const bool keep_empty = a.BoolOr("keep_empty_features", false) || strategy == "constant";
  const pickle::NDArray& arr = *stats->array;
  if (arr.is_object()) {
    for (const pickle::Value* v : arr.objects) {
      SimpleImputer::Stat s;
      if (v != nullptr && v->is_str()) {
        s.is_string = true;
        s.text = v->str;
      } else if (v != nullptr && v->is_number()) {
        s.number =
            v->kind == pickle::Kind::kInt ? v->i : (v->kind == pickle::Kind::kBool ? v->b : v->f);
        s.valid = keep_empty || !std::isnan(s.number);
      } else {
        s.valid = keep_empty;
        s.number = std::nan("");
      }
      m->stats_.push_back(std::move(s));
    }
  } else {
    ASSIGN_OR_RETURN(auto d, pickle::ToDoubles(arr));
    for (double v : d) {
      SimpleImputer::Stat s;
      s.number = v;
      s.valid = keep_empty || !std::isnan(v);
      m->stats_.push_back(s);
    }
  }
  const pickle::Value* mv = a.Get("missing_values");
  if (mv == nullptr || (mv->kind == pickle::Kind::kFloat && std::isnan(mv->f))) {
    m->marker_ = SimpleImputer::Marker::kNaN;
  } else if (mv->is_none()) {
    m->marker_ = SimpleImputer::Marker::kNone;
  } else if (mv->is_str()) {
    m->marker_ = SimpleImputer::Marker::kString;
    m->marker_text_ = mv->str;
  } else if (mv->is_number()) {
    m->marker_ = SimpleImputer::Marker::kNumber;
    m->marker_number_ = mv->kind == pickle::Kind::kInt ? mv->i : mv->f;
  } else {
    return a.Error("missing_values", "is a " + mv->Describe() + ", not a number or string");
  }
  if (a.BoolOr("add_indicator", false)) {
    const pickle::Value* ind = a.Get("indicator_");
    if (ind == nullptr || ind->kind != pickle::Kind::kObject) {
      return a.Error("indicator_", "is missing although add_indicator is set");
    }
    auto f = ToArray(ind->Get("features_"));
    if (!f.ok()) {
      return a.Error("indicator_.features_", f.status().message());
    }
    for (double v : f->v) {
      if (v < 0 || v >= static_cast<double>(m->stats_.size())) {
        return a.Error("indicator_.features_", "points past the input columns");
      }
      m->indicator_features_.push_back(static_cast<size_t>(v));
    }
  }
  return TransformerPtr(std::move(m));
}

}  // namespace ferry::sklearn
