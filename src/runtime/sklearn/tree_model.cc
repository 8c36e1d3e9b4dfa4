#include "runtime/sklearn/tree_model.h"

#include <algorithm>

#include "runtime/sklearn/attrs.h"

namespace ferry::sklearn {

StatusOr<std::shared_ptr<const TreeModel>> TreeModel::Shared(const pickle::Value* tree,
                                                             const std::string& who,
                                                             BuildContext& ctx) {
  auto it = ctx.trees.find(tree);
  if (it != ctx.trees.end()) {
    return it->second;
  }
  ASSIGN_OR_RETURN(TreeModel t, Load(tree, who));
  RETURN_IF_ERROR(ctx.Charge(static_cast<int64_t>(t.nodes_.size() * 7 + t.values_.size())));
  auto shared = std::make_shared<const TreeModel>(std::move(t));
  ctx.trees.emplace(tree, shared);
  return shared;
}

StatusOr<TreeModel> TreeModel::Load(const pickle::Value* tree, const std::string& who) {
  if (tree == nullptr || !tree->IsObjectOf("sklearn.tree._tree", "Tree")) {
    return InvalidArgumentError(who + ".tree_ is missing or not a sklearn.tree._tree.Tree");
  }
  auto err = [&](const std::string& what) {
    return InvalidArgumentError(who + ".tree_ " + what + "; the model file looks damaged");
  };
  const pickle::Value* args = tree->object->args;
  if (args == nullptr || args->items.size() < 3 || args->items[0]->kind != pickle::Kind::kInt ||
      args->items[2]->kind != pickle::Kind::kInt) {
    return err("has no (n_features, n_classes, n_outputs) arguments");
  }
  TreeModel t;
  t.n_features_ = args->items[0]->i;
  const pickle::Value* nodes = tree->Get("nodes");
  const pickle::Value* values = tree->Get("values");
  if (nodes == nullptr || !nodes->array || values == nullptr || !values->array) {
    return err("has no nodes/values arrays");
  }
  const pickle::NDArray& na = *nodes->array;
  ASSIGN_OR_RETURN(auto left, pickle::FieldToInt64s(na, "left_child"));
  ASSIGN_OR_RETURN(auto right, pickle::FieldToInt64s(na, "right_child"));
  ASSIGN_OR_RETURN(auto feature, pickle::FieldToInt64s(na, "feature"));
  ASSIGN_OR_RETURN(auto threshold, pickle::FieldToDoubles(na, "threshold"));
  if (na.dtype.FindField("n_node_samples") != nullptr) {
    ASSIGN_OR_RETURN(t.node_samples_, pickle::FieldToDoubles(na, "n_node_samples"));
  }
  if (na.dtype.FindField("weighted_n_node_samples") != nullptr) {
    ASSIGN_OR_RETURN(t.cover_, pickle::FieldToDoubles(na, "weighted_n_node_samples"));
  } else {
    t.cover_ = t.node_samples_;
  }
  std::vector<int64_t> missing;
  if (na.dtype.FindField("missing_go_to_left") != nullptr) {
    ASSIGN_OR_RETURN(missing, pickle::FieldToInt64s(na, "missing_go_to_left"));
  }
  const int64_t n = static_cast<int64_t>(left.size());
  if (n == 0) {
    return err("has no nodes");
  }
  const pickle::NDArray& va = *values->array;
  if (va.shape.size() != 3 || va.shape[0] != n) {
    return err("values shape does not match nodes");
  }
  t.n_outputs_ = va.shape[1];
  t.max_classes_ = va.shape[2];
  if (t.n_outputs_ == 0 || t.max_classes_ == 0) {
    return err("values are empty");
  }
  ASSIGN_OR_RETURN(t.values_, pickle::ToDoubles(va));
  t.nodes_.resize(n);
  t.depth_.assign(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    Node& node = t.nodes_[i];
    node.left = left[i] < 0 ? -1 : left[i];
    node.right = right[i];
    node.feature = feature[i];
    node.threshold = threshold[i];
    node.missing_left = missing.empty() ? -1 : static_cast<int8_t>(missing[i] != 0);
    // sklearn numbers children after their parent; checking that keeps traversal finite.
    if (node.left >= 0 && (node.left <= i || node.left >= n || node.right <= i || node.right >= n ||
                           node.feature < 0 || node.feature >= t.n_features_)) {
      return err("has an invalid node " + std::to_string(i));
    }
    if (node.left >= 0) {  // children come after their parent, so its depth is known
      t.depth_[node.left] = t.depth_[i] + 1;
      t.depth_[node.right] = t.depth_[i] + 1;
    }
    t.max_depth_ = std::max(t.max_depth_, t.depth_[i]);
  }
  return t;
}

}  // namespace ferry::sklearn
