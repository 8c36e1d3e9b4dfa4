// Multi-layer perceptrons: MLPClassifier and MLPRegressor.
// predict runs sklearn's _forward_pass_fast: for each layer
// a = a·coefs_[i] + intercepts_[i], the hidden activation between layers and
// out_activation_ after the last. Weights are stored as sklearn keeps them
// (in x out, row-major), so each layer is one pass over the weight matrix.
#include <cmath>

#include "runtime/sklearn/math.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

enum class Act { kIdentity, kLogistic, kTanh, kRelu, kSoftmax };

StatusOr<Act> ParseAct(const Attrs& a, std::string_view key, bool allow_softmax) {
  ASSIGN_OR_RETURN(std::string s, a.Str(key));
  if (s == "identity") return Act::kIdentity;
  if (s == "logistic") return Act::kLogistic;
  if (s == "tanh") return Act::kTanh;
  if (s == "relu") return Act::kRelu;
  if (s == "softmax" && allow_softmax) return Act::kSoftmax;
  return a.Error(key, "is '" + s + "', expected identity, logistic, tanh or relu");
}

// sklearn.neural_network._base.ACTIVATIONS on one row of n values.
void Apply(Act act, double* v, size_t n) {
  switch (act) {
    case Act::kIdentity:
      return;
    case Act::kLogistic:
      for (size_t i = 0; i < n; ++i) v[i] = Expit(v[i]);
      return;
    case Act::kTanh:
      for (size_t i = 0; i < n; ++i) v[i] = std::tanh(v[i]);
      return;
    case Act::kRelu:
      for (size_t i = 0; i < n; ++i) v[i] = v[i] < 0.0 ? 0.0 : v[i];  // NaN stays NaN
      return;
    case Act::kSoftmax:
      SoftmaxInPlace(v, n);
      return;
  }
}

struct Network {
  struct Layer {
    size_t in = 0, out = 0;
    std::vector<double> w;  // in x out
    std::vector<double> b;  // out
  };
  std::vector<Layer> layers;
  Act hidden = Act::kRelu;
  Act output = Act::kIdentity;
  size_t width = 0;  // widest layer

  size_t n_in() const { return layers.front().in; }
  size_t n_out() const { return layers.back().out; }

  // out: rows x n_out().
  void Forward(const double* x, size_t rows, double* out) const {
    std::vector<double> a(width), z(width);
    for (size_t r = 0; r < rows; ++r) {
      const double* in = x + r * n_in();
      for (size_t li = 0; li < layers.size(); ++li) {
        const Layer& l = layers[li];
        double* dst = li + 1 == layers.size() ? out + r * n_out() : z.data();
        std::copy(l.b.begin(), l.b.end(), dst);
        for (size_t i = 0; i < l.in; ++i) {
          const double xi = in[i];
          const double* w = &l.w[i * l.out];
          for (size_t j = 0; j < l.out; ++j) dst[j] += xi * w[j];
        }
        Apply(li + 1 == layers.size() ? output : hidden, dst, l.out);
        if (li + 1 < layers.size()) {
          a.swap(z);
          in = a.data();
        }
      }
    }
  }
};

StatusOr<Network> LoadNetwork(const Attrs& a, BuildContext& ctx) {
  Network net;
  ASSIGN_OR_RETURN(const pickle::Value* coefs, a.Require("coefs_"));
  ASSIGN_OR_RETURN(const pickle::Value* intercepts, a.Require("intercepts_"));
  if (!coefs->is_sequence() || !intercepts->is_sequence() || coefs->items.empty() ||
      coefs->items.size() != intercepts->items.size()) {
    return a.Error("coefs_", "and intercepts_ are not two lists of the same length");
  }
  for (size_t i = 0; i < coefs->items.size(); ++i) {
    auto w = ToArray(coefs->items[i]);
    auto b = ToArray(intercepts->items[i]);
    if (!w.ok() || !b.ok() || w->shape.size() != 2 || b->shape.size() != 1) {
      return a.Error("coefs_",
                     "layer " + std::to_string(i) + " is not a 2-D weight matrix with a 1-D bias");
    }
    Network::Layer l;
    l.in = static_cast<size_t>(w->dim(0));
    l.out = static_cast<size_t>(w->dim(1));
    if (l.in == 0 || l.out == 0 || b->v.size() != l.out ||
        (i > 0 && l.in != net.layers.back().out)) {
      return a.Error("coefs_", "layer " + std::to_string(i) + " has shape [" +
                                   std::to_string(l.in) + ", " + std::to_string(l.out) +
                                   "], which does not chain with its bias or the previous layer");
    }
    // Charged like Attrs::Numbers: a shared layer listed many times costs each time.
    RETURN_IF_ERROR(ctx.Charge(static_cast<int64_t>(w->v.size() + b->v.size())));
    l.w = std::move(w->v);
    l.b = std::move(b->v);
    net.width = std::max(net.width, l.out);
    net.layers.push_back(std::move(l));
  }
  ASSIGN_OR_RETURN(net.hidden, ParseAct(a, "activation", false));
  ASSIGN_OR_RETURN(net.output, ParseAct(a, "out_activation_", true));
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(int64_t n, a.Int("n_features_in_"));
    if (n != static_cast<int64_t>(net.n_in())) {
      return a.Error("coefs_", "disagrees with n_features_in_");
    }
  }
  return net;
}

class MLPClassifier : public Classifier {
 public:
  std::string name() const override { return "MLPClassifier"; }

 protected:
  Status Proba(const double* x, size_t rows, double* out) const override {
    net_.Forward(x, rows, out);
    if (net_.n_out() == 1) {
      // Binary: one logistic output p per row, predict_proba = [1 - p, p]; the
      // p values fill out[0..rows) and spread backwards into row-pairs in place.
      for (size_t r = rows; r-- > 0;) {
        const double p = out[r];
        out[r * 2] = 1.0 - p;
        out[r * 2 + 1] = p;
      }
    }
    return OkStatus();
  }

 public:
  Network net_;
};

class MLPRegressor : public Regressor {
 public:
  std::string name() const override { return "MLPRegressor"; }

 protected:
  Status Values(const double* x, size_t rows, double* out) const override {
    net_.Forward(x, rows, out);
    return OkStatus();
  }

 public:
  Network net_;
};

}  // namespace

StatusOr<PredictorPtr> MakeMLPClassifier(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<MLPClassifier>();
  ASSIGN_OR_RETURN(m->net_, LoadNetwork(a, ctx));
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const size_t k = m->labels_.size();
  const size_t out = m->net_.n_out();
  const bool binary = k == 2 && out == 1 && m->net_.output == Act::kLogistic;
  const bool multi = k > 2 && out == k && m->net_.output == Act::kSoftmax;
  if (!binary && !multi) {
    return a.Error("out_activation_", "and the output layer (" + std::to_string(out) +
                                          " units) do not describe a " +
                                          "binary or multiclass problem over " + std::to_string(k) +
                                          " classes; multilabel MLPClassifiers are not supported");
  }
  m->n_features_ = static_cast<int64_t>(m->net_.n_in());
  m->has_proba_ = true;
  return PredictorPtr(std::move(m));
}

StatusOr<PredictorPtr> MakeMLPRegressor(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<MLPRegressor>();
  ASSIGN_OR_RETURN(m->net_, LoadNetwork(a, ctx));
  m->n_features_ = static_cast<int64_t>(m->net_.n_in());
  m->n_outputs_ = m->net_.n_out();
  m->output_2d_ = m->n_outputs_ > 1;  // sklearn ravels a single output
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
