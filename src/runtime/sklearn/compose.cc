// Pipeline and ColumnTransformer.
#include <cmath>

#include "runtime/sklearn/frame_ops.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

bool IsPassthrough(const Value* v) {
  return v == nullptr || v->is_none() || (v->is_str() && v->str == "passthrough");
}

// Steps of a Pipeline: (name, estimator) pairs, skipping passthrough/None.
StatusOr<std::vector<const Value*>> PipelineSteps(const Attrs& a, bool* last_passthrough) {
  ASSIGN_OR_RETURN(const Value* steps, a.Require("steps"));
  if (!steps->is_sequence() || steps->items.empty()) {
    return a.Error("steps", "is not a list");
  }
  std::vector<const Value*> out;
  for (size_t i = 0; i < steps->items.size(); ++i) {
    const Value* s = steps->items[i];
    if (s == nullptr || !s->is_sequence() || s->items.size() < 2) {
      return a.Error("steps", "holds something other than (name, estimator) pairs");
    }
    const bool pass = IsPassthrough(s->items[1]);
    if (i + 1 == steps->items.size()) {
      *last_passthrough = pass;
    }
    if (!pass) {
      out.push_back(s->items[1]);
    }
  }
  return out;
}

// Runs `steps` over x; returns a pointer to the final frame (x itself when empty).
StatusOr<const Frame*> RunSteps(const std::vector<TransformerPtr>& steps, const Frame& x, Frame* a,
                                Frame* b) {
  const Frame* cur = &x;
  for (const auto& s : steps) {
    Frame* next = (cur == a) ? b : a;
    RETURN_IF_ERROR(s->Transform(*cur, next));
    cur = next;
  }
  return cur;
}

class PipelinePredictor : public Predictor {
 public:
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    if (steps_.empty()) {
      return final_->Predict(x, method);
    }
    Frame a, b;
    ASSIGN_OR_RETURN(const Frame* cur, RunSteps(steps_, x, &a, &b));
    return final_->Predict(*cur, method);
  }
  // Contributions, when the final estimator has them, are over its own
  // inputs: the columns the preceding steps produce (docs/explanations.md).
  std::vector<PredictMethod> methods() const override { return final_->methods(); }
  std::string contributions_refusal() const override { return final_->contributions_refusal(); }
  const Labels* labels() const override { return final_->labels(); }
  protocol::DataType output_datatype() const override { return final_->output_datatype(); }
  int64_t n_features_in() const override {
    return steps_.empty() ? final_->n_features_in() : steps_[0]->n_features_in();
  }
  bool accepts_strings() const override {
    return steps_.empty() ? final_->accepts_strings() : steps_[0]->accepts_strings();
  }
  std::string name() const override {
    std::string s = "Pipeline(";
    for (const auto& t : steps_) {
      s += t->name() + ", ";
    }
    return s + final_->name() + ")";
  }

  std::vector<TransformerPtr> steps_;
  PredictorPtr final_;
};

class PipelineTransformer : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    if (steps_.empty()) {
      *out = in;
      return OkStatus();
    }
    Frame a, b;
    ASSIGN_OR_RETURN(const Frame* cur, RunSteps(steps_, in, &a, &b));
    *out = std::move(*const_cast<Frame*>(cur));
    return OkStatus();
  }
  int64_t n_features_in() const override {
    return steps_.empty() ? -1 : steps_[0]->n_features_in();
  }
  bool accepts_strings() const override { return steps_.empty() || steps_[0]->accepts_strings(); }
  std::string name() const override {
    std::string s = "Pipeline(";
    for (size_t i = 0; i < steps_.size(); ++i) {
      s += (i ? ", " : "") + steps_[i]->name();
    }
    return s + ")";
  }

  std::vector<TransformerPtr> steps_;
};

// One fitted entry of ColumnTransformer.transformers_.
struct CtPart {
  std::string name;
  TransformerPtr transformer;  // null = passthrough
  std::vector<size_t> cols;    // positions in the training input
};

class ColumnTransformer : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override;
  int64_t n_features_in() const override { return n_features_; }
  bool accepts_strings() const override { return true; }
  std::string name() const override {
    std::string s = "ColumnTransformer(";
    for (size_t i = 0; i < parts_.size(); ++i) {
      s +=
          (i ? ", " : "") + (parts_[i].transformer ? parts_[i].transformer->name() : "passthrough");
    }
    return s + ")";
  }

  std::vector<CtPart> parts_;
  std::vector<std::string> feature_names_;  // feature_names_in_, empty when fitted on arrays
  int64_t n_features_ = -1;
};

