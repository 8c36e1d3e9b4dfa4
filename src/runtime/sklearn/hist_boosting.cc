// HistGradientBoosting{Classifier,Regressor}: raw = baseline + Σ leaf values
// (learning rate already folded into the leaves), on float64 X. NaN follows
// missing_go_to_left; categorical splits test the raw category against the
// node's left bitset, then against the feature's known categories — unknown
// or negative categories are routed like missing values.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "runtime/sklearn/math.h"
#include "runtime/sklearn/registry.h"
#include "runtime/tree_shap.h"

namespace ferry::sklearn {
namespace {

enum class HgbLink { kIdentity, kExp, kBinomial, kMultinomial };

struct HgbNode {
  double value;
  double count;  // training samples that reached the node: TreeSHAP's cover
  double share;  // count / the parent's count (0 when that is 0); 1 for the root
  double threshold;
  uint32_t feature;
  uint32_t left;
  uint32_t right;
  uint32_t bitset;
  bool missing_left;
  bool leaf;
  bool categorical;
};

struct HgbTree {
  std::vector<HgbNode> nodes;
  std::vector<uint32_t> left_bitsets;  // n_splits x 8

  double Predict(const double* x, const std::vector<std::vector<uint32_t>>& known) const {
    uint32_t i = 0;
    while (!nodes[i].leaf) {
      i = GoesLeft(i, x, known) ? nodes[i].left : nodes[i].right;
    }
    return nodes[i].value;
  }

  bool GoesLeft(uint32_t i, const double* x,
                const std::vector<std::vector<uint32_t>>& known) const {
    const HgbNode& n = nodes[i];
    const double v = x[n.feature];
    if (std::isnan(v)) {
      return n.missing_left;
    }
    if (!n.categorical) {
      return v <= n.threshold;
    }
    const bool in_range = v >= 0 && v < 256;
    const auto c = in_range ? static_cast<uint32_t>(v) : 0u;
    if (in_range && (left_bitsets[n.bitset * 8 + c / 32] >> (c % 32)) & 1) {
      return true;
    }
    if (in_range && !known[n.feature].empty() && (known[n.feature][c / 32] >> (c % 32)) & 1) {
      return false;
    }
    return n.missing_left;
  }

  int32_t max_depth = 0;
};

// One HGB tree as runtime::AddTreeShap sees it.
struct HgbShapView {
  const HgbTree& t;
  const std::vector<std::vector<uint32_t>>& known;

  bool IsLeaf(int64_t n) const { return t.nodes[n].leaf; }
  int64_t Left(int64_t n) const { return t.nodes[n].left; }
  int64_t Right(int64_t n) const { return t.nodes[n].right; }
  int64_t Feature(int64_t n) const { return t.nodes[n].feature; }
  double CoverShare(int64_t n) const { return t.nodes[n].share; }
  bool GoesLeft(int64_t n, const double* x) const {
    return t.GoesLeft(static_cast<uint32_t>(n), x, known);
  }
  const double* LeafValues(int64_t n) const { return &t.nodes[n].value; }
};

class HistGradientBoosting : public Classifier {
 public:
  std::string name() const override { return name_; }

  // Explained output: the raw score (decision_function), the baseline in the bias.
  size_t contribution_outputs() const override { return shap_refusal_.empty() ? k_ : 0; }
  std::string contributions_refusal() const override { return shap_refusal_; }
  Status Contributions(const double* x, size_t rows, double* out) const override {
    thread_local runtime::ShapScratch scratch;
    scratch.Reserve(max_depth_, n_features_, 1);
    const auto p = static_cast<size_t>(n_features_);
    const size_t stride = p + 1;
    std::fill(out, out + rows * k_ * stride, 0.0);
    for (size_t r = 0; r < rows; ++r) {
      double* phi = out + r * k_ * stride;
      for (size_t i = 0; i < trees_.size(); ++i) {
        runtime::AddTreeShap(HgbShapView{trees_[i], known_}, x + r * p, 1, stride, 1.0, scratch,
                             phi + (i % k_) * stride);
      }
      for (size_t j = 0; j < k_; ++j) phi[j * stride + p] = shap_bias_[j];
    }
    return OkStatus();
  }

