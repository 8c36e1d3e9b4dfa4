// MLflow scoring-server codec (`mlflow models serve`, POST /invocations):
// JSON and CSV bodies → Frame, predictions and errors → JSON.
// Reference: kserve-protocol.md §3.4.
//
// JSON bodies hold exactly one of "dataframe_split" ({"columns", "data",
// optional "index"}), "dataframe_records" ([{col: v}, ...]), "instances"
// (rows, or records) or "inputs" (rows, or {name: column}), plus an optional
// "params" object. Column names are kept in Frame::names. Called by the HTTP
// server; thread-safe; results own their data.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "protocol/frame.h"
#include "protocol/tensor.h"

namespace ferry::protocol {

// `params_out` (may be null) receives the "params" object's entries.
StatusOr<Frame> ParseMlflowJson(std::string_view json, Parameters* params_out);

// text/csv: first row = column names; numeric columns when every non-empty
// cell is a number (True/False count as 1/0), string columns otherwise;
// empty, NA, NaN, null, None cells are missing. RFC 4180 quoting.
StatusOr<Frame> ParseMlflowCsv(std::string_view csv);

// {"predictions": [...]} ([N, k] → list of rows; NaN → null).
std::string WriteMlflowPredictions(const Tensor& prediction);

// {"error_code": "BAD_REQUEST", "message": "..."}
std::string WriteMlflowError(std::string_view error_code, std::string_view message);

}  // namespace ferry::protocol