Status ColumnTransformer::Transform(const Frame& in, Frame* out) const {
  // Map training positions to input positions: by name when both sides have names.
  std::vector<size_t> pos;
  if (!feature_names_.empty() && !in.names.empty()) {
    pos.resize(feature_names_.size());
    for (size_t i = 0; i < feature_names_.size(); ++i) {
      auto c = in.ColumnIndex(feature_names_[i]);
      if (!c) {
        return InvalidArgumentError("ColumnTransformer: input has no column named '" +
                                    feature_names_[i] + "'; the model was fitted on columns " +
                                    [&] {
                                      std::string s;
                                      for (const auto& n : feature_names_) {
                                        s += (s.empty() ? "" : ", ") + n;
                                      }
                                      return s;
                                    }());
      }
      pos[i] = *c;
    }
  } else if (n_features_ >= 0 && static_cast<int64_t>(in.cols) != n_features_) {
    return InvalidArgumentError("ColumnTransformer expects " + std::to_string(n_features_) +
                                " columns but the input has " + std::to_string(in.cols));
  }
  std::vector<Frame> outputs(parts_.size());
  for (size_t i = 0; i < parts_.size(); ++i) {
    const CtPart& p = parts_[i];
    std::vector<size_t> cols = p.cols;
    for (size_t& c : cols) {
      if (!pos.empty()) {
        c = pos[c];
      }
      if (c >= in.cols) {
        return InvalidArgumentError("ColumnTransformer: column out of range");
      }
    }
    Frame sel;
    SelectColumns(in, cols, &sel);
    if (p.transformer) {
      RETURN_IF_ERROR(p.transformer->Transform(sel, &outputs[i]));
    } else {
      outputs[i] = std::move(sel);
    }
    outputs[i].names.clear();
  }
  HStack(outputs, in.rows, out);
  return OkStatus();
}

StatusOr<std::vector<std::string>> FeatureNames(const Attrs& a) {
  const Value* v = a.Get("feature_names_in_");
  if (v == nullptr || v->is_none()) {
    return std::vector<std::string>{};
  }
  if (!v->array) {
    return a.Error("feature_names_in_", "is not an array");
  }
  auto s = pickle::ToStrings(*v->array);
  if (!s.ok()) {
    return a.Error("feature_names_in_", s.status().message());
  }
  return s;
}

// Resolves a ColumnTransformer column spec to training positions.
StatusOr<std::vector<size_t>> ResolveColumns(const Attrs& a, const Value* spec,
                                             const std::vector<std::string>& names, size_t n) {
  std::vector<size_t> out;
  auto add_index = [&](int64_t i) -> Status {
    if (i < 0) {
      i += static_cast<int64_t>(n);
    }
    if (i < 0 || static_cast<size_t>(i) >= n) {
      return a.Error("transformers_", "column index out of range");
    }
    out.push_back(static_cast<size_t>(i));
    return OkStatus();
  };
  auto add_name = [&](const std::string& s) -> Status {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == s) {
        out.push_back(i);
        return OkStatus();
      }
    }
    return a.Error("transformers_", "selects column '" + s + "' which is not in feature_names_in_");
  };
  if (spec == nullptr) {
    return a.Error("transformers_", "has no column selection");
  }
  switch (spec->kind) {
    case Kind::kInt:
      RETURN_IF_ERROR(add_index(spec->i));
      return out;
    case Kind::kStr:
      RETURN_IF_ERROR(add_name(spec->str));
      return out;
    case Kind::kSlice: {
      auto get = [&](size_t k, int64_t d) {
        const Value* v = spec->items[k];
        return v && v->kind == Kind::kInt ? v->i : d;
      };
      const int64_t step = get(2, 1);
      if (step <= 0) {
        return a.Error("transformers_", "uses a non-positive slice step");
      }
      int64_t start = get(0, 0), stop = get(1, static_cast<int64_t>(n));
      if (start < 0) {
        start += n;
      }
      if (stop < 0) {
        stop += n;
      }
      stop = std::min<int64_t>(stop, n);
      for (int64_t i = std::max<int64_t>(start, 0); i < stop; i += step) {
        out.push_back(i);
      }
      return out;
    }
    case Kind::kList:
    case Kind::kTuple:
      for (size_t i = 0; i < spec->items.size(); ++i) {
        const Value* e = spec->items[i];
        if (e && e->kind == Kind::kInt) {
          RETURN_IF_ERROR(add_index(e->i));
        } else if (e && e->is_str()) {
          RETURN_IF_ERROR(add_name(e->str));
        } else if (e && e->kind == Kind::kBool) {
          if (e->b) {
            out.push_back(i);
          }
        } else {
          return a.Error("transformers_", "has an unsupported column selector");
        }
      }
      return out;
    case Kind::kArray: {
      const pickle::NDArray& arr = *spec->array;
      if (arr.dtype.kind == 'b') {
        ASSIGN_OR_RETURN(auto mask, pickle::ToDoubles(arr));
        for (size_t i = 0; i < mask.size(); ++i) {
          if (mask[i] != 0) {
            out.push_back(i);
          }
        }
        return out;
      }
      if (arr.dtype.kind == 'i' || arr.dtype.kind == 'u') {
        ASSIGN_OR_RETURN(auto idx, pickle::ToInt64s(arr));
        for (int64_t i : idx) {
          RETURN_IF_ERROR(add_index(i));
        }
        return out;
      }
      ASSIGN_OR_RETURN(auto strs, pickle::ToStrings(arr));
      for (const auto& s : strs) {
        RETURN_IF_ERROR(add_name(s));
      }
      return out;
    }
    default:
      return a.Error("transformers_", "has an unsupported column selector " + spec->Describe());
  }
}

}  // namespace

