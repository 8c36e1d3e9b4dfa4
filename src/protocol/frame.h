// Frame: a 2-D input X as scikit-learn and XGBoost see it — `rows` samples by
// `cols` features, optionally with column names (a pandas DataFrame) and with
// string (object) columns.
//
// Codecs build a Frame from a V2 request (np/pd content types), a V1
// `instances` list or an MLflow `dataframe_split`; runtimes read it. Numeric
// cells live in `numeric` (row-major, NaN = missing). When any column holds
// strings, `string_cols[c]` is 1 for it and its cells live in `strings`
// (row-major, same indexing) with `missing` marking JSON nulls; those cells
// hold NaN in `numeric`.
//
// Value type, not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::protocol {

struct Frame {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<std::string> names;   // empty, or one per column
  std::vector<double> numeric;      // rows * cols
  std::vector<uint8_t> string_cols; // empty (all numeric) or one per column
  std::vector<std::string> strings; // rows * cols when string_cols non-empty
  std::vector<uint8_t> missing;     // rows * cols when string_cols non-empty

  bool has_strings() const { return !string_cols.empty(); }
  bool is_string_col(size_t c) const { return !string_cols.empty() && string_cols[c] != 0; }
  double at(size_t r, size_t c) const { return numeric[r * cols + c]; }
  bool is_missing(size_t r, size_t c) const;  // NaN numeric or null string
  const std::string& str_at(size_t r, size_t c) const { return strings[r * cols + c]; }
  // Index of the column named `name`, or nullopt.
  std::optional<size_t> ColumnIndex(std::string_view name) const;

  // Allocates an all-numeric rows x cols frame filled with 0.
  static Frame Numeric(size_t rows, size_t cols);
  // The same in place: every field reset, the vectors' storage kept for reuse.
  void ResetNumeric(size_t rows, size_t cols);
  // Turns column c into a string column (allocating string storage on first use).
  void MakeStringColumn(size_t c);
};

}  // namespace ferry::protocol
