// FeatureUnion: every member transforms the same input; outputs are stacked
// side by side, each multiplied by its transformer_weights entry when given.
// "drop" members are skipped, "passthrough" members copy the input.
#include "runtime/sklearn/frame_ops.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

using pickle::Value;

class FeatureUnion : public Transformer {
 public:
  struct Part {
    std::string name;
    TransformerPtr transformer;  // null = passthrough
    double weight = 1.0;
    bool weighted = false;
  };

  Status Transform(const Frame& in, Frame* out) const override {
    if (n_ >= 0 && static_cast<int64_t>(in.cols) != n_) {
      return InvalidArgumentError("FeatureUnion expects " + std::to_string(n_) +
                                  " features per row but the input has " + std::to_string(in.cols));
    }
    std::vector<Frame> outs(parts_.size());
    for (size_t i = 0; i < parts_.size(); ++i) {
      const Part& p = parts_[i];
      if (p.transformer == nullptr) {
        outs[i] = in;
      } else {
        RETURN_IF_ERROR(p.transformer->Transform(in, &outs[i]));
      }
      if (p.weighted) {
        for (size_t c = 0; c < outs[i].cols; ++c) {
          if (outs[i].is_string_col(c)) {
            return InvalidArgumentError("FeatureUnion member '" + p.name +
                                        "' has a weight but outputs strings");
          }
        }
        for (double& v : outs[i].numeric) v *= p.weight;
      }
    }
    HStack(outs, in.rows, out);
    return OkStatus();
  }
  int64_t n_features_in() const override { return n_; }
  bool accepts_strings() const override {
    for (const Part& p : parts_) {
      if (p.transformer == nullptr || p.transformer->accepts_strings()) return true;
    }
    return false;
  }
  std::string name() const override { return "FeatureUnion"; }

  std::vector<Part> parts_;
  int64_t n_ = -1;
};

}  // namespace

StatusOr<TransformerPtr> MakeFeatureUnion(const Attrs& a, BuildContext& ctx) {
  auto u = std::make_unique<FeatureUnion>();
  ASSIGN_OR_RETURN(const Value* list, a.Require("transformer_list"));
  if (!list->is_sequence()) {
    return a.Error("transformer_list", "is not a list of (name, transformer) pairs");
  }
  const Value* weights = a.Get("transformer_weights");
  if (weights != nullptr && !weights->is_none() && weights->kind != pickle::Kind::kDict) {
    return a.Error("transformer_weights", "is not a dict");
  }
  for (const Value* e : list->items) {
    if (e == nullptr || !e->is_sequence() || e->items.size() < 2 || !e->items[0]->is_str()) {
      return a.Error("transformer_list", "holds something other than (name, transformer) pairs");
    }
    const Value* t = e->items[1];
    if (t->is_str() && t->str == "drop") continue;
    FeatureUnion::Part part;
    part.name = e->items[0]->str;
    if (!(t->is_str() && t->str == "passthrough")) {
      ASSIGN_OR_RETURN(part.transformer, BuildTransformer(*t, ctx));
    }
    if (weights != nullptr && weights->kind == pickle::Kind::kDict) {
      if (const Value* w = weights->Get(part.name); w != nullptr && !w->is_none()) {
        auto arr = ToArray(w);
        if (!arr.ok() || arr->v.size() != 1) {
          return a.Error("transformer_weights", "entry '" + part.name + "' is not a number");
        }
        part.weight = arr->v[0];
        part.weighted = true;
      }
    }
    u->parts_.push_back(std::move(part));
  }
  // sklearn's n_features_in_ is the first member's; any member that knows it will do.
  for (const auto& p : u->parts_) {
    if (u->n_ < 0 && p.transformer != nullptr) u->n_ = p.transformer->n_features_in();
  }
  return TransformerPtr(std::move(u));
}

}  // namespace ferry::sklearn