  // The bias (baseline + each tree's cover-weighted mean) and whether every
  // tree is shallow enough to explain.
  void PrepareContributions() {
    shap_bias_ = baseline_;
    for (size_t i = 0; i < trees_.size(); ++i) {
      max_depth_ = std::max(max_depth_, trees_[i].max_depth);
      runtime::AddTreeExpectation(HgbShapView{trees_[i], known_}, 1, 1.0, &shap_bias_[i % k_]);
    }
    if (max_depth_ > runtime::kMaxShapDepth) {
      shap_refusal_ = "a tree is " + std::to_string(max_depth_) +
                      " levels deep; Ferry explains trees up to " +
                      std::to_string(runtime::kMaxShapDepth) + " levels";
    }
  }

  void Raw(const double* x, size_t rows, double* raw) const {
    const auto p = static_cast<size_t>(n_features_);
    for (size_t r = 0; r < rows; ++r) {
      double* o = raw + r * k_;
      for (size_t j = 0; j < k_; ++j) {
        o[j] = baseline_[j];
      }
      for (size_t it = 0; it < trees_.size() / k_; ++it) {
        for (size_t j = 0; j < k_; ++j) {
          o[j] += trees_[it * k_ + j].Predict(x + r * p, known_);
        }
      }
    }
  }

  std::vector<HgbTree> trees_;  // iterations x k_
  std::vector<double> baseline_;
  std::vector<double> shap_bias_;  // k_
  int32_t max_depth_ = 0;
  std::string shap_refusal_;
  std::vector<std::vector<uint32_t>> known_;  // per feature: 8-word bitset, empty if numeric
  size_t k_ = 1;
  HgbLink link_ = HgbLink::kIdentity;
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
      if (link_ == HgbLink::kMultinomial) {
        for (size_t j = 0; j < k_; ++j) {
          o[j] = raw[r * k_ + j];
        }
        SoftmaxInPlace(o, n);
      } else {
        o[1] = Expit(raw[r]);
        o[0] = 1.0 - o[1];
      }
    }
    return OkStatus();
  }
  Status PredictIndex(const double* x, size_t rows, int32_t* out) const override {
    const size_t n = labels_.size();
    std::vector<double> p(rows * n);
    RETURN_IF_ERROR(Proba(x, rows, p.data()));
    for (size_t r = 0; r < rows; ++r) {
      out[r] = ArgMax(&p[r * n], n);
    }
    return OkStatus();
  }
};

class HistGradientBoostingRegressor : public Regressor {
 public:
  std::string name() const override { return hgb_.name_; }
  // Explained output: the raw prediction (log of predict for the Poisson,
  // Gamma and Tweedie losses).
  size_t contribution_outputs() const override { return hgb_.contribution_outputs(); }
  Status Contributions(const double* x, size_t rows, double* out) const override {
    return hgb_.Contributions(x, rows, out);
  }
  std::string contributions_refusal() const override { return hgb_.contributions_refusal(); }
  HistGradientBoosting hgb_;

 protected:
  Status Values(const double* x, size_t rows, double* out) const override {
    hgb_.Raw(x, rows, out);
    if (hgb_.link_ == HgbLink::kExp) {
      for (size_t r = 0; r < rows; ++r) {
        out[r] = std::exp(out[r]);
      }
    }
    return OkStatus();
  }
};

