// KBinsDiscretizer and PowerTransformer.
// KBinsDiscretizer: bin = number of inner bin_edges_ <= x (numpy.searchsorted
// side="right"), output as the bin index (encode="ordinal") or one indicator
// column per bin (onehot, onehot-dense). PowerTransformer: Yeo-Johnson or
// Box-Cox per column with lambdas_, then its fitted StandardScaler when
// standardize, as sklearn 1.2.
#include <algorithm>
#include <cmath>

#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

class KBinsDiscretizer : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    ASSIGN_OR_RETURN(const double* x,
                     NumericInput(in, static_cast<int64_t>(inner_.size()), "KBinsDiscretizer"));
    const size_t p = inner_.size();
    size_t width = p;
    if (onehot_) {
      width = 0;
      for (const auto& e : inner_) width += e.size() + 1;
    }
    *out = Frame::Numeric(in.rows, width);
    for (size_t r = 0; r < in.rows; ++r) {
      size_t off = 0;
      for (size_t c = 0; c < p; ++c) {
        const double v = x[r * p + c];
        if (std::isnan(v)) {
          return InvalidArgumentError("KBinsDiscretizer: input column " + std::to_string(c) +
                                      " holds NaN, which KBinsDiscretizer does not accept");
        }
        const auto& e = inner_[c];
        const auto bin = static_cast<size_t>(std::upper_bound(e.begin(), e.end(), v) - e.begin());
        if (onehot_) {
          out->numeric[r * width + off + bin] = 1.0;
          off += e.size() + 1;
        } else {
          out->numeric[r * width + c] = static_cast<double>(bin);
        }
      }
    }
    return OkStatus();
  }
  int64_t n_features_in() const override { return static_cast<int64_t>(inner_.size()); }
  std::string name() const override { return "KBinsDiscretizer"; }

  std::vector<std::vector<double>> inner_;  // bin_edges_[j][1:-1]
  bool onehot_ = false;
};

// scipy.special.boxcox.
double BoxCox(double x, double l) {
  if (std::fabs(l) < 1e-19) return std::log(x);
  return std::expm1(l * std::log(x)) / l;
}

// PowerTransformer._yeo_johnson_transform on one value.
double YeoJohnson(double x, double l) {
  const double eps = std::nextafter(1.0, 2.0) - 1.0;  // np.spacing(1.0)
  if (x >= 0) {
    return std::fabs(l) < eps ? std::log1p(x) : (std::pow(x + 1, l) - 1) / l;
  }
  return std::fabs(l - 2) > eps ? -(std::pow(-x + 1, 2 - l) - 1) / (2 - l) : -std::log1p(-x);
}

class PowerTransformer : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    const size_t p = lambdas_.size();
    ASSIGN_OR_RETURN(const double* x,
                     NumericInput(in, static_cast<int64_t>(p), "PowerTransformer"));
    Frame t = Frame::Numeric(in.rows, p);
    for (size_t r = 0; r < in.rows; ++r) {
      for (size_t c = 0; c < p; ++c) {
        const double v = x[r * p + c];
        if (box_cox_ && v <= 0) {
          return InvalidArgumentError(
              "PowerTransformer (box-cox) needs strictly positive inputs; column " +
              std::to_string(c) + " holds " + std::to_string(v));
        }
        t.numeric[r * p + c] = box_cox_ ? BoxCox(v, lambdas_[c]) : YeoJohnson(v, lambdas_[c]);
      }
    }
    if (scaler_ == nullptr) {
      *out = std::move(t);
      return OkStatus();
    }
    return scaler_->Transform(t, out);
  }
  int64_t n_features_in() const override { return static_cast<int64_t>(lambdas_.size()); }
  std::string name() const override { return "PowerTransformer"; }

  std::vector<double> lambdas_;
  bool box_cox_ = false;
  TransformerPtr scaler_;
};

}  // namespace

StatusOr<TransformerPtr> MakeKBinsDiscretizer(const Attrs& a, BuildContext& ctx) {
  auto k = std::make_unique<KBinsDiscretizer>();
  const std::string encode = a.StrOr("encode", "onehot");
  if (encode != "onehot" && encode != "onehot-dense" && encode != "ordinal") {
    return a.Error("encode", "is '" + encode + "'");
  }
  k->onehot_ = encode != "ordinal";
  ASSIGN_OR_RETURN(const pickle::Value* edges, a.Require("bin_edges_"));
  std::vector<const pickle::Value*> cols;
  if (edges->array && edges->array->is_object()) {
    cols = edges->array->objects;
  } else if (edges->is_sequence()) {
    cols = edges->items;
  } else {
    return a.Error("bin_edges_", "is not an array of per-feature edge arrays");
  }
  for (const pickle::Value* c : cols) {
    auto e = ToArray(c);
    if (!e.ok() || e->v.size() < 2 || !std::is_sorted(e->v.begin(), e->v.end())) {
      return a.Error("bin_edges_", "holds an entry that is not a sorted array of 2+ edges");
    }
    RETURN_IF_ERROR(ctx.Charge(static_cast<int64_t>(e->v.size())));
    k->inner_.emplace_back(e->v.begin() + 1, e->v.end() - 1);
  }
  if (k->inner_.empty()) {
    return a.Error("bin_edges_", "is empty");
  }
  return TransformerPtr(std::move(k));
}

StatusOr<TransformerPtr> MakePowerTransformer(const Attrs& a, BuildContext& ctx) {
  auto t = std::make_unique<PowerTransformer>();
  const std::string method = a.StrOr("method", "yeo-johnson");
  if (method != "yeo-johnson" && method != "box-cox") {
    return a.Error("method", "is '" + method + "', expected yeo-johnson or box-cox");
  }
  t->box_cox_ = method == "box-cox";
  ASSIGN_OR_RETURN(Array l, a.Numbers("lambdas_"));
  if (l.shape.size() != 1 || l.v.empty()) {
    return a.Error("lambdas_", "is not a non-empty 1-D array");
  }
  t->lambdas_ = std::move(l.v);
  if (a.BoolOr("standardize", true)) {
    ASSIGN_OR_RETURN(const pickle::Value* s, a.Require("_scaler"));
    ASSIGN_OR_RETURN(t->scaler_, BuildTransformer(*s, ctx));
    if (t->scaler_->n_features_in() >= 0 &&
        t->scaler_->n_features_in() != static_cast<int64_t>(t->lambdas_.size())) {
      return a.Error("_scaler", "disagrees with lambdas_");
    }
  }
  return TransformerPtr(std::move(t));
}

}  // namespace ferry::sklearn
