// Numeric transformers: StandardScaler, MinMaxScaler, MaxAbsScaler,
// RobustScaler (one affine map per column), Normalizer, Binarizer,
// PolynomialFeatures.
#include <cmath>

#include "runtime/sklearn/registry.h"
#include "runtime/sklearn/ufunc.h"

namespace ferry::sklearn {
namespace {

// x' = clip((x - sub) / div * mul + add): each scaler sets the parts it uses,
// applied in sklearn's order so results match to the last bit.
class AffineScaler : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    ASSIGN_OR_RETURN(const double* x, NumericInput(in, n_, name_));
    *out = Frame::Numeric(in.rows, in.cols);
    double* o = out->numeric.data();
    const size_t p = in.cols;
    for (size_t r = 0; r < in.rows; ++r) {
      for (size_t c = 0; c < p; ++c) {
        double v = x[r * p + c];
        if (!sub_.empty()) {
          v -= sub_[c];
        }
        if (!div_.empty()) {
          v /= div_[c];
        }
        if (!mul_.empty()) {
          v *= mul_[c];
        }
        if (!add_.empty()) {
          v += add_[c];
        }
        if (clip_) {
          v = std::min(std::max(v, lo_), hi_);
        }
        o[r * p + c] = v;
      }
    }
    return OkStatus();
  }
  // x = ((x' - add) / mul) * div + sub, in sklearn's inverse_transform order.
  Status InverseTransform(const Frame& in, Frame* out) const override {
    ASSIGN_OR_RETURN(const double* x, NumericInput(in, n_, name_));
    *out = Frame::Numeric(in.rows, in.cols);
    const size_t p = in.cols;
    for (size_t r = 0; r < in.rows; ++r) {
      for (size_t c = 0; c < p; ++c) {
        double v = x[r * p + c];
        if (!add_.empty()) v -= add_[c];
        if (!mul_.empty()) v /= mul_[c];
        if (!div_.empty()) v *= div_[c];
        if (!sub_.empty()) v += sub_[c];
        out->numeric[r * p + c] = v;
      }
    }
    return OkStatus();
  }
  int64_t n_features_in() const override { return n_; }
  std::string name() const override { return name_; }

  std::vector<double> sub_, div_, mul_, add_;
  bool clip_ = false;
  double lo_ = 0, hi_ = 1;
  int64_t n_ = -1;
  std::string name_;
};

// Loads an optional per-feature vector; None means "skip this part".
Status Optional(const Attrs& a, std::string_view key, bool use, std::vector<double>* out) {
  if (!use || !a.Has(key)) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(Array v, a.Numbers(key));
  *out = std::move(v.v);
  return OkStatus();
}

Status CheckSizes(const Attrs& a, AffineScaler& s) {
  for (auto* v : {&s.sub_, &s.div_, &s.mul_, &s.add_}) {
    if (v->empty()) {
      continue;
    }
    if (s.n_ < 0) {
      s.n_ = static_cast<int64_t>(v->size());
    }
    if (static_cast<int64_t>(v->size()) != s.n_) {
      return a.Error("n_features_in_", "disagrees with the fitted per-feature statistics");
    }
  }
  return OkStatus();
}

}  // namespace

StatusOr<TransformerPtr> MakeScaler(const Attrs& a, BuildContext& ctx) {
  auto s = std::make_unique<AffineScaler>();
  s->name_ = a.cls();
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(s->n_, a.Int("n_features_in_"));
  }
  const std::string& c = a.cls();
  if (c == "StandardScaler") {
    RETURN_IF_ERROR(Optional(a, "mean_", a.BoolOr("with_mean", true), &s->sub_));
    RETURN_IF_ERROR(Optional(a, "scale_", a.BoolOr("with_std", true), &s->div_));
  } else if (c == "MinMaxScaler") {
    ASSIGN_OR_RETURN(Array scale, a.Numbers("scale_"));
    ASSIGN_OR_RETURN(Array mn, a.Numbers("min_"));
    s->mul_ = std::move(scale.v);
    s->add_ = std::move(mn.v);
    s->clip_ = a.BoolOr("clip", false);
    if (s->clip_) {
      ASSIGN_OR_RETURN(Array range, a.Numbers("feature_range"));
      if (range.v.size() != 2) {
        return a.Error("feature_range", "is not a pair");
      }
      s->lo_ = range.v[0];
      s->hi_ = range.v[1];
    }
  } else if (c == "MaxAbsScaler") {
    RETURN_IF_ERROR(Optional(a, "scale_", true, &s->div_));
  } else if (c == "RobustScaler") {
    RETURN_IF_ERROR(Optional(a, "center_", a.BoolOr("with_centering", true), &s->sub_));
    RETURN_IF_ERROR(Optional(a, "scale_", a.BoolOr("with_scaling", true), &s->div_));
  } else {
    return UnimplementedError("no scaler named " + c);
  }
  RETURN_IF_ERROR(CheckSizes(a, *s));
  return TransformerPtr(std::move(s));
}

