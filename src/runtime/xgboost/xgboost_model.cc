#include "runtime/xgboost/xgboost_model.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "common/deadline.h"

namespace ferry::xgboost {
namespace {

using protocol::Tensor;
using runtime::PredictMethod;

Tensor FromFloats(const std::vector<float>& values, protocol::Shape shape) {
  Tensor t;
  t.datatype = protocol::DataType::kFp32;
  t.shape = std::move(shape);
  t.raw.resize(values.size() * sizeof(float));
  if (!values.empty()) {
    std::memcpy(t.raw.data(), values.data(), t.raw.size());
  }
  return t;
}

protocol::Shape ToShape(const std::vector<uint64_t>& s) {
  return protocol::Shape(s.begin(), s.end());
}

std::string Join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) {
    s += (s.empty() ? "" : ", ") + n;
  }
  return s;
}

// Columns in the model's order: by name when both sides have names, else as given.
StatusOr<std::vector<double>> Reorder(const protocol::Frame& x,
                                      const std::vector<std::string>& names) {
  std::vector<size_t> index;
  for (const auto& name : names) {
    const std::optional<size_t> c = x.ColumnIndex(name);
    if (!c.has_value()) {
      return InvalidArgumentError(
          "input has no column \"" + name +
          "\", which the XGBoost model was trained with; send all of: " + Join(names));
    }
    index.push_back(*c);
  }
  std::vector<double> out(x.rows * names.size());
  for (size_t r = 0; r < x.rows; ++r) {
    for (size_t c = 0; c < names.size(); ++c) {
      out[r * names.size() + c] = x.at(r, index[c]);
    }
  }
  return out;
}

}  // namespace

bool IsClassification(const std::string& objective) {
  return objective == "binary:logistic" || objective == "multi:softprob" ||
         objective == "multi:softmax";
}

XgboostModel::XgboostModel(std::unique_ptr<Booster> booster, XgboostSettings settings,
                           runtime::ModelInfo info, std::unique_ptr<XgboostExplainer> explainer)
    : booster_(std::move(booster)),
      settings_(std::move(settings)),
      info_(std::move(info)),
      explainer_(std::move(explainer)) {
  serialize_ = settings_.booster != "gbtree" && settings_.booster != "dart";
}

Status XgboostModel::WarmUp() const {
  if (info_.n_features <= 0) {
    return OkStatus();
  }
  protocol::Frame row = protocol::Frame::Numeric(1, static_cast<size_t>(info_.n_features));
  std::fill(row.numeric.begin(), row.numeric.end(), std::numeric_limits<double>::quiet_NaN());
  return Run(row, false, 0).status();
}

StatusOr<XgboostModel::Input> XgboostModel::Columns(const protocol::Frame& x,
                                                    std::vector<double>* storage) const {
  for (size_t c = 0; c < x.cols; ++c) {
    if (x.is_string_col(c)) {
      return InvalidArgumentError(
          "input column " + (x.names.empty() ? std::to_string(c) : "\"" + x.names[c] + "\"") +
          " holds strings, but XGBoost models take numbers only; send numeric values");
    }
  }
  const bool by_name = !x.names.empty() && !info_.feature_names.empty();
  if (!by_name && info_.n_features >= 0 && static_cast<int64_t>(x.cols) != info_.n_features) {
    return InvalidArgumentError("input has " + std::to_string(x.cols) +
                                " features per row, but the XGBoost model expects " +
                                std::to_string(info_.n_features) + "; send rows of that width");
  }
  if (by_name) {
    ASSIGN_OR_RETURN(*storage, Reorder(x, info_.feature_names));
    return Input{storage->data(), info_.feature_names.size()};
  }
  return Input{x.numeric.data(), x.cols};
}

StatusOr<Booster::Prediction> XgboostModel::Run(const protocol::Frame& x, bool margin,
                                                int64_t iteration_end) const {
  std::vector<double> reordered;
  ASSIGN_OR_RETURN(Input in, Columns(x, &reordered));
  std::unique_lock<std::mutex> lock(predict_mu_, std::defer_lock);
  if (serialize_) {
    lock.lock();
  }
  return booster_->PredictDense(in.data, x.rows, in.cols, margin, iteration_end, settings_.missing);
}

StatusOr<Tensor> XgboostModel::Contributions(const protocol::Frame& x) const {
  if (explainer_ == nullptr) {
    return runtime::ContributionsRefused(info_.description, info_);
  }
  std::vector<double> reordered;
  ASSIGN_OR_RETURN(Input in, Columns(x, &reordered));
  const auto p = static_cast<size_t>(explainer_->n_features());
  if (in.cols != p) {
    return InvalidArgumentError("input has " + std::to_string(in.cols) +
                                " features per row, but the XGBoost model's trees use " +
                                std::to_string(p) + "; send rows of that width");
  }
  const size_t k = explainer_->outputs();
  const size_t width = k * (p + 1);
  std::vector<double> out(x.rows * width);
  // Chunks with a deadline check between them, as predict does.
  constexpr size_t kChunk = 256;
  for (size_t off = 0; off < x.rows; off += kChunk) {
    if (off > 0) RETURN_IF_ERROR(CheckDeadline());
    const size_t n = std::min(kChunk, x.rows - off);
    explainer_->Explain(in.data + off * p, n, out.data() + off * width);
  }
  const auto rows = static_cast<int64_t>(x.rows);
  const auto cols = static_cast<int64_t>(p + 1);
  if (k == 1) return Tensor::FromDoubles(std::move(out), {rows, cols});
  return Tensor::FromDoubles(std::move(out), {rows, static_cast<int64_t>(k), cols});
}

