// KNeighborsClassifier / KNeighborsRegressor by brute force over _fit_X.
// The fitted KDTree/BallTree is ignored: brute force finds the same
// neighbours except for exact distance ties, where the tree's visiting order
// decides in sklearn (ties are resolved here by training-row order).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

enum class Metric { kEuclidean, kManhattan, kChebyshev, kMinkowski };

struct NeighborIndex {
  std::vector<double> fit_x;  // n x p
  size_t n = 0, p = 0, k = 5;
  Metric metric = Metric::kEuclidean;
  double power = 2.0;
  bool distance_weights = false;

  double Distance(const double* x, const double* y) const {
    double s = 0.0;
    for (size_t f = 0; f < p; ++f) {
      const double d = std::fabs(x[f] - y[f]);
      switch (metric) {
        case Metric::kEuclidean:
          s += d * d;
          break;
        case Metric::kManhattan:
          s += d;
          break;
        case Metric::kChebyshev:
          s = std::max(s, d);
          break;
        case Metric::kMinkowski:
          s += std::pow(d, power);
          break;
      }
    }
    if (metric == Metric::kEuclidean) {
      return std::sqrt(s);
    }
    if (metric == Metric::kMinkowski) {
      return std::pow(s, 1.0 / power);
    }
    return s;
  }

  // The k nearest rows of x and their weights (1 for uniform).
  void Query(const double* x, std::vector<double>& dist, std::vector<size_t>& idx,
             std::vector<double>& w) const {
    dist.resize(n);
    for (size_t i = 0; i < n; ++i) {
      dist[i] = Distance(x, &fit_x[i * p]);
    }
    idx.resize(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](size_t a, size_t b) {
      return dist[a] < dist[b] || (dist[a] == dist[b] && a < b);
    });
    idx.resize(k);
    w.assign(k, 1.0);
    if (!distance_weights) {
      return;
    }
    bool any_zero = false;
    for (size_t j = 0; j < k; ++j) {
      any_zero = any_zero || dist[idx[j]] == 0.0;
    }
    for (size_t j = 0; j < k; ++j) {
      const double d = dist[idx[j]];
      w[j] = any_zero ? (d == 0.0 ? 1.0 : 0.0) : 1.0 / d;
    }
  }
};

StatusOr<NeighborIndex> LoadIndex(const Attrs& a) {
  NeighborIndex ix;
  ASSIGN_OR_RETURN(Array fx, a.Numbers("_fit_X"));
  if (fx.shape.size() != 2) {
    return a.Error("_fit_X", "is not 2-D");
  }
  ix.n = fx.dim(0);
  ix.p = fx.dim(1);
  ix.fit_x = std::move(fx.v);
  ASSIGN_OR_RETURN(int64_t k, a.Int("n_neighbors"));
  if (k < 1 || static_cast<size_t>(k) > ix.n) {
    return a.Error("n_neighbors", "is out of range");
  }
  ix.k = static_cast<size_t>(k);
  const std::string w = a.StrOr("weights", "uniform");
  if (w != "uniform" && w != "distance") {
    return UnimplementedError(a.cls() + " with weights='" + w + "' (a callable) is not supported");
  }
  ix.distance_weights = w == "distance";
  const std::string m = a.StrOr("effective_metric_", a.StrOr("metric", "minkowski"));
  ix.power = a.NumberOr("p", 2.0);
  const pickle::Value* params = a.Get("effective_metric_params_");
  if (params != nullptr && params->kind == pickle::Kind::kDict && params->Get("p") != nullptr) {
    ix.power = Attrs(*params).NumberOr("p", ix.power);
  }
  if (m == "euclidean" || (m == "minkowski" && ix.power == 2.0) || m == "l2") {
    ix.metric = Metric::kEuclidean;
  } else if (m == "manhattan" || m == "cityblock" || m == "l1" ||
             (m == "minkowski" && ix.power == 1.0)) {
    ix.metric = Metric::kManhattan;
  } else if (m == "chebyshev" || m == "infinity") {
    ix.metric = Metric::kChebyshev;
  } else if (m == "minkowski" && ix.power > 0) {
    ix.metric = Metric::kMinkowski;
  } else {
    return UnimplementedError(a.cls() + " with metric '" + m + "' is not supported");
  }
  return ix;
}

