#include "protocol/frame.h"

#include <cmath>

namespace ferry::protocol {

bool Frame::is_missing(size_t r, size_t c) const {
  if (is_string_col(c)) return missing[r * cols + c] != 0;
  return std::isnan(numeric[r * cols + c]);
}

std::optional<size_t> Frame::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return std::nullopt;
}

Frame Frame::Numeric(size_t rows, size_t cols) {
  Frame f;
  f.ResetNumeric(rows, cols);
  return f;
}

void Frame::ResetNumeric(size_t r, size_t c) {
  rows = r;
  cols = c;
  names.clear();
  numeric.assign(r * c, 0.0);
  string_cols.clear();
  strings.clear();
  missing.clear();
}

void Frame::MakeStringColumn(size_t c) {
  if (string_cols.empty()) {
    string_cols.assign(cols, 0);
    strings.assign(rows * cols, std::string());
    missing.assign(rows * cols, 0);
  }
  string_cols[c] = 1;
  for (size_t r = 0; r < rows; ++r) numeric[r * cols + c] = std::nan("");
}

}  // namespace ferry::protocol
