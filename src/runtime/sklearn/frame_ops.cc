#include "runtime/sklearn/frame_ops.h"

#include <cmath>

namespace ferry::sklearn {

using protocol::Frame;

void SelectColumns(const Frame& in, const std::vector<size_t>& cols, Frame* out) {
  *out = Frame::Numeric(in.rows, cols.size());
  bool any_string = false;
  for (size_t c : cols) {
    any_string = any_string || in.is_string_col(c);
  }
  for (size_t j = 0; j < cols.size(); ++j) {
    if (any_string && in.is_string_col(cols[j])) {
      out->MakeStringColumn(j);
    }
  }
  for (size_t r = 0; r < in.rows; ++r) {
    for (size_t j = 0; j < cols.size(); ++j) {
      const size_t c = cols[j];
      out->numeric[r * out->cols + j] = in.numeric[r * in.cols + c];
      if (out->is_string_col(j)) {
        out->strings[r * out->cols + j] = in.strings[r * in.cols + c];
        out->missing[r * out->cols + j] = in.missing[r * in.cols + c];
      }
    }
  }
  if (!in.names.empty()) {
    for (size_t c : cols) {
      out->names.push_back(in.names[c]);
    }
  }
}

void HStack(const std::vector<Frame>& parts, size_t rows, Frame* out) {
  size_t cols = 0;
  bool any_string = false;
  for (const Frame& p : parts) {
    cols += p.cols;
    any_string = any_string || p.has_strings();
  }
  *out = Frame::Numeric(rows, cols);
  size_t off = 0;
  for (const Frame& p : parts) {
    for (size_t j = 0; j < p.cols; ++j) {
      if (any_string && p.is_string_col(j)) {
        out->MakeStringColumn(off + j);
      }
      for (size_t r = 0; r < rows; ++r) {
        out->numeric[r * cols + off + j] = p.numeric[r * p.cols + j];
        if (p.is_string_col(j)) {
          out->strings[r * cols + off + j] = p.strings[r * p.cols + j];
          out->missing[r * cols + off + j] = p.missing[r * p.cols + j];
        }
      }
    }
    off += p.cols;
  }
}

}  // namespace ferry::sklearn
