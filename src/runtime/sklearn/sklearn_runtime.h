// Native scikit-learn runtime: serves pickled/joblib scikit-learn models
// without Python.
//
// The FormatRuntime from NewSklearnRuntime() is registered in src/main's
// runtime list. LoadFile reads the file with ferry::pickle (which refuses
// anything that would execute code), builds typed estimators from the value
// tree (registry.h lists the supported classes) and returns an immutable
// runtime::Model whose Predict is thread-safe and allocation-light.
// Output conventions: predict -> [rows] (INT64 integer classes, FP64 float
// classes or regression, BYTES string classes; [rows, n_outputs] for
// multi-output regressors); predict_proba / predict_log_proba /
// decision_function -> [rows, k] FP64, or [rows] where sklearn returns 1-D
// (binary decision_function).
#pragma once

#include <filesystem>
#include <memory>

#include "common/status.h"
#include "pickle/value.h"
#include "runtime/format_runtime.h"

namespace ferry::sklearn {

std::unique_ptr<runtime::FormatRuntime> NewSklearnRuntime();

// Builds a Model from an already decoded pickle (tests, other loaders). `source` names it in
// errors. The tree is only read during the call; the Model does not keep it.
StatusOr<std::unique_ptr<runtime::Model>> ModelFromTree(const pickle::ValueTree& tree,
                                                        const std::string& source);

}  // namespace ferry::sklearn