StatusOr<HgbTree> LoadPredictor(const Attrs& a, const pickle::Value* v, int64_t n_features,
                                BuildContext& ctx) {
  if (v == nullptr || v->kind != pickle::Kind::kObject) {
    return a.Error("_predictors", "holds a non-predictor");
  }
  const pickle::Value* nodes = v->Get("nodes");
  if (nodes == nullptr || !nodes->array) {
    return a.Error("_predictors", "has no nodes array");
  }
  const pickle::NDArray& na = *nodes->array;
  ASSIGN_OR_RETURN(auto value, pickle::FieldToDoubles(na, "value"));
  ASSIGN_OR_RETURN(auto count, pickle::FieldToDoubles(na, "count"));
  ASSIGN_OR_RETURN(auto thr, pickle::FieldToDoubles(na, "num_threshold"));
  ASSIGN_OR_RETURN(auto feat, pickle::FieldToInt64s(na, "feature_idx"));
  ASSIGN_OR_RETURN(auto left, pickle::FieldToInt64s(na, "left"));
  ASSIGN_OR_RETURN(auto right, pickle::FieldToInt64s(na, "right"));
  ASSIGN_OR_RETURN(auto miss, pickle::FieldToInt64s(na, "missing_go_to_left"));
  ASSIGN_OR_RETURN(auto leaf, pickle::FieldToInt64s(na, "is_leaf"));
  std::vector<int64_t> cat(value.size(), 0), bitset(value.size(), 0);
  if (na.dtype.FindField("is_categorical") != nullptr) {
    ASSIGN_OR_RETURN(cat, pickle::FieldToInt64s(na, "is_categorical"));
    ASSIGN_OR_RETURN(bitset, pickle::FieldToInt64s(na, "bitset_idx"));
  }
  RETURN_IF_ERROR(ctx.Charge(static_cast<int64_t>(value.size()) * 9));
  HgbTree t;
  const pickle::Value* bits = v->Get("raw_left_cat_bitsets");
  if (bits != nullptr && bits->array && bits->array->size() > 0) {
    ASSIGN_OR_RETURN(auto b, pickle::ToInt64s(*bits->array));
    for (int64_t w : b) {
      t.left_bitsets.push_back(static_cast<uint32_t>(w));
    }
  }
  const auto n = static_cast<int64_t>(value.size());
  if (n == 0) {
    return a.Error("_predictors", "has an empty tree");
  }
  const auto n_bitsets = static_cast<int64_t>(t.left_bitsets.size() / 8);
  std::vector<int32_t> depth(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    HgbNode node{value[i],
                 count[i],
                 1.0,
                 thr[i],
                 static_cast<uint32_t>(feat[i]),
                 static_cast<uint32_t>(left[i]),
                 static_cast<uint32_t>(right[i]),
                 static_cast<uint32_t>(bitset[i]),
                 miss[i] != 0,
                 leaf[i] != 0,
                 cat[i] != 0};
    // Children come after their parent in sklearn's layout; checking keeps traversal finite.
    if (!node.leaf &&
        (left[i] <= i || left[i] >= n || right[i] <= i || right[i] >= n || feat[i] < 0 ||
         feat[i] >= n_features || (node.categorical && bitset[i] >= n_bitsets))) {
      return a.Error("_predictors", "has an invalid node " + std::to_string(i));
    }
    if (!node.leaf) {  // children come after their parent, so its depth is known
      depth[left[i]] = depth[i] + 1;
      depth[right[i]] = depth[i] + 1;
    }
    t.max_depth = std::max(t.max_depth, depth[i]);
    t.nodes.push_back(node);
  }
  for (const HgbNode& node : t.nodes) {
    if (node.leaf) continue;
    for (uint32_t child : {node.left, node.right}) {
      t.nodes[child].share = node.count > 0 ? t.nodes[child].count / node.count : 0.0;
    }
  }
  return t;
}

Status LoadKnownCategories(const Attrs& a, HistGradientBoosting& m) {
  m.known_.assign(m.n_features_, {});
  const pickle::Value* bm = a.Get("_bin_mapper");
  if (bm == nullptr || bm->kind != pickle::Kind::kObject) {
    return OkStatus();
  }
  auto is_cat = ToArray(bm->Get("is_categorical_"));
  if (!is_cat.ok()) {
    return OkStatus();
  }
  // sklearn 1.2 builds known categories from bin_thresholds_ of categorical features.
  const pickle::Value* thresholds = bm->Get("bin_thresholds_");
  if (thresholds == nullptr || !thresholds->is_sequence()) {
    thresholds = bm->Get("known_categories");
  }
  for (size_t f = 0; f < is_cat->v.size() && f < m.known_.size(); ++f) {
    if (is_cat->v[f] == 0) {
      continue;
    }
    if (thresholds == nullptr || !thresholds->is_sequence() || f >= thresholds->items.size()) {
      return a.Error("_bin_mapper", "has no known categories for a categorical feature");
    }
    ASSIGN_OR_RETURN(Array cats, ToArray(thresholds->items[f]));
    m.known_[f].assign(8, 0);
    for (double c : cats.v) {
      if (c >= 0 && c < 256) {
        m.known_[f][static_cast<uint32_t>(c) / 32] |= 1u << (static_cast<uint32_t>(c) % 32);
      }
    }
  }
  return OkStatus();
}

