// IsolationForest: score_samples = -2^(-mean path length / c(max_samples_)),
// where each tree's path length for a row is its leaf's depth plus
// c(n_node_samples of that leaf) (sklearn's _average_path_length);
// decision_function = score_samples - offset_, predict = -1 where it is
// negative, else 1. Rows are cast to float32 like every sklearn tree input.
#include <cmath>

#include "runtime/sklearn/frame_ops.h"
#include "runtime/sklearn/registry.h"
#include "runtime/sklearn/tree_model.h"

namespace ferry::sklearn {
namespace {

// sklearn.ensemble._iforest._average_path_length for one value.
double AveragePathLength(double n) {
  constexpr double kEulerGamma = 0.5772156649015329;
  if (n <= 1) return 0.0;
  if (n == 2) return 1.0;
  return 2.0 * (std::log(n - 1.0) + kEulerGamma) - 2.0 * (n - 1.0) / n;
}

class IsolationForest : public Predictor {
 public:
  struct Member {
    std::shared_ptr<const TreeModel> tree;
    std::vector<size_t> features;
  };

  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    if (method != PredictMethod::kPredict && method != PredictMethod::kDecisionFunction) {
      return UnimplementedError("IsolationForest supports predict and decision_function");
    }
    ASSIGN_OR_RETURN(const double* X, NumericInput(x, n_, "IsolationForest"));
    const auto p = static_cast<size_t>(n_);
    std::vector<double> depths(x.rows, 0.0), row;
    for (const Member& m : members_) {
      row.resize(m.features.size());
      for (size_t r = 0; r < x.rows; ++r) {
        for (size_t j = 0; j < m.features.size(); ++j) row[j] = X[r * p + m.features[j]];
        const int64_t leaf = m.tree->Leaf(row.data());
        depths[r] += (static_cast<double>(m.tree->Depth(leaf)) + 1.0 +
                      AveragePathLength(m.tree->NodeSamples(leaf))) -
                     1.0;
      }
    }
    const double denominator =
        static_cast<double>(members_.size()) * AveragePathLength(max_samples_);
    std::vector<double> decision(x.rows);
    for (size_t r = 0; r < x.rows; ++r) {
      const double score = std::pow(2.0, denominator != 0 ? -depths[r] / denominator : 0.0);
      decision[r] = -score - offset_;
    }
    const auto rows = static_cast<int64_t>(x.rows);
    if (method == PredictMethod::kDecisionFunction) {
      return Tensor::FromDoubles(std::move(decision), {rows});
    }
    std::vector<int64_t> out(x.rows);
    for (size_t r = 0; r < x.rows; ++r) out[r] = decision[r] < 0 ? -1 : 1;
    return Tensor::FromInt64s(out, {rows});
  }
  std::vector<PredictMethod> methods() const override {
    return {PredictMethod::kPredict, PredictMethod::kDecisionFunction};
  }
  protocol::DataType output_datatype() const override { return protocol::DataType::kInt64; }
  int64_t n_features_in() const override { return n_; }
  std::string name() const override { return "IsolationForest"; }

  std::vector<Member> members_;
  double max_samples_ = 0;
  double offset_ = 0;
  int64_t n_ = -1;
};

}  // namespace

StatusOr<PredictorPtr> MakeIsolationForest(const Attrs& a, BuildContext& ctx) {
  auto f = std::make_unique<IsolationForest>();
  ASSIGN_OR_RETURN(f->n_, a.Int("n_features_in_"));
  ASSIGN_OR_RETURN(f->max_samples_, a.Number("max_samples_"));
  ASSIGN_OR_RETURN(f->offset_, a.Number("offset_"));
  ASSIGN_OR_RETURN(const pickle::Value* ests, a.Require("estimators_"));
  ASSIGN_OR_RETURN(const pickle::Value* feats, a.Require("estimators_features_"));
  if (!ests->is_sequence() || !feats->is_sequence() || ests->items.empty() ||
      ests->items.size() != feats->items.size() || f->n_ <= 0) {
    return a.Error("estimators_", "and estimators_features_ are not two lists of equal length");
  }
  for (size_t i = 0; i < ests->items.size(); ++i) {
    const pickle::Value* e = ests->items[i];
    if (e == nullptr || e->kind != pickle::Kind::kObject) {
      return a.Error("estimators_", "holds something other than fitted trees");
    }
    IsolationForest::Member m;
    ASSIGN_OR_RETURN(m.tree, TreeModel::Shared(e->Get("tree_"), "IsolationForest", ctx));
    if (!m.tree->has_node_samples()) {
      return a.Error("estimators_", "tree " + std::to_string(i) + " has no n_node_samples");
    }
    auto cols = ToArray(feats->items[i]);
    if (!cols.ok() || cols->shape.size() != 1 ||
        static_cast<int64_t>(cols->v.size()) != m.tree->n_features()) {
      return a.Error("estimators_features_",
                     "entry " + std::to_string(i) + " does not match its tree's features");
    }
    for (double c : cols->v) {
      if (!(c >= 0 && c < static_cast<double>(f->n_)) || c != std::floor(c)) {
        return a.Error("estimators_features_", "holds a column outside the input");
      }
      m.features.push_back(static_cast<size_t>(c));
    }
    f->members_.push_back(std::move(m));
  }
  return PredictorPtr(std::move(f));
}

}  // namespace ferry::sklearn
