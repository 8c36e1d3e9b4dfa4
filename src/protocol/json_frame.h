// Internal to ferry_protocol: JSON row/column layouts → Frame, shared by the
// V1 and MLflow parsers (pandas-like reading, as KServe and MLflow do).
//
// A column holding any JSON string becomes a string column (numbers in it
// keep their JSON text); null is a missing cell; booleans are 1/0. Lists or
// objects inside a cell are rejected. Errors name the cell by its JSON path,
// e.g. "instances[2][1]".
#pragma once

#include <string>
#include <string_view>

#include "protocol/frame.h"
#include "protocol/json_dom.h"

namespace ferry::protocol::internal {

// A list of rows: all lists (each a row), all scalars (N × 1), or all
// objects (records: columns = union of keys in first-seen order, absent keys
// missing). `what` is the JSON path of the list ("instances").
StatusOr<Frame> FrameFromRows(array rows, std::string_view what);

// {"col": [v, ...], ...}: named columns of equal length.
StatusOr<Frame> FrameFromColumns(object columns, std::string_view what);

}  // namespace ferry::protocol::internal