StatusOr<PredictorPtr> MakePipelinePredictor(const Attrs& a, BuildContext& ctx) {
  bool last_pass = false;
  ASSIGN_OR_RETURN(auto steps, PipelineSteps(a, &last_pass));
  if (last_pass || steps.empty()) {
    return InvalidArgumentError(
        "Pipeline ends in 'passthrough': it has no estimator to predict with");
  }
  auto p = std::make_unique<PipelinePredictor>();
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    ASSIGN_OR_RETURN(auto t, BuildTransformer(*steps[i], ctx));
    p->steps_.push_back(std::move(t));
  }
  ASSIGN_OR_RETURN(p->final_, BuildPredictor(*steps.back(), ctx));
  return PredictorPtr(std::move(p));
}

StatusOr<TransformerPtr> MakePipelineTransformer(const Attrs& a, BuildContext& ctx) {
  bool last_pass = false;
  ASSIGN_OR_RETURN(auto steps, PipelineSteps(a, &last_pass));
  auto p = std::make_unique<PipelineTransformer>();
  for (const Value* s : steps) {
    ASSIGN_OR_RETURN(auto t, BuildTransformer(*s, ctx));
    p->steps_.push_back(std::move(t));
  }
  return TransformerPtr(std::move(p));
}

StatusOr<TransformerPtr> MakeColumnTransformer(const Attrs& a, BuildContext& ctx) {
  auto ct = std::make_unique<ColumnTransformer>();
  ASSIGN_OR_RETURN(ct->feature_names_, FeatureNames(a));
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(ct->n_features_, a.Int("n_features_in_"));
  } else if (!ct->feature_names_.empty()) {
    ct->n_features_ = static_cast<int64_t>(ct->feature_names_.size());
  }
  if (ct->n_features_ < 0) {
    return a.Error("n_features_in_", "is missing");
  }
  ASSIGN_OR_RETURN(const Value* list, a.Require("transformers_"));
  if (!list->is_sequence()) {
    return a.Error("transformers_", "is not a list");
  }
  for (const Value* e : list->items) {
    if (e == nullptr || !e->is_sequence() || e->items.size() < 3) {
      return a.Error("transformers_", "holds something other than (name, transformer, columns)");
    }
    CtPart part;
    part.name = e->items[0] && e->items[0]->is_str() ? e->items[0]->str : "";
    const Value* t = e->items[1];
    if (t != nullptr && t->is_str() && t->str == "drop") {
      continue;
    }
    ASSIGN_OR_RETURN(part.cols, ResolveColumns(a, e->items[2], ct->feature_names_,
                                               static_cast<size_t>(ct->n_features_)));
    if (part.cols.empty()) {
      continue;  // sklearn skips transformers with no columns
    }
    if (!IsPassthrough(t)) {
      ASSIGN_OR_RETURN(part.transformer, BuildTransformer(*t, ctx));
    }
    ct->parts_.push_back(std::move(part));
  }
  return TransformerPtr(std::move(ct));
}

}  // namespace ferry::sklearn