namespace {

class Normalizer : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    ASSIGN_OR_RETURN(const double* x, NumericInput(in, n_, "Normalizer"));
    *out = Frame::Numeric(in.rows, in.cols);
    const size_t p = in.cols;
    for (size_t r = 0; r < in.rows; ++r) {
      const double* xr = x + r * p;
      double norm = 0.0;
      for (size_t c = 0; c < p; ++c) {
        if (norm_ == "l1") {
          norm += std::fabs(xr[c]);
        } else if (norm_ == "max") {
          norm = std::max(norm, std::fabs(xr[c]));
        } else {
          norm += xr[c] * xr[c];
        }
      }
      if (norm_ == "l2") {
        norm = std::sqrt(norm);
      }
      if (norm == 0.0) {
        norm = 1.0;
      }
      for (size_t c = 0; c < p; ++c) {
        out->numeric[r * p + c] = xr[c] / norm;
      }
    }
    return OkStatus();
  }
  int64_t n_features_in() const override { return n_; }
  std::string name() const override { return "Normalizer"; }
  std::string norm_ = "l2";
  int64_t n_ = -1;
};

// FunctionTransformer: func (and inverse_func) None — the identity, which is
// also what FeatureUnion stores for "passthrough" — or a numpy ufunc run
// natively (ufunc.h), applied to every cell.
class FunctionTransformer : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override { return Apply(func_, in, out); }
  Status InverseTransform(const Frame& in, Frame* out) const override {
    return Apply(inverse_, in, out);
  }
  int64_t n_features_in() const override { return n_; }
  bool accepts_strings() const override { return func_ == nullptr; }
  std::string name() const override { return "FunctionTransformer"; }

  UnaryFn func_ = nullptr, inverse_ = nullptr;
  int64_t n_ = -1;

 private:
  Status Apply(UnaryFn fn, const Frame& in, Frame* out) const {
    if (n_ >= 0 && static_cast<int64_t>(in.cols) != n_) {
      return InvalidArgumentError("FunctionTransformer expects " + std::to_string(n_) +
                                  " features per row but the input has " + std::to_string(in.cols));
    }
    if (fn == nullptr) {
      *out = in;
      return OkStatus();
    }
    ASSIGN_OR_RETURN(const double* x, NumericInput(in, -1, "FunctionTransformer"));
    *out = Frame::Numeric(in.rows, in.cols);
    for (size_t i = 0; i < in.rows * in.cols; ++i) out->numeric[i] = fn(x[i]);
    return OkStatus();
  }
};

// x' = 1 if x > threshold else 0 (NaN -> 0), as sklearn.preprocessing.binarize.
class Binarizer : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    ASSIGN_OR_RETURN(const double* x, NumericInput(in, n_, "Binarizer"));
    *out = Frame::Numeric(in.rows, in.cols);
    for (size_t i = 0; i < in.rows * in.cols; ++i) {
      out->numeric[i] = x[i] > threshold_ ? 1.0 : 0.0;
    }
    return OkStatus();
  }
  int64_t n_features_in() const override { return n_; }
  std::string name() const override { return "Binarizer"; }

  double threshold_ = 0.0;
  int64_t n_ = -1;
};

class PolynomialFeatures : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    ASSIGN_OR_RETURN(const double* x, NumericInput(in, n_, "PolynomialFeatures"));
    *out = Frame::Numeric(in.rows, combos_.size());
    for (size_t r = 0; r < in.rows; ++r) {
      for (size_t j = 0; j < combos_.size(); ++j) {
        double v = 1.0;
        for (size_t f : combos_[j]) {
          v *= x[r * in.cols + f];
        }
        out->numeric[r * combos_.size() + j] = v;
      }
    }
    return OkStatus();
  }
  int64_t n_features_in() const override { return n_; }
  std::string name() const override { return "PolynomialFeatures"; }

  std::vector<std::vector<size_t>> combos_;
  int64_t n_ = -1;
};

