// Times one-row contributions (docs/explanations.md):
//   treeshap_bench SKLEARN_MODEL XGBOOST_MODEL ITERATIONS
// reads one row of doubles (whitespace-separated) from stdin and prints one
// JSON line with the median time of ITERATIONS calls of each:
//   ferry_sklearn_ns   Ferry's TreeSHAP on the scikit-learn model (Model::Predict)
//   ferry_xgboost_ns   Ferry's TreeSHAP on the XGBoost model (Model::Predict)
//   xgboost_ns         libxgboost's own pred_contribs on the same booster, through its C
//                      API on a DMatrix built once (one thread, as Ferry runs one request)
//   sklearn_predict_ns Ferry's predict_proba on the scikit-learn model, for scale
//   ferry_sklearn_cpu_ns  the first one's median thread CPU time per call
// bench/treeshap_bench.py trains the models and records the results.
#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <vector>

#include "runtime/sklearn/sklearn_runtime.h"
#include "runtime/xgboost/xgboost_runtime.h"

namespace {

using ferry::runtime::PredictMethod;

double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// Median wall time of `iterations` calls; `cpu_ns`, when given, receives the median of the
// calling thread's CPU time per call (what a call costs when the machine is shared: the wall
// time then includes waiting for a core).
double MedianNs(int iterations, const std::function<bool()>& call, double* cpu_ns = nullptr) {
  std::vector<double> ns, cpu;
  for (int i = 0; i < iterations; ++i) {
    const double c = ThreadCpuNs();
    auto s = std::chrono::steady_clock::now();
    if (!call()) std::exit(1);
    ns.push_back(
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - s).count());
    cpu.push_back(ThreadCpuNs() - c);
  }
  std::sort(ns.begin(), ns.end());
  std::sort(cpu.begin(), cpu.end());
  if (cpu_ns != nullptr) *cpu_ns = cpu[cpu.size() / 2];
  return ns[ns.size() / 2];
}

std::unique_ptr<ferry::runtime::Model> Load(const ferry::runtime::FormatRuntime& rt,
                                            const char* file) {
  auto m = rt.LoadFile(file, {});
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", m.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(m).value();
}

bool Check(int rc) {
  if (rc != 0) std::fprintf(stderr, "libxgboost: %s\n", XGBGetLastError());
  return rc == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s SKLEARN_MODEL XGBOOST_MODEL ITERATIONS\n", argv[0]);
    return 2;
  }
  const int iterations = std::atoi(argv[3]);
  std::vector<double> row;
  for (double v; std::cin >> v;) row.push_back(v);
  ferry::protocol::Frame frame = ferry::protocol::Frame::Numeric(1, row.size());
  frame.numeric = row;

  auto sklearn = Load(*ferry::sklearn::NewSklearnRuntime(), argv[1]);
  auto xgb = Load(*ferry::xgboost::NewXgboostRuntime(), argv[2]);
  auto run = [&](const ferry::runtime::Model& m, PredictMethod method) {
    auto out = m.Predict(frame, method);
    if (!out.ok()) std::fprintf(stderr, "%s\n", out.status().ToString().c_str());
    return out.ok();
  };
  double ferry_sklearn_cpu = 0;
  const double ferry_sklearn = MedianNs(
      iterations, [&] { return run(*sklearn, PredictMethod::kContributions); }, &ferry_sklearn_cpu);
  const double ferry_xgboost =
      MedianNs(iterations, [&] { return run(*xgb, PredictMethod::kContributions); });
  const double sklearn_predict =
      MedianNs(iterations, [&] { return run(*sklearn, PredictMethod::kPredictProba); });

  BoosterHandle booster = nullptr;
  DMatrixHandle dmat = nullptr;
  std::vector<float> cells(row.begin(), row.end());
  if (!Check(XGBoosterCreate(nullptr, 0, &booster)) ||
      !Check(XGBoosterLoadModel(booster, argv[2])) ||
      !Check(XGBoosterSetParam(booster, "nthread", "1")) ||
      !Check(XGDMatrixCreateFromMat(cells.data(), 1, cells.size(), std::nanf(""), &dmat))) {
    return 1;
  }
  const char* config =
      "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
      "\"strict_shape\": false}";
  const double xgboost = MedianNs(iterations, [&] {
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    return Check(XGBoosterPredictFromDMatrix(booster, dmat, config, &shape, &dim, &result));
  });
  XGDMatrixFree(dmat);
  XGBoosterFree(booster);
  std::printf(
      "{\"ferry_sklearn_ns\": %.1f, \"ferry_xgboost_ns\": %.1f, \"xgboost_ns\": %.1f, "
      "\"sklearn_predict_ns\": %.1f, \"ferry_sklearn_cpu_ns\": %.1f}\n",
      ferry_sklearn, ferry_xgboost, xgboost, sklearn_predict, ferry_sklearn_cpu);
  return 0;
}
