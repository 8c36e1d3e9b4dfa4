#include "runtime/sklearn/estimator.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "common/deadline.h"

namespace ferry::sklearn {
namespace {

// n zeroed values of scratch space: on the stack for small calls (a one-row
// request), on the heap beyond that.
template <typename T, size_t kInline = 64>
class Scratch {
 public:
  explicit Scratch(size_t n) {
    if (n > kInline) {
      heap_ = std::make_unique<T[]>(n);
      data_ = heap_.get();
    } else {
      std::fill_n(data_, n, T{});
    }
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* data() { return data_; }
  T& operator[](size_t i) { return data_[i]; }

 private:
  T inline_[kInline];
  std::unique_ptr<T[]> heap_;
  T* data_ = inline_;
};

}  // namespace

bool IsNumericInput(const Frame& x, int64_t n_features) {
  if (n_features >= 0 && static_cast<int64_t>(x.cols) != n_features) return false;
  for (size_t c = 0; c < x.cols; ++c) {
    if (x.is_string_col(c)) return false;
  }
  return x.numeric.size() >= x.rows * x.cols;
}

Status NumericInputError(const Frame& x, int64_t n_features, std::string_view who_view) {
  const std::string who(who_view);
  if (n_features >= 0 && static_cast<int64_t>(x.cols) != n_features) {
    return InvalidArgumentError(who + " expects " + std::to_string(n_features) +
                                " features per row but the input has " + std::to_string(x.cols) +
                                "; send rows of " + std::to_string(n_features) + " numbers");
  }
  for (size_t c = 0; c < x.cols; ++c) {
    if (x.is_string_col(c)) {
      const std::string col = x.names.size() > c ? "'" + x.names[c] + "'" : std::to_string(c);
      return InvalidArgumentError(who + " needs numbers but input column " + col +
                                  " holds strings; encode it first (e.g. OneHotEncoder in a "
                                  "Pipeline) or send numbers");
    }
  }
  return InvalidArgumentError(who + ": malformed input frame");
}

Status Classifier::Proba(const double*, size_t, double*) const {
  return UnimplementedError(name() + " has no predict_proba");
}

Status Classifier::LogProba(const double* x, size_t rows, double* out) const {
  RETURN_IF_ERROR(Proba(x, rows, out));
  for (size_t i = 0; i < rows * labels_.size(); ++i) {
    out[i] = std::log(out[i]);
  }
  return OkStatus();
}

Status Classifier::Decision(const double*, size_t, double*) const {
  return UnimplementedError(name() + " has no decision_function");
}

Status Classifier::Contributions(const double*, size_t, double*) const {
  return UnimplementedError(name() + " cannot explain its predictions");
}

Status Regressor::Contributions(const double*, size_t, double*) const {
  return UnimplementedError(name() + " cannot explain its predictions");
}

Tensor ContributionsTensor(std::vector<double> out, size_t rows, size_t outputs, size_t features) {
  const auto r64 = static_cast<int64_t>(rows);
  const auto width = static_cast<int64_t>(features + 1);
  if (outputs == 1) {
    return Tensor::FromDoubles(std::move(out), {r64, width});
  }
  return Tensor::FromDoubles(std::move(out), {r64, static_cast<int64_t>(outputs), width});
}

Status Classifier::PredictIndex(const double* x, size_t rows, int32_t* out) const {
  const size_t k = labels_.size();
  if (has_decision_) {
    const size_t w = decision_width();
    Scratch<double> d(rows * w);
    RETURN_IF_ERROR(Decision(x, rows, d.data()));
    for (size_t r = 0; r < rows; ++r) {
      out[r] = w == 1 ? (d[r] > 0 ? 1 : 0) : ArgMax(&d[r * w], w);
    }
    return OkStatus();
  }
  Scratch<double> p(rows * k);
  RETURN_IF_ERROR(Proba(x, rows, p.data()));
  for (size_t r = 0; r < rows; ++r) {
    out[r] = ArgMax(&p[r * k], k);
  }
  return OkStatus();
}

std::vector<PredictMethod> Classifier::methods() const {
  std::vector<PredictMethod> m{PredictMethod::kPredict};
  if (has_proba_) {
    m.push_back(PredictMethod::kPredictProba);
    if (has_log_proba_) {
      m.push_back(PredictMethod::kPredictLogProba);
    }
  }
  if (has_decision_) {
    m.push_back(PredictMethod::kDecisionFunction);
  }
  if (contribution_outputs() > 0) {
    m.push_back(PredictMethod::kContributions);
  }
  return m;
}

std::vector<PredictMethod> Regressor::methods() const {
  if (contribution_outputs() > 0) {
    return {PredictMethod::kPredict, PredictMethod::kContributions};
  }
  return {PredictMethod::kPredict};
}

namespace {

// Rows per chunk between deadline checks (common/deadline.h): small enough
// that even a slow estimator (k-NN over a large training set, a deep forest)
// notices a passed predict deadline within milliseconds, large enough that
// the check costs nothing. Batches up to one chunk run in one call.
constexpr size_t kDeadlineChunkRows = 256;

// Calls fn(first_row, rows) over consecutive chunks of `rows`, checking the
// thread's deadline before each chunk but the first.
template <typename Fn>
Status ForEachChunk(size_t rows, Fn&& fn) {
  if (rows <= kDeadlineChunkRows) return fn(size_t{0}, rows);
  for (size_t off = 0; off < rows; off += kDeadlineChunkRows) {
    if (off > 0) RETURN_IF_ERROR(CheckDeadline());
    RETURN_IF_ERROR(fn(off, std::min(kDeadlineChunkRows, rows - off)));
  }
  return OkStatus();
}

}  // namespace

// Contributions in chunks (they cost far more per row than a predict).
// E is Classifier or Regressor, whose contribution hooks this befriends.
template <typename E>
StatusOr<Tensor> ContributionsOf(const E& e, const double* X, size_t rows, size_t p) {
  const size_t k = e.contribution_outputs();
  if (k == 0) {
    return UnimplementedError(e.name() + " cannot explain its predictions");
  }
  const size_t width = k * (p + 1);
  std::vector<double> out(rows * width);
  RETURN_IF_ERROR(ForEachChunk(rows, [&](size_t off, size_t n) {
    return e.Contributions(X + off * p, n, out.data() + off * width);
  }));
  return ContributionsTensor(std::move(out), rows, k, p);
}

StatusOr<Tensor> Classifier::Predict(const Frame& x, PredictMethod method) const {
  ASSIGN_OR_RETURN(const double* X, NumericInput(x, n_features_, [this] { return name(); }));
  const size_t rows = x.rows;
  const size_t p = x.cols;  // row stride of X
  const auto r64 = static_cast<int64_t>(rows);
  switch (method) {
    case PredictMethod::kPredict: {
      Scratch<int32_t> idx(rows);
      RETURN_IF_ERROR(ForEachChunk(rows, [&](size_t off, size_t n) {
        return PredictIndex(X + off * p, n, idx.data() + off);
      }));
      return labels_.Make(idx.data(), rows);
    }
    case PredictMethod::kPredictProba:
    case PredictMethod::kPredictLogProba: {
      if (!has_proba_ || (method == PredictMethod::kPredictLogProba && !has_log_proba_)) {
        return UnimplementedError(name() + " has no " + std::string(PredictMethodName(method)));
      }
      const size_t k = labels_.size();
      std::vector<double> prob(rows * k);
      const bool log = method == PredictMethod::kPredictLogProba;
      RETURN_IF_ERROR(ForEachChunk(rows, [&](size_t off, size_t n) {
        return log ? LogProba(X + off * p, n, prob.data() + off * k)
                   : Proba(X + off * p, n, prob.data() + off * k);
      }));
      return Tensor::FromDoubles(std::move(prob), {r64, static_cast<int64_t>(k)});
    }
    case PredictMethod::kDecisionFunction: {
      if (!has_decision_) {
        return UnimplementedError(name() + " has no decision_function");
      }
      const size_t w = decision_width();
      std::vector<double> d(rows * w);
      RETURN_IF_ERROR(ForEachChunk(rows, [&](size_t off, size_t n) {
        return Decision(X + off * p, n, d.data() + off * w);
      }));
      if (w == 1) {
        return Tensor::FromDoubles(std::move(d), {r64});
      }
      return Tensor::FromDoubles(std::move(d), {r64, static_cast<int64_t>(w)});
    }
    case PredictMethod::kContributions:
      return ContributionsOf(*this, X, rows, p);
  }
  return UnimplementedError("unknown method");
}

StatusOr<Tensor> Regressor::Predict(const Frame& x, PredictMethod method) const {
  if (method == PredictMethod::kContributions) {
    ASSIGN_OR_RETURN(const double* X, NumericInput(x, n_features_, [this] { return name(); }));
    return ContributionsOf(*this, X, x.rows, x.cols);
  }
  if (method != PredictMethod::kPredict) {
    return UnimplementedError(name() + " is a regressor and only supports predict");
  }
  ASSIGN_OR_RETURN(const double* X, NumericInput(x, n_features_, [this] { return name(); }));
  std::vector<double> out(x.rows * n_outputs_);
  const size_t p = x.cols;  // row stride of X
  RETURN_IF_ERROR(ForEachChunk(x.rows, [&](size_t off, size_t n) {
    return Values(X + off * p, n, out.data() + off * n_outputs_);
  }));
  const auto r64 = static_cast<int64_t>(x.rows);
  if (output_2d_) {
    return Tensor::FromDoubles(std::move(out), {r64, static_cast<int64_t>(n_outputs_)});
  }
  return Tensor::FromDoubles(std::move(out), {r64});
}

}  // namespace ferry::sklearn
