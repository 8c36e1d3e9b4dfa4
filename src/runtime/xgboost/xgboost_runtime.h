// The XGBoost FormatRuntime: loads model.bst / model.json / model.ubj (and the
// MLflow xgboost flavor's model.xgb) with libxgboost 1.7's C API.
//
// src/main registers it: registry.Register(ferry::xgboost::NewXgboostRuntime()).
// Stateless and thread-safe; each LoadFile returns an independent model whose
// predict semantics (Booster vs. XGBClassifier) are documented in
// runtime/xgboost/xgboost_model.h.
#pragma once

#include <memory>

#include "runtime/format_runtime.h"

namespace ferry::xgboost {

// name "xgboost", mlflow_flavor "xgboost", plain files model.bst, model.json, model.ubj.
std::unique_ptr<runtime::FormatRuntime> NewXgboostRuntime();

}  // namespace ferry::xgboost
