// ServedModel: one model as `ferry serve` (and later the controller) serves it —
// the loaded Model plus everything the HTTP layer needs to describe it: V2
// metadata, the default predict method, the response style and provenance.
//
// Built once by LoadModelDir (runtime/loader.h) and immutable afterwards; the
// server may share it between request threads (Model::Predict is thread-safe).
// The ServedModel owns its Model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "protocol/content_type.h"
#include "protocol/infer.h"
#include "runtime/model.h"

namespace ferry::runtime {

struct ServedModel {
  std::string name;  // the serving name (--model_name)
  std::unique_ptr<Model> model;
  // V2 metadata. From the MLflow signature when there is one (MLServer's rules:
  // ColSpec -> [-1, 1] per column, TensorSpec -> dtype/shape verbatim, names or
  // input-{i}/output-{i}, model-level content type dict/np/pd); otherwise derived
  // from ModelInfo (n_features -> input-0 [-1, n] FP64 with content type "np";
  // feature_names -> one [-1, 1] FP64 column each with model content type "pd";
  // output-0 [-1] of ModelInfo::output_datatype).
  protocol::ModelMetadata metadata;
  PredictMethod default_method = PredictMethod::kPredict;               // MLflow predict_fn
  protocol::OutputStyle output_style = protocol::OutputStyle::kKserve;  // kMlserver for MLflow dirs
  bool has_signature = false;
  std::string format;          // "mlflow" | "sklearn" | "xgboost"
  std::string source;          // e.g. "MLflow model (sklearn flavor, MLflow 2.10.1) at DIR/MLmodel"
  std::string mlflow_version;  // for GET /version; empty for plain layouts
  double load_seconds = 0;
  std::vector<std::string> warnings;
  // The MLflow input example (file named by saved_input_example_info, else
  // input_example.json), verbatim; empty when the model has none.
  std::string input_example_json;
  // saved_input_example_info.type: "dataframe" | "ndarray" | ... ; empty when unknown.
  std::string input_example_type;
};

}  // namespace ferry::runtime