class KNeighborsClassifier : public Classifier {
 public:
  std::string name() const override { return "KNeighborsClassifier"; }
  NeighborIndex ix_;
  std::vector<int32_t> y_;  // class index per training row

 protected:
  Status Proba(const double* x, size_t rows, double* out) const override {
    const size_t k = labels_.size();
    std::vector<double> dist, w;
    std::vector<size_t> idx;
    for (size_t r = 0; r < rows; ++r) {
      ix_.Query(x + r * ix_.p, dist, idx, w);
      double* o = out + r * k;
      std::fill(o, o + k, 0.0);
      for (size_t j = 0; j < idx.size(); ++j) {
        o[y_[idx[j]]] += w[j];
      }
      double s = 0.0;
      for (size_t c = 0; c < k; ++c) {
        s += o[c];
      }
      if (s == 0.0) {
        s = 1.0;
      }
      for (size_t c = 0; c < k; ++c) {
        o[c] /= s;
      }
    }
    return OkStatus();
  }
};

class KNeighborsRegressor : public Regressor {
 public:
  std::string name() const override { return "KNeighborsRegressor"; }
  NeighborIndex ix_;
  std::vector<double> y_;  // n x n_outputs

 protected:
  Status Values(const double* x, size_t rows, double* out) const override {
    std::vector<double> dist, w;
    std::vector<size_t> idx;
    for (size_t r = 0; r < rows; ++r) {
      ix_.Query(x + r * ix_.p, dist, idx, w);
      double denom = 0.0;
      for (double v : w) {
        denom += v;
      }
      for (size_t o = 0; o < n_outputs_; ++o) {
        double num = 0.0;
        for (size_t j = 0; j < idx.size(); ++j) {
          num += y_[idx[j] * n_outputs_ + o] * w[j];
        }
        out[r * n_outputs_ + o] = num / denom;
      }
    }
    return OkStatus();
  }
};

}  // namespace

StatusOr<PredictorPtr> MakeKNeighbors(const Attrs& a, BuildContext& ctx) {
  ASSIGN_OR_RETURN(NeighborIndex ix, LoadIndex(a));
  ASSIGN_OR_RETURN(Array y, a.Numbers("_y"));
  if (y.dim(0) != static_cast<int64_t>(ix.n)) {
    return a.Error("_y", "does not match _fit_X");
  }
  if (a.cls() == "KNeighborsRegressor") {
    auto m = std::make_unique<KNeighborsRegressor>();
    m->n_features_ = static_cast<int64_t>(ix.p);
    m->n_outputs_ = y.shape.size() == 2 ? y.dim(1) : 1;
    m->output_2d_ = y.shape.size() == 2;
    m->ix_ = std::move(ix);
    m->y_ = std::move(y.v);
    return PredictorPtr(std::move(m));
  }
  if (a.BoolOr("outputs_2d_", false) || y.shape.size() != 1) {
    return UnimplementedError("multi-output KNeighborsClassifier is not supported");
  }
  auto m = std::make_unique<KNeighborsClassifier>();
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  for (double v : y.v) {
    if (v < 0 || v >= static_cast<double>(m->labels_.size())) {
      return a.Error("_y", "holds a class index outside classes_");
    }
    m->y_.push_back(static_cast<int32_t>(v));
  }
  m->n_features_ = static_cast<int64_t>(ix.p);
  m->ix_ = std::move(ix);
  m->has_proba_ = true;
  m->has_log_proba_ = false;  // sklearn 1.2 KNeighborsClassifier has none
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
