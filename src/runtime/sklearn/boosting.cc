// GradientBoosting{Classifier,Regressor} (sklearn 1.2 `_gb_losses` and the
// later common `_loss` classes): raw = init + learning_rate * Σ tree values,
// trees evaluated on float32-cast X; the loss class picks the init raw
// prediction and the inverse link.
#include <cmath>
#include <limits>
#include <memory>

#include "runtime/sklearn/math.h"
#include "runtime/sklearn/registry.h"
#include "runtime/sklearn/tree_explain.h"
#include "runtime/sklearn/tree_model.h"

namespace ferry::sklearn {
namespace {

enum class Link { kIdentity, kBinomial, kMultinomial, kExponential };

class GradientBoosting : public Classifier {
 public:
  std::string name() const override { return name_; }

  // raw: rows x k_.
  void Raw(const double* x, size_t rows, double* raw) const {
    const auto p = static_cast<size_t>(n_features_);
    for (size_t r = 0; r < rows; ++r) {
      double* o = raw + r * k_;
      for (size_t j = 0; j < k_; ++j) {
        o[j] = init_[j];
      }
      for (size_t s = 0; s < stages_; ++s) {
        for (size_t j = 0; j < k_; ++j) {
          const TreeModel& t = *trees_[s * k_ + j];
          o[j] += learning_rate_ * t.Value(t.Leaf(x + r * p), 0)[0];
        }
      }
    }
  }

  // Explained output: the raw score (decision_function), init_ in the bias.
  size_t contribution_outputs() const override { return explainer_->refusal().empty() ? k_ : 0; }
  Status Contributions(const double* x, size_t rows, double* out) const override {
    explainer_->Explain(x, rows, out);
    return OkStatus();
  }
  std::string contributions_refusal() const override { return explainer_->refusal(); }

  std::vector<std::shared_ptr<const TreeModel>> trees_;  // stages_ x k_
  std::unique_ptr<TreeSumExplainer> explainer_;
  std::vector<double> init_;  // k_
  size_t stages_ = 0;
  size_t k_ = 1;
  double learning_rate_ = 0.1;
  Link link_ = Link::kIdentity;
  std::string name_;

 protected:
  Status Decision(const double* x, size_t rows, double* out) const override {
    Raw(x, rows, out);
    return OkStatus();
  }
  size_t decision_width() const override { return k_; }
  Status Proba(const double* x, size_t rows, double* out) const override {
    std::vector<double> raw(rows * k_);
    Raw(x, rows, raw.data());
    const size_t n = labels_.size();
    for (size_t r = 0; r < rows; ++r) {
      double* o = out + r * n;
      if (link_ == Link::kMultinomial) {
        const double lse = LogSumExp(&raw[r * k_], k_);
        for (size_t j = 0; j < k_; ++j) {
          o[j] = std::exp(raw[r * k_ + j] - lse);
        }
      } else {
        const double p1 = Expit(link_ == Link::kExponential ? 2.0 * raw[r] : raw[r]);
        o[0] = 1.0 - p1;
        o[1] = p1;
      }
    }
    return OkStatus();
  }
  Status PredictIndex(const double* x, size_t rows, int32_t* out) const override {
    const size_t n = labels_.size();
    std::vector<double> p(rows * n);
    if (link_ == Link::kMultinomial) {
      std::vector<double> raw(rows * k_);
      Raw(x, rows, raw.data());
      for (size_t r = 0; r < rows; ++r) {
        out[r] = ArgMax(&raw[r * k_], k_);
      }
      return OkStatus();
    }
    RETURN_IF_ERROR(Proba(x, rows, p.data()));
    for (size_t r = 0; r < rows; ++r) {
      out[r] = ArgMax(&p[r * n], n);
    }
    return OkStatus();
  }
};

// Regressors reuse the raw computation.
class GradientBoostingRegressor : public Regressor {
 public:
  std::string name() const override { return gb_.name_; }
  size_t contribution_outputs() const override { return gb_.contribution_outputs(); }
  Status Contributions(const double* x, size_t rows, double* out) const override {
    return gb_.Contributions(x, rows, out);
  }
  std::string contributions_refusal() const override { return gb_.contributions_refusal(); }
  GradientBoosting gb_;

