#include "server/frame_alignment.h"

#include <cmath>

namespace ferry::server {

using protocol::Frame;
using protocol::ModelMetadata;

namespace {

// Column-signature models: one input spec per column.
StatusOr<Frame> AlignColumns(Frame frame, const ModelMetadata& md) {
  const auto& specs = md.inputs;
  if (frame.names.empty()) {
    if (frame.cols != specs.size()) {
      return InvalidArgumentError("model expects " + std::to_string(specs.size()) +
                                  " columns per row but a row has " + std::to_string(frame.cols));
    }
    for (const auto& s : specs) frame.names.push_back(s.name);
    return frame;
  }
  std::vector<size_t> src(specs.size());
  std::string missing;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto idx = frame.ColumnIndex(specs[i].name);
    if (!idx) {
      missing += (missing.empty() ? "'" : ", '") + specs[i].name + "'";
      continue;
    }
    src[i] = *idx;
  }
  if (!missing.empty()) return InvalidArgumentError("Model is missing inputs [" + missing + "]");
  Frame out = Frame::Numeric(frame.rows, specs.size());
  out.names.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    out.names.push_back(specs[i].name);
    size_t c = src[i];
    if (frame.is_string_col(c)) {
      // Strings pass even where metadata says FP64: metadata derived from a
      // model without a signature cannot tell categorical columns apart, and
      // the model itself refuses strings it cannot use (as the V2 path does).
      out.MakeStringColumn(i);
      for (size_t r = 0; r < frame.rows; ++r) {
        out.strings[r * out.cols + i] = std::move(frame.strings[r * frame.cols + c]);
        out.missing[r * out.cols + i] = frame.missing[r * frame.cols + c];
      }
    } else {
      for (size_t r = 0; r < frame.rows; ++r) {
        out.numeric[r * out.cols + i] = frame.numeric[r * frame.cols + c];
      }
    }
  }
  return out;
}

}  // namespace

StatusOr<Frame> AlignFrameToMetadata(Frame frame, const ModelMetadata& md) {
  if (md.inputs.empty()) return frame;
  if (md.content_type == "pd" || md.inputs.size() > 1) return AlignColumns(std::move(frame), md);
  const auto& spec = md.inputs[0];
  if (spec.shape.size() == 2 && spec.shape[1] > 0 &&
      static_cast<size_t>(spec.shape[1]) != frame.cols) {
    return InvalidArgumentError(
        "model expects " + std::to_string(spec.shape[1]) + " features per row (signature input '" +
        spec.name + "' has shape " + protocol::ShapeToString(spec.shape) + ") but got " +
        std::to_string(frame.cols) +
        (frame.cols == 1 && frame.rows == static_cast<size_t>(spec.shape[1])
             ? " (the request holds " + std::to_string(frame.rows) +
                   " rows of 1 value: for one row of " + std::to_string(frame.rows) +
                   " features send a 2-D array, e.g. \"instances\": [[...]] on V1 or shape [1, " +
                   std::to_string(frame.rows) + "] on V2)"
             : std::string()));
  }
  return frame;
}

}  // namespace ferry::server
