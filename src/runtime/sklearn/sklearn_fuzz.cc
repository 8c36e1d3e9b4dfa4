// Fuzz target: read a pickle, build the model and predict on a small input.
// Any byte string must either be refused or give a working model; never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pickle/reader.h"
#include "runtime/sklearn/sklearn_runtime.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferry::pickle::ReadOptions options;
  options.max_bytes = 64 << 20;
  auto tree = ferry::pickle::ReadPickleBytes(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", options);
  if (!tree.ok()) {
    return 0;
  }
  auto model = ferry::sklearn::ModelFromTree(*tree, "fuzz");
  if (!model.ok()) {
    return 0;
  }
  const auto& info = (*model)->info();
  const size_t cols = info.n_features > 0 && info.n_features < 4096 ? info.n_features : 4;
  auto x = ferry::protocol::Frame::Numeric(3, cols);
  for (size_t i = 0; i < x.numeric.size(); ++i) {
    x.numeric[i] = static_cast<double>(i % 7) - 2.5;
  }
  if (!info.feature_names.empty() && info.feature_names.size() == cols) {
    x.names = info.feature_names;
  }
  if (cols > 1) {
    x.MakeStringColumn(cols - 1);
  }
  for (auto m : info.methods) {
    (void)(*model)->Predict(x, m);
  }
  auto numeric = ferry::protocol::Frame::Numeric(2, cols);
  for (auto m : info.methods) {
    (void)(*model)->Predict(numeric, m);
  }
  return 0;
}