 protected:
  Status Values(const double* x, size_t rows, double* out) const override {
    gb_.Raw(x, rows, out);
    return OkStatus();
  }
};

Status InitRaw(const Attrs& a, const std::string& loss, size_t k, std::vector<double>* init) {
  const pickle::Value* init_est = a.Get("init_");
  if (init_est != nullptr && init_est->is_str() && init_est->str == "zero") {
    init->assign(k, 0.0);
    return OkStatus();
  }
  if (init_est == nullptr || init_est->kind != pickle::Kind::kObject ||
      (init_est->object->name != "DummyClassifier" && init_est->object->name != "DummyRegressor")) {
    return UnimplementedError(a.cls() +
                              ".init_ is a custom estimator; only the default "
                              "(DummyClassifier/DummyRegressor) or 'zero' init is supported");
  }
  Attrs d(*init_est);
  if (init_est->object->name == "DummyRegressor") {
    ASSIGN_OR_RETURN(Array c, d.Numbers("constant_"));
    if (c.v.size() != k) {
      return d.Error("constant_", "does not match the model outputs");
    }
    *init = c.v;
    return OkStatus();
  }
  if (d.StrOr("strategy", "prior") != "prior") {
    return UnimplementedError(a.cls() + ".init_ DummyClassifier strategy must be 'prior'");
  }
  ASSIGN_OR_RETURN(Array prior, d.Numbers("class_prior_"));
  const double eps = std::numeric_limits<float>::epsilon();
  init->clear();
  if (k == 1) {
    if (prior.v.size() != 2) {
      return d.Error("class_prior_", "is not binary");
    }
    const double p = std::clamp(prior.v[1], eps, 1 - eps);
    const double raw = std::log(p / (1 - p));
    init->push_back(loss == "ExponentialLoss" ? 0.5 * raw : raw);
    return OkStatus();
  }
  if (prior.v.size() != k) {
    return d.Error("class_prior_", "does not match the classes");
  }
  double mean = 0.0;
  for (double p : prior.v) {
    init->push_back(std::log(std::clamp(p, eps, 1 - eps)));
    mean += init->back() / static_cast<double>(k);
  }
  if (loss == "HalfMultinomialLoss") {  // sklearn >= 1.4: symmetric multinomial logit
    for (double& v : *init) {
      v -= mean;
    }
  }
  return OkStatus();
}

StatusOr<Link> LinkFor(const Attrs& a, std::string* loss_name) {
  const pickle::Value* loss = a.Get("_loss");
  if (loss == nullptr || loss->kind != pickle::Kind::kObject) {
    return a.Error("_loss", "is missing");
  }
  const std::string& n = loss->object->name;
  *loss_name = n;
  if (n == "BinomialDeviance" || n == "HalfBinomialLoss") {
    return Link::kBinomial;
  }
  if (n == "MultinomialDeviance" || n == "HalfMultinomialLoss") {
    return Link::kMultinomial;
  }
  if (n == "ExponentialLoss" || n == "ExponentialLossFunction") {
    return Link::kExponential;
  }
  if (n == "LeastSquaresError" || n == "LeastAbsoluteError" || n == "HuberLossFunction" ||
      n == "QuantileLossFunction" || n == "HalfSquaredError" || n == "AbsoluteError" ||
      n == "HuberLoss" || n == "PinballLoss") {
    return Link::kIdentity;
  }
  return UnimplementedError(a.cls() + " with loss " + n + " is not supported");
}

Status LoadStages(const Attrs& a, GradientBoosting& gb, BuildContext& ctx) {
  ASSIGN_OR_RETURN(const pickle::Value* est, a.Require("estimators_"));
  if (!est->array || !est->array->is_object() || est->array->shape.size() != 2) {
    return a.Error("estimators_", "is not a 2-D object array of trees");
  }
  const pickle::NDArray& arr = *est->array;
  gb.k_ = arr.shape[1];
  gb.stages_ = arr.shape[0];
  if (a.Has("n_estimators_")) {
    ASSIGN_OR_RETURN(int64_t n, a.Int("n_estimators_"));
    if (n < 0 || static_cast<size_t>(n) > gb.stages_) {
      return a.Error("n_estimators_", "is out of range");
    }
    gb.stages_ = n;
  }
  for (size_t i = 0; i < gb.stages_ * gb.k_; ++i) {
    const pickle::Value* t = arr.objects[i];
    if (t == nullptr || t->kind != pickle::Kind::kObject) {
      return a.Error("estimators_", "holds a non-tree");
    }
    ASSIGN_OR_RETURN(auto m, TreeModel::Shared(t->Get("tree_"), a.cls() + ".estimators_", ctx));
    if (m->n_features() > gb.n_features_) {
      return a.Error("estimators_", "use too many features");
    }
    gb.trees_.push_back(std::move(m));
  }
  return OkStatus();
}

}  // namespace

StatusOr<PredictorPtr> MakeGradientBoosting(const Attrs& a, BuildContext& ctx) {
  const bool classifier = a.cls() == "GradientBoostingClassifier";
  std::unique_ptr<GradientBoostingRegressor> reg;
  std::unique_ptr<GradientBoosting> cls;
  GradientBoosting* gb;
  if (classifier) {
    cls = std::make_unique<GradientBoosting>();
    gb = cls.get();
  } else {
    reg = std::make_unique<GradientBoostingRegressor>();
    gb = &reg->gb_;
  }
  gb->name_ = a.cls();
  ASSIGN_OR_RETURN(gb->n_features_, a.Int("n_features_in_"));
  ASSIGN_OR_RETURN(gb->learning_rate_, a.Number("learning_rate"));
  std::string loss;
  ASSIGN_OR_RETURN(gb->link_, LinkFor(a, &loss));
  RETURN_IF_ERROR(LoadStages(a, *gb, ctx));
  RETURN_IF_ERROR(InitRaw(a, loss, gb->k_, &gb->init_));
  gb->explainer_ = std::make_unique<TreeSumExplainer>(TreeSumExplainer::Leaf::kValues, gb->k_,
                                                      gb->n_features_, gb->init_);
  for (size_t s = 0; s < gb->stages_; ++s) {
    for (size_t j = 0; j < gb->k_; ++j) {
      gb->explainer_->Add(gb->trees_[s * gb->k_ + j], gb->learning_rate_, j, 1);
    }
  }
  gb->explainer_->Finish();
  if (!classifier) {
    if (gb->link_ != Link::kIdentity || gb->k_ != 1) {
      return a.Error("_loss", "is not a regression loss");
    }
    reg->n_features_ = gb->n_features_;
    return PredictorPtr(std::move(reg));
  }
  ASSIGN_OR_RETURN(gb->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const size_t n = gb->labels_.size();
  if ((n == 2 && gb->k_ != 1) || (n > 2 && gb->k_ != n) || gb->link_ == Link::kIdentity) {
    return a.Error("estimators_", "do not match classes_ and the loss");
  }
  gb->has_proba_ = true;
  gb->has_decision_ = true;
  return PredictorPtr(std::move(cls));
}

}  // namespace ferry::sklearn