Status LoadHgb(const Attrs& a, HistGradientBoosting& m, BuildContext& ctx) {
  m.name_ = a.cls();
  ASSIGN_OR_RETURN(m.n_features_, a.Int("n_features_in_"));
  ASSIGN_OR_RETURN(Array base, a.Numbers("_baseline_prediction"));
  m.baseline_ = base.v;
  m.k_ = base.v.size();
  const pickle::Value* loss = a.Get("_loss");
  if (loss == nullptr || loss->kind != pickle::Kind::kObject) {
    return a.Error("_loss", "is missing");
  }
  const std::string& ln = loss->object->name;
  if (ln == "HalfBinomialLoss") {
    m.link_ = HgbLink::kBinomial;
  } else if (ln == "HalfMultinomialLoss") {
    m.link_ = HgbLink::kMultinomial;
  } else if (ln == "HalfPoissonLoss" || ln == "HalfGammaLoss" || ln == "HalfTweedieLoss") {
    m.link_ = HgbLink::kExp;
  } else if (ln == "HalfSquaredError" || ln == "AbsoluteError" || ln == "PinballLoss" ||
             ln == "HuberLoss") {
    m.link_ = HgbLink::kIdentity;
  } else {
    return UnimplementedError(a.cls() + " with loss " + ln + " is not supported");
  }
  ASSIGN_OR_RETURN(const pickle::Value* preds, a.Require("_predictors"));
  if (!preds->is_sequence()) {
    return a.Error("_predictors", "is not a list");
  }
  for (const pickle::Value* it : preds->items) {
    if (it == nullptr || !it->is_sequence() || it->items.size() != m.k_) {
      return a.Error("_predictors", "iterations do not have one tree per baseline value");
    }
    for (const pickle::Value* p : it->items) {
      ASSIGN_OR_RETURN(HgbTree t, LoadPredictor(a, p, m.n_features_, ctx));
      m.trees_.push_back(std::move(t));
    }
  }
  RETURN_IF_ERROR(LoadKnownCategories(a, m));
  m.PrepareContributions();
  return OkStatus();
}

}  // namespace

StatusOr<PredictorPtr> MakeHistGradientBoosting(const Attrs& a, BuildContext& ctx) {
  if (a.Has("_preprocessor")) {
    return UnimplementedError(a.cls() +
                              " with categorical_features='from_dtype' preprocessing "
                              "(scikit-learn >= 1.4) is not supported");
  }
  if (a.cls() == "HistGradientBoostingRegressor") {
    auto r = std::make_unique<HistGradientBoostingRegressor>();
    RETURN_IF_ERROR(LoadHgb(a, r->hgb_, ctx));
    if (r->hgb_.k_ != 1 || r->hgb_.link_ == HgbLink::kBinomial ||
        r->hgb_.link_ == HgbLink::kMultinomial) {
      return a.Error("_loss", "is not a regression loss");
    }
    r->n_features_ = r->hgb_.n_features_;
    return PredictorPtr(std::move(r));
  }
  auto m = std::make_unique<HistGradientBoosting>();
  RETURN_IF_ERROR(LoadHgb(a, *m, ctx));
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const size_t n = m->labels_.size();
  const bool ok = (n == 2 && m->k_ == 1 && m->link_ == HgbLink::kBinomial) ||
                  (n > 2 && m->k_ == n && m->link_ == HgbLink::kMultinomial);
  if (!ok) {
    return a.Error("_baseline_prediction", "does not match classes_ and the loss");
  }
  m->has_proba_ = true;
  m->has_log_proba_ = false;  // as in sklearn 1.2
  m->has_decision_ = true;
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