StatusOr<Tensor> XgboostModel::PredictLabels(const protocol::Frame& x) const {
  ASSIGN_OR_RETURN(Booster::Prediction p, Run(x, false, settings_.iteration_end));
  const size_t rows = x.rows;
  std::vector<int64_t> labels(rows);
  const bool two_d = p.shape.size() == 2;
  const size_t k = two_d ? p.shape[1] : 1;
  if (two_d && settings_.n_classes != 2) {
    for (size_t r = 0; r < rows; ++r) {
      const float* row = p.values.data() + r * k;
      labels[r] = std::max_element(row, row + k) - row;  // first maximum, like np.argmax
    }
  } else if (two_d && k != 1) {
    // Multi-label: one 0/1 per output, as XGBClassifier does.
    std::vector<int64_t> flags(p.values.size());
    for (size_t i = 0; i < flags.size(); ++i) {
      flags[i] = p.values[i] > 0.5f ? 1 : 0;
    }
    return Tensor::FromInt64s(flags, {static_cast<int64_t>(rows), static_cast<int64_t>(k)});
  } else if (settings_.objective == "multi:softmax") {
    for (size_t r = 0; r < rows; ++r) {
      labels[r] = static_cast<int64_t>(p.values[r]);
    }
  } else {
    for (size_t r = 0; r < rows; ++r) {
      labels[r] = p.values[r] > 0.5f ? 1 : 0;
    }
  }
  return Tensor::FromInt64s(labels, {static_cast<int64_t>(rows)});
}

StatusOr<Tensor> XgboostModel::PredictProba(const protocol::Frame& x) const {
  if (!IsClassification(settings_.objective)) {
    return UnimplementedError(
        "predict_proba needs a classification objective, but this XGBoost "
        "model's objective is " +
        settings_.objective + "; call predict instead");
  }
  const bool softmax = settings_.objective == "multi:softmax";
  ASSIGN_OR_RETURN(Booster::Prediction p, Run(x, softmax, settings_.iteration_end));
  const int64_t rows = static_cast<int64_t>(x.rows);
  if (p.shape.size() == 2) {
    if (softmax) {
      const size_t k = p.shape[1];
      for (int64_t r = 0; r < rows; ++r) {
        float* row = p.values.data() + r * k;
        const float mx = *std::max_element(row, row + k);
        double sum = 0;
        for (size_t j = 0; j < k; ++j) {
          sum += std::exp(static_cast<double>(row[j]) - mx);
        }
        for (size_t j = 0; j < k; ++j) {
          row[j] = static_cast<float>(std::exp(static_cast<double>(row[j]) - mx) / sum);
        }
      }
    }
    return FromFloats(p.values, ToShape(p.shape));
  }
  std::vector<float> two(static_cast<size_t>(rows) * 2);
  for (int64_t r = 0; r < rows; ++r) {
    two[2 * r] = 1.0f - p.values[r];
    two[2 * r + 1] = p.values[r];
  }
  return FromFloats(two, {rows, 2});
}

// Zero rows: libxgboost's answer is not documented, so shape the empty result here.
Tensor XgboostModel::EmptyResult(PredictMethod method) const {
  if (method == PredictMethod::kPredict && settings_.api == XgboostSettings::Api::kClassifier) {
    return Tensor::FromInt64s({}, {0});
  }
  if (method == PredictMethod::kPredictProba || (settings_.objective == "multi:softprob" &&
                                                 settings_.api == XgboostSettings::Api::kBooster)) {
    return FromFloats({}, {0, settings_.n_classes});
  }
  return FromFloats({}, {0});
}

StatusOr<Tensor> XgboostModel::Predict(const protocol::Frame& x, PredictMethod method) const {
  if (method == PredictMethod::kContributions) {
    return Contributions(x);
  }
  if (method == PredictMethod::kPredictProba) {
    return x.rows == 0 && IsClassification(settings_.objective) ? EmptyResult(method)
                                                                : PredictProba(x);
  }
  if (method != PredictMethod::kPredict) {
    return UnimplementedError(
        "XGBoost models have no " + std::string(runtime::PredictMethodName(method)) +
        "; supported: predict" + (IsClassification(settings_.objective) ? ", predict_proba" : ""));
  }
  if (x.rows == 0) {
    return EmptyResult(method);
  }
  if (settings_.api == XgboostSettings::Api::kClassifier) {
    return PredictLabels(x);
  }
  const int64_t end = settings_.api == XgboostSettings::Api::kBooster ? 0 : settings_.iteration_end;
  ASSIGN_OR_RETURN(Booster::Prediction p, Run(x, false, end));
  return FromFloats(p.values, ToShape(p.shape));
}

}  // namespace ferry::xgboost
