// Model: one loaded, immutable model that predicts on a Frame.
//
// Contract (after Triton's backend API): a Model is created by a
// FormatRuntime::Load* call, is immutable afterwards, and Predict() is
// thread-safe — any number of threads may call it at once on the same Model.
// The caller owns the Model (unique_ptr); the Frame and returned Tensor are
// plain values. Predict never executes anything that came from the model file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/frame.h"
#include "protocol/infer.h"
#include "protocol/tensor.h"

namespace ferry::runtime {

// The estimator method a request runs (MLflow's `predict_fn`, MLServer's
// requested output names). kContributions is Ferry's own: exact per-feature
// contributions to the model's raw output (TreeSHAP for tree models, coef·x
// for linear models; docs/explanations.md), asked as the V2 output
// "contributions" or through V1 `:explain`.
enum class PredictMethod {
  kPredict,
  kPredictProba,
  kPredictLogProba,
  kDecisionFunction,
  kContributions,
};
std::string_view PredictMethodName(PredictMethod m);  // "predict_proba" ...
std::optional<PredictMethod> ParsePredictMethod(std::string_view name);

// What a model knows about itself, used for V2 metadata when there is no
// MLflow signature.
struct ModelInfo {
  std::string framework;               // "sklearn", "xgboost"
  std::string description;             // e.g. "Pipeline(StandardScaler, LogisticRegression)"
  int64_t n_features = -1;             // -1 when unknown
  std::vector<std::string> feature_names;  // feature_names_in_, when fitted on a DataFrame
  bool needs_strings = false;          // some input column is categorical/string
  protocol::DataType output_datatype = protocol::DataType::kFp64;  // of predict()
  std::vector<std::string> classes;    // classes_ rendered as text, classifiers only
  std::vector<PredictMethod> methods;  // supported methods; predict always first
  std::vector<std::string> warnings;   // load-time warnings (e.g. unknown sklearn version)
  // Tensor-native models (PyTorch): inputs are named n-d tensors of their own
  // datatypes and there may be several outputs, so V2 requests skip the Frame
  // codecs and call PredictTensors. These specs are the model's own V2
  // metadata (names, datatypes, shapes; -1 = any), inputs in call order.
  bool tensor_io = false;
  std::vector<protocol::TensorSpec> tensor_inputs;
  std::vector<protocol::TensorSpec> tensor_outputs;
  // Why kContributions is missing from `methods` when the reason is specific
  // to this model (e.g. "its trees use categorical splits"); empty otherwise.
  std::string contributions_refusal;
};

class Model {
 public:
  virtual ~Model() = default;

  virtual const ModelInfo& info() const = 0;

  // Runs `method` on x. Returns a tensor shaped [rows] (labels, regression
  // values) or [rows, k] (probabilities, decision values); kContributions
  // returns FP64 [rows, n_features + 1] for a single raw output, or
  // [rows, outputs, n_features + 1] (one block per class or target), the
  // bias last. The name is left empty for the server to fill in. Errors:
  // InvalidArgument for inputs the model cannot take (wrong feature count,
  // strings where numbers are needed), Unimplemented for a method the model
  // lacks.
  virtual StatusOr<protocol::Tensor> Predict(const protocol::Frame& x,
                                             PredictMethod method) const = 0;

  // Tensor-native models (info().tensor_io): runs `method` on named input
  // tensors (request order; the model matches them to its inputs) and returns
  // every output, named. Same error codes as Predict. Others: Unimplemented.
  virtual StatusOr<std::vector<protocol::Tensor>> PredictTensors(
      const std::vector<protocol::Tensor>& inputs, PredictMethod method) const;
};

// True when `info` lists `m` (predict is always supported).
bool SupportsMethod(const ModelInfo& info, PredictMethod m);

// The refusal for a contributions request to a model that cannot explain:
// Unimplemented, naming the model, why, and what Ferry can explain.
Status ContributionsRefused(std::string_view model_name, const ModelInfo& info);

}  // namespace ferry::runtime
