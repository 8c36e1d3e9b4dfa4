// DecisionTree*, ExtraTree*, RandomForest* and ExtraTrees*: a classifier
// averages each tree's normalised leaf class counts; a regressor averages
// leaf values (a single decision tree is a forest of one).
#include <algorithm>
#include <memory>

#include "runtime/sklearn/registry.h"
#include "runtime/sklearn/tree_explain.h"
#include "runtime/sklearn/tree_model.h"

namespace ferry::sklearn {
namespace {

using TreePtr = std::shared_ptr<const TreeModel>;

StatusOr<std::vector<TreePtr>> LoadTrees(const Attrs& a, BuildContext& ctx) {
  std::vector<TreePtr> trees;
  if (a.Has("tree_")) {
    ASSIGN_OR_RETURN(TreePtr t, TreeModel::Shared(a.Get("tree_"), a.cls(), ctx));
    trees.push_back(std::move(t));
    return trees;
  }
  ASSIGN_OR_RETURN(const pickle::Value* list, a.Require("estimators_"));
  if (!list->is_sequence() || list->items.empty()) {
    return a.Error("estimators_", "is not a list of trees");
  }
  for (const pickle::Value* e : list->items) {
    if (e == nullptr || e->kind != pickle::Kind::kObject) {
      return a.Error("estimators_", "holds a non-estimator");
    }
    ASSIGN_OR_RETURN(TreePtr t,
                     TreeModel::Shared(e->Get("tree_"), a.cls() + ".estimators_[i]", ctx));
    trees.push_back(std::move(t));
  }
  return trees;
}

Status CheckFeatures(const Attrs& a, const std::vector<TreePtr>& trees, int64_t* n_features) {
  *n_features = trees[0]->n_features();
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(*n_features, a.Int("n_features_in_"));
  }
  for (const TreePtr& t : trees) {
    if (t->n_features() > *n_features) {
      return a.Error("tree_", "uses more features than n_features_in_");
    }
  }
  return OkStatus();
}

// The forest's TreeSHAP view: each tree scaled by 1/T into `outputs` outputs.
std::unique_ptr<TreeSumExplainer> MakeExplainer(const std::vector<TreePtr>& trees,
                                                TreeSumExplainer::Leaf leaf, size_t outputs,
                                                int64_t n_features) {
  auto e = std::make_unique<TreeSumExplainer>(leaf, outputs, n_features, std::vector<double>());
  for (const TreePtr& t : trees) {
    e->Add(t, 1.0 / static_cast<double>(trees.size()), 0, outputs);
  }
  e->Finish();
  return e;
}

class TreeClassifier : public Classifier {
 public:
  std::string name() const override { return name_; }
  // Explained output: predict_proba, one column per class.
  size_t contribution_outputs() const override {
    return explainer_->refusal().empty() ? explainer_->outputs() : 0;
  }
  Status Contributions(const double* x, size_t rows, double* out) const override {
    explainer_->Explain(x, rows, out);
    return OkStatus();
  }
  std::string contributions_refusal() const override { return explainer_->refusal(); }

  std::vector<TreePtr> trees_;
  std::unique_ptr<TreeSumExplainer> explainer_;
  std::string name_;

