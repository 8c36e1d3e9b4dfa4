#include "runtime/xgboost/xgboost_explain.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>

#include "runtime/tree_shap.h"

namespace ferry::xgboost {
namespace {

using Json = nlohmann::json;

const Json* Find(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// learner_model_param values are decimal strings ("5E-1").
double NumberParam(const Json& j, std::initializer_list<const char*> path, double fallback) {
  const Json* v = Find(j, path);
  if (v == nullptr) return fallback;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) return std::strtod(v->get<std::string>().c_str(), nullptr);
  return fallback;
}

// libxgboost writes NaN (categorical splits keep no threshold) and
// ±Infinity as bare tokens, which JSON lacks: outside strings, NaN becomes
// null and Infinity 1e308 (float32 infinity once cast, as thresholds are).
std::string NormalizeNonFinite(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (text.compare(i, 3, "NaN") == 0) {
      out += "null";
      i += 2;
      continue;
    } else if (text.compare(i, 8, "Infinity") == 0) {
      out += "1e308";
      i += 7;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

Status Damaged(const std::string& what) {
  return InvalidArgumentError("the XGBoost model's JSON " + what +
                              "; re-save the model with xgboost 1.7 (Booster.save_model)");
}

// base_score in margin space, as XGBoost's objectives convert it
// (ObjFunction::ProbToMargin); nullopt for objectives not listed here.
std::optional<double> BaseMargin(const std::string& objective, float base_score) {
  const double b = base_score;
  if (objective == "binary:logistic" || objective == "reg:logistic" ||
      objective == "binary:logitraw") {
    return -std::log(1.0 / b - 1.0);
  }
  if (objective == "count:poisson" || objective == "reg:gamma" || objective == "reg:tweedie" ||
      objective == "survival:cox" || objective == "survival:aft") {
    return std::log(b);
  }
  if (objective == "reg:squarederror" || objective == "reg:linear" ||
      objective == "reg:squaredlogerror" || objective == "reg:pseudohubererror" ||
      objective == "reg:absoluteerror" || objective == "multi:softmax" ||
      objective == "multi:softprob" || objective == "binary:hinge" ||
      objective.rfind("rank:", 0) == 0) {
    return b;
  }
  return std::nullopt;
}

template <typename T>
StatusOr<std::vector<T>> Array(const Json& tree, const char* key, size_t n) {
  const Json* a = Find(tree, {key});
  if (a == nullptr || !a->is_array() || a->size() != n) {
    return Damaged(std::string("has a tree whose ") + key + " is missing or of the wrong length");
  }
  std::vector<T> out;
  out.reserve(n);
  for (const Json& v : *a) {
    if (v.is_null() && std::is_floating_point_v<T>) {
      out.push_back(std::numeric_limits<T>::quiet_NaN());  // NaN in the model file
    } else if (v.is_boolean()) {
      out.push_back(static_cast<T>(v.get<bool>()));
    } else if (v.is_number()) {
      out.push_back(v.get<T>());
    } else {
      return Damaged(std::string("has a non-number in a tree's ") + key);
    }
  }
  return out;
}

// One tree; checks that every node is reached once from the root (so walks
// end) and that no split is categorical.
Status ParseTree(const Json& j, int64_t n_features, XgboostExplainer::Tree* tree) {
  const Json* left_json = Find(j, {"left_children"});
  if (left_json == nullptr || !left_json->is_array() || left_json->empty()) {
    return Damaged("has a tree without nodes");
  }
  const size_t n = left_json->size();
  ASSIGN_OR_RETURN(auto left, Array<int64_t>(j, "left_children", n));
  ASSIGN_OR_RETURN(auto right, Array<int64_t>(j, "right_children", n));
  ASSIGN_OR_RETURN(auto feature, Array<int64_t>(j, "split_indices", n));
  ASSIGN_OR_RETURN(auto split, Array<double>(j, "split_conditions", n));
  ASSIGN_OR_RETURN(auto default_left, Array<int64_t>(j, "default_left", n));
  ASSIGN_OR_RETURN(auto cover, Array<double>(j, "sum_hessian", n));
  if (const Json* types = Find(j, {"split_type"}); types != nullptr && types->is_array()) {
    for (const Json& t : *types) {
      if (t.is_number() && t.get<int64_t>() != 0) {
        return FailedPreconditionError(
            "its trees use categorical splits, which Ferry's TreeSHAP does not follow");
      }
    }
  }
  // Nodes no walk reaches (pruned) stay leaves.
  tree->nodes.assign(n, XgboostExplainer::Node{-1, -1, 0, 0.0f, false, 0.0, 0.0, 0.0});
  std::vector<int32_t> depth(n, -1);
  std::vector<size_t> stack{0};
  depth[0] = 0;
  while (!stack.empty()) {
    const size_t i = stack.back();
    stack.pop_back();
    XgboostExplainer::Node& node = tree->nodes[i];
    node.left = -1;
    node.right = -1;
    node.feature = 0;
    node.split = static_cast<float>(split[i]);
    node.default_left = default_left[i] != 0;
    node.cover = cover[i];
    node.share = 1.0;
    node.value = static_cast<float>(split[i]);
    tree->max_depth = std::max(tree->max_depth, depth[i]);
    if (left[i] == -1) continue;
    if (left[i] < 0 || right[i] < 0 || static_cast<size_t>(left[i]) >= n ||
        static_cast<size_t>(right[i]) >= n || depth[left[i]] >= 0 || depth[right[i]] >= 0 ||
        left[i] == right[i] || feature[i] < 0 || feature[i] >= n_features) {
      return Damaged("has a tree with an invalid node " + std::to_string(i));
    }
    node.left = static_cast<int32_t>(left[i]);
    node.right = static_cast<int32_t>(right[i]);
    node.feature = static_cast<int32_t>(feature[i]);
    depth[left[i]] = depth[right[i]] = depth[i] + 1;
    stack.push_back(static_cast<size_t>(left[i]));
    stack.push_back(static_cast<size_t>(right[i]));
  }
  for (XgboostExplainer::Node& node : tree->nodes) {
    if (node.left < 0) continue;
    for (int32_t child : {node.left, node.right}) {
      tree->nodes[child].share = node.cover > 0 ? tree->nodes[child].cover / node.cover : 0.0;
    }
  }
  if (tree->max_depth > runtime::kMaxShapDepth) {
    return FailedPreconditionError("a tree is " + std::to_string(tree->max_depth) +
                                   " levels deep; Ferry explains trees up to " +
                                   std::to_string(runtime::kMaxShapDepth) + " levels");
  }
  return OkStatus();
}

}  // namespace

// A tree as runtime::AddTreeShap sees it: XGBoost's rule, float32 `x < split`,
// missing values to the default child.
struct XgboostExplainer::TreeView {
  const XgboostExplainer& e;
  const Tree& t;

  bool IsLeaf(int64_t n) const { return t.nodes[n].left < 0; }
  int64_t Left(int64_t n) const { return t.nodes[n].left; }
  int64_t Right(int64_t n) const { return t.nodes[n].right; }
  int64_t Feature(int64_t n) const { return t.nodes[n].feature; }
  double CoverShare(int64_t n) const { return t.nodes[n].share; }
  bool GoesLeft(int64_t n, const double* x) const {
    const Node& node = t.nodes[n];
    const double v = x[node.feature];
    if (e.Missing(v)) return node.default_left;
    return static_cast<float>(v) < node.split;
  }
  const double* LeafValues(int64_t n) const { return &t.nodes[n].value; }
};

bool XgboostExplainer::Missing(double v) const {
  return std::isnan(v) ||
         (!missing_is_nan_ && static_cast<float>(v) == static_cast<float>(missing_));
}

StatusOr<XgboostExplainer> XgboostExplainer::Parse(const std::string& model_json,
                                                   int64_t iteration_end, double missing) {
  const Json root =
      Json::parse(NormalizeNonFinite(model_json), nullptr, /*allow_exceptions=*/false);
  const Json* learner = Find(root, {"learner"});
  if (learner == nullptr) return Damaged("has no learner");
  XgboostExplainer e;
  e.missing_ = missing;
  e.missing_is_nan_ = std::isnan(missing);
  e.n_features_ =
      static_cast<int64_t>(NumberParam(*learner, {"learner_model_param", "num_feature"}, 0));
  const auto num_class =
      static_cast<size_t>(NumberParam(*learner, {"learner_model_param", "num_class"}, 0));
  const auto num_target =
      static_cast<size_t>(NumberParam(*learner, {"learner_model_param", "num_target"}, 1));
  e.groups_ = std::max<size_t>({1, num_class, num_target});
  const Json* objective = Find(*learner, {"objective", "name"});
  const std::string obj =
      objective != nullptr && objective->is_string() ? objective->get<std::string>() : "";
  const auto base_score =
      static_cast<float>(NumberParam(*learner, {"learner_model_param", "base_score"}, 0.5));
  const std::optional<double> base = BaseMargin(obj, base_score);
  if (!base.has_value()) {
    return FailedPreconditionError("Ferry does not know how objective " + obj +
                                   " turns base_score into a margin");
  }
  e.base_margin_ = *base;
  e.bias_.assign(e.groups_, e.base_margin_);

  const Json* gb = Find(*learner, {"gradient_booster"});
  const Json* gb_name = gb != nullptr ? Find(*gb, {"name"}) : nullptr;
  const std::string booster =
      gb_name != nullptr && gb_name->is_string() ? gb_name->get<std::string>() : "";
  if (booster == "gblinear") {
    const Json* weights = Find(*gb, {"model", "weights"});
    const size_t want = (static_cast<size_t>(e.n_features_) + 1) * e.groups_;
    if (weights == nullptr || !weights->is_array() || weights->size() != want) {
      return Damaged("has gblinear weights of the wrong length");
    }
    for (const Json& w : *weights) {
      if (!w.is_number()) return Damaged("has a non-number gblinear weight");
      e.linear_.push_back(static_cast<float>(w.get<double>()));
    }
    e.linear_model_ = true;
    for (size_t g = 0; g < e.groups_; ++g) {
      e.bias_[g] += e.linear_[static_cast<size_t>(e.n_features_) * e.groups_ + g];
    }
    return e;
  }
  if (booster != "gbtree" && booster != "dart") {
    return FailedPreconditionError("its booster is '" + booster +
                                   "'; Ferry explains gbtree, dart and gblinear");
  }
  const Json* model = booster == "dart" ? Find(*gb, {"gbtree", "model"}) : Find(*gb, {"model"});
  const Json* trees = model != nullptr ? Find(*model, {"trees"}) : nullptr;
  const Json* info = model != nullptr ? Find(*model, {"tree_info"}) : nullptr;
  if (trees == nullptr || info == nullptr || !trees->is_array() || !info->is_array() ||
      trees->size() != info->size()) {
    return Damaged("has no trees or tree_info");
  }
  const Json* weights = booster == "dart" ? Find(*gb, {"weight_drop"}) : nullptr;
  if (booster == "dart" &&
      (weights == nullptr || !weights->is_array() || weights->size() != trees->size())) {
    return Damaged("has a dart booster without one weight_drop per tree");
  }
  const auto parallel = static_cast<size_t>(
      std::max(1.0, NumberParam(*model, {"gbtree_model_param", "num_parallel_tree"}, 1)));
  size_t n_trees = trees->size();
  if (iteration_end > 0) {
    n_trees = std::min(n_trees, static_cast<size_t>(iteration_end) * parallel * e.groups_);
  }
  for (size_t i = 0; i < n_trees; ++i) {
    Tree t;
    const Json& group = (*info)[i];
    if (!group.is_number_integer() || group.get<int64_t>() < 0 ||
        static_cast<size_t>(group.get<int64_t>()) >= e.groups_) {
      return Damaged("has a tree_info entry outside the output groups");
    }
    t.group = static_cast<size_t>(group.get<int64_t>());
    if (weights != nullptr) {
      if (!(*weights)[i].is_number()) return Damaged("has a non-number weight_drop");
      t.weight = static_cast<float>((*weights)[i].get<double>());
    }
    RETURN_IF_ERROR(ParseTree((*trees)[i], e.n_features_, &t));
    e.max_depth_ = std::max(e.max_depth_, t.max_depth);
    e.trees_.push_back(std::move(t));
  }
  for (const Tree& t : e.trees_) {
    runtime::AddTreeExpectation(TreeView{e, t}, 1, t.weight, &e.bias_[t.group]);
  }
  return e;
}

void XgboostExplainer::Explain(const double* x, size_t rows, double* out) const {
  const auto p = static_cast<size_t>(n_features_);
  const size_t stride = p + 1;
  std::fill(out, out + rows * groups_ * stride, 0.0);
  thread_local runtime::ShapScratch scratch;
  scratch.Reserve(max_depth_, n_features_, 1);
  for (size_t r = 0; r < rows; ++r) {
    const double* xr = x + r * p;
    double* phi = out + r * groups_ * stride;
    if (linear_model_) {
      // As gblinear's pred_contribs: w_f * x_f, zero for a missing value.
      for (size_t g = 0; g < groups_; ++g) {
        for (size_t f = 0; f < p; ++f) {
          phi[g * stride + f] = Missing(xr[f]) ? 0.0 : linear_[f * groups_ + g] * xr[f];
        }
      }
    }
    for (const Tree& t : trees_) {
      runtime::AddTreeShap(TreeView{*this, t}, xr, 1, stride, t.weight, scratch,
                           phi + t.group * stride);
    }
    for (size_t g = 0; g < groups_; ++g) phi[g * stride + p] = bias_[g];
  }
}

double XgboostExplainer::Margin(const double* x, size_t group, double* magnitude) const {
  double sum = base_margin_;
  double size = std::abs(base_margin_);
  auto add = [&](double v) {
    sum += v;
    size += std::abs(v);
  };
  if (linear_model_) {
    const auto p = static_cast<size_t>(n_features_);
    add(linear_[p * groups_ + group]);
    for (size_t f = 0; f < p; ++f) {
      if (!Missing(x[f])) add(linear_[f * groups_ + group] * x[f]);
    }
  }
  for (const Tree& t : trees_) {
    if (t.group != group) continue;
    const TreeView view{*this, t};
    int64_t n = 0;
    while (!view.IsLeaf(n)) n = view.GoesLeft(n, x) ? view.Left(n) : view.Right(n);
    add(t.weight * t.nodes[n].value);
  }
  if (magnitude != nullptr) *magnitude = size;
  return sum;
}

}  // namespace ferry::xgboost