// itertools.combinations / combinations_with_replacement of range(n) choose k,
// in their lexicographic order.
constexpr size_t kMaxPolyOutputs = 100000;

void Combinations(size_t n, size_t k, bool with_replacement,
                  std::vector<std::vector<size_t>>* out) {
  if ((!with_replacement && k > n) || (with_replacement && n == 0 && k > 0)) {
    return;
  }
  std::vector<size_t> c(k);
  for (size_t i = 0; i < k; ++i) {
    c[i] = with_replacement ? 0 : i;
  }
  out->push_back(c);
  while (true) {
    size_t i = k;
    bool found = false;
    while (i-- > 0) {
      const size_t limit = with_replacement ? n - 1 : i + n - k;
      if (c[i] != limit) {
        found = true;
        break;
      }
    }
    if (!found) {
      return;
    }
    ++c[i];
    for (size_t j = i + 1; j < k; ++j) {
      c[j] = with_replacement ? c[i] : c[j - 1] + 1;
    }
    out->push_back(c);
    if (out->size() > kMaxPolyOutputs) {
      return;
    }
  }
}

}  // namespace

StatusOr<TransformerPtr> MakeNormalizer(const Attrs& a, BuildContext& ctx) {
  auto n = std::make_unique<Normalizer>();
  n->norm_ = a.StrOr("norm", "l2");
  if (n->norm_ != "l1" && n->norm_ != "l2" && n->norm_ != "max") {
    return a.Error("norm", "is '" + n->norm_ + "', expected l1, l2 or max");
  }
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(n->n_, a.Int("n_features_in_"));
  }
  return TransformerPtr(std::move(n));
}

StatusOr<TransformerPtr> MakeFunctionTransformer(const Attrs& a, BuildContext& ctx) {
  auto t = std::make_unique<FunctionTransformer>();
  ASSIGN_OR_RETURN(t->func_, UfuncFromValue(a.Get("func"), "FunctionTransformer.func"));
  ASSIGN_OR_RETURN(t->inverse_,
                   UfuncFromValue(a.Get("inverse_func"), "FunctionTransformer.inverse_func"));
  for (const char* kw : {"kw_args", "inv_kw_args"}) {
    const pickle::Value* v = a.Get(kw);
    if (v != nullptr && !v->is_none() && !(v->kind == pickle::Kind::kDict && v->entries.empty())) {
      return a.Error(kw, "is set; Ferry supports FunctionTransformer without keyword arguments");
    }
  }
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(t->n_, a.Int("n_features_in_"));
  }
  return TransformerPtr(std::move(t));
}

StatusOr<TransformerPtr> MakeBinarizer(const Attrs& a, BuildContext& ctx) {
  auto b = std::make_unique<Binarizer>();
  ASSIGN_OR_RETURN(b->threshold_, a.Number("threshold"));
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(b->n_, a.Int("n_features_in_"));
  }
  return TransformerPtr(std::move(b));
}

StatusOr<TransformerPtr> MakePolynomialFeatures(const Attrs& a, BuildContext& ctx) {
  auto p = std::make_unique<PolynomialFeatures>();
  ASSIGN_OR_RETURN(p->n_, a.Int("n_features_in_"));
  ASSIGN_OR_RETURN(int64_t min_deg, a.Int("_min_degree"));
  ASSIGN_OR_RETURN(int64_t max_deg, a.Int("_max_degree"));
  const bool interaction = a.BoolOr("interaction_only", false);
  const bool bias = a.BoolOr("include_bias", true);
  if (p->n_ < 0 || max_deg < 0 || max_deg > 8 || p->n_ > 1000) {
    return a.Error("degree", "is out of the supported range");
  }
  const auto n = static_cast<size_t>(p->n_);
  if (bias) {
    Combinations(n, 0, !interaction, &p->combos_);
  }
  for (int64_t d = std::max<int64_t>(1, min_deg); d <= max_deg; ++d) {
    Combinations(n, static_cast<size_t>(d), !interaction, &p->combos_);
    if (p->combos_.size() > kMaxPolyOutputs) {
      return a.Error("degree", "gives too many output features");
    }
  }
  if (a.Has("n_output_features_")) {
    ASSIGN_OR_RETURN(int64_t nout, a.Int("n_output_features_"));
    if (nout != static_cast<int64_t>(p->combos_.size())) {
      return a.Error("n_output_features_", "disagrees with degree/interaction_only/include_bias");
    }
  }
  return TransformerPtr(std::move(p));
}

}  // namespace ferry::sklearn