 protected:
  // Tree-major: each tree walks every row of the call before the next tree,
  // so a large forest is streamed through the cache once per call (of up to
  // 256 rows, estimator.cc) instead of once per row. Every row still adds
  // the trees up in the same order, so results are unchanged.
  Status Proba(const double* x, size_t rows, double* out) const override {
    const size_t k = labels_.size();
    const auto p = static_cast<size_t>(n_features_);
    std::fill(out, out + rows * k, 0.0);
    for (const TreePtr& t : trees_) {
      for (size_t r = 0; r < rows; ++r) {
        double* o = out + r * k;
        const double* v = t->Value(t->Leaf(x + r * p), 0);
        double s = 0.0;
        for (size_t c = 0; c < k; ++c) {
          s += v[c];
        }
        if (s == 0.0) {
          s = 1.0;
        }
        for (size_t c = 0; c < k; ++c) {
          o[c] += v[c] / s;
        }
      }
    }
    if (trees_.size() > 1) {
      for (size_t i = 0; i < rows * k; ++i) {
        out[i] /= static_cast<double>(trees_.size());
      }
    }
    return OkStatus();
  }
};

class TreeRegressor : public Regressor {
 public:
  std::string name() const override { return name_; }
  size_t contribution_outputs() const override {
    return explainer_->refusal().empty() ? explainer_->outputs() : 0;
  }
  Status Contributions(const double* x, size_t rows, double* out) const override {
    explainer_->Explain(x, rows, out);
    return OkStatus();
  }
  std::string contributions_refusal() const override { return explainer_->refusal(); }

  std::vector<TreePtr> trees_;
  std::unique_ptr<TreeSumExplainer> explainer_;
  std::string name_;

 protected:
  // Tree-major, as TreeClassifier::Proba.
  Status Values(const double* x, size_t rows, double* out) const override {
    const auto p = static_cast<size_t>(n_features_);
    std::fill(out, out + rows * n_outputs_, 0.0);
    for (const TreePtr& t : trees_) {
      for (size_t r = 0; r < rows; ++r) {
        const int64_t leaf = t->Leaf(x + r * p);
        for (size_t o = 0; o < n_outputs_; ++o) {
          out[r * n_outputs_ + o] += t->Value(leaf, o)[0];
        }
      }
    }
    if (trees_.size() > 1) {
      for (size_t i = 0; i < rows * n_outputs_; ++i) {
        out[i] /= trees_.size();
      }
    }
    return OkStatus();
  }
};

StatusOr<PredictorPtr> MakeTreeEnsemble(const Attrs& a, BuildContext& ctx) {
  ASSIGN_OR_RETURN(auto trees, LoadTrees(a, ctx));
  const bool classifier = a.cls().find("Classifier") != std::string::npos;
  if (classifier) {
    auto m = std::make_unique<TreeClassifier>();
    m->name_ = a.cls();
    RETURN_IF_ERROR(CheckFeatures(a, trees, &m->n_features_));
    ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
    for (const TreePtr& t : trees) {
      if (t->n_outputs() != 1) {
        return UnimplementedError(a.cls() + ": multi-output classification is not supported");
      }
      if (t->max_classes() != m->labels_.size()) {
        return a.Error("tree_", "disagrees with classes_");
      }
    }
    m->trees_ = std::move(trees);
    m->explainer_ = MakeExplainer(m->trees_, TreeSumExplainer::Leaf::kClassProba, m->labels_.size(),
                                  m->n_features_);
    m->has_proba_ = true;
    return PredictorPtr(std::move(m));
  }
  auto m = std::make_unique<TreeRegressor>();
  m->name_ = a.cls();
  RETURN_IF_ERROR(CheckFeatures(a, trees, &m->n_features_));
  m->n_outputs_ = trees[0]->n_outputs();
  for (const TreePtr& t : trees) {
    if (t->n_outputs() != m->n_outputs_) {
      return a.Error("estimators_", "disagree on n_outputs");
    }
  }
  m->output_2d_ = m->n_outputs_ > 1;
  m->trees_ = std::move(trees);
  m->explainer_ =
      MakeExplainer(m->trees_, TreeSumExplainer::Leaf::kValues, m->n_outputs_, m->n_features_);
  return PredictorPtr(std::move(m));
}

}  // namespace

StatusOr<PredictorPtr> MakeDecisionTree(const Attrs& a, BuildContext& ctx) {
  return MakeTreeEnsemble(a, ctx);
}

StatusOr<PredictorPtr> MakeForest(const Attrs& a, BuildContext& ctx) {
  return MakeTreeEnsemble(a, ctx);
}

}  // namespace ferry::sklearn
