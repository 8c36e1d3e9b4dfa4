// Times Ferry's native scikit-learn predict on a pickled model:
//   sklearn_predict_bench MODEL_FILE ROWS ITERATIONS METHOD
// reads ROWS x n_features doubles (whitespace-separated) from stdin, loads
// MODEL_FILE with the sklearn runtime, and prints one JSON line:
//   {"load_ms": ..., "predict_ns": ..., "rows": ...}
// (median of ITERATIONS predicts). bench/sklearn_bench.py drives it and runs
// scikit-learn itself on the same model and rows in the same run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "runtime/sklearn/sklearn_runtime.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODEL_FILE ROWS ITERATIONS METHOD\n", argv[0]);
    return 2;
  }
  size_t rows = std::strtoul(argv[2], nullptr, 10);
  int iterations = std::atoi(argv[3]);
  auto method = ferry::runtime::ParsePredictMethod(argv[4]);
  if (!method) return 2;
  std::vector<double> values;
  double v;
  while (std::cin >> v) values.push_back(v);
  auto runtime = ferry::sklearn::NewSklearnRuntime();
  auto t0 = std::chrono::steady_clock::now();
  auto model = runtime->LoadFile(argv[1], {});
  double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().message().c_str());
    return 1;
  }
  size_t cols = values.size() / rows;
  ferry::protocol::Frame frame = ferry::protocol::Frame::Numeric(rows, cols);
  frame.numeric = values;
  std::vector<double> ns;
  for (int i = 0; i < iterations; ++i) {
    auto s = std::chrono::steady_clock::now();
    auto out = (*model)->Predict(frame, *method);
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - s)
                     .count());
    if (!out.ok()) {
      std::fprintf(stderr, "%s\n", out.status().message().c_str());
      return 1;
    }
  }
  std::sort(ns.begin(), ns.end());
  std::printf("{\"load_ms\": %.4f, \"predict_ns\": %.1f, \"rows\": %zu}\n", load_ms,
              ns[ns.size() / 2], rows);
  return 0;
}
