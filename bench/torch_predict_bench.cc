// Ferry's per-predict overhead over calling libtorch directly, in one process
// (bench/torch_bench.py drives it).
//
//   torch_predict_bench MODEL_PT BACKEND_DIR ROWS BLOCKS CALLS
//
// Direct: torch::jit::load, then module.forward on an at::Tensor made with
// from_blob over the request's floats, under c10::InferenceMode (what a C++
// program embedding libtorch does). Ferry: the same file loaded through the
// backend loader (dlopen of libferry_pytorch.so from BACKEND_DIR, as `ferry
// serve` does) and Model::PredictTensors on a protocol::Tensor, outputs
// copied into protocol::Tensors. Both with one intra-op thread. BLOCKS
// alternating blocks of CALLS predicts each; prints one JSON line with the
// per-call time of every block (µs).
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/backend_loader.h"

namespace {

using Clock = std::chrono::steady_clock;

double PerCallUs(Clock::time_point t0, int calls) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / calls;
}

std::string Join(const std::vector<double>& v) {
  std::string s;
  for (double x : v) {
    s += (s.empty() ? "" : ", ") + std::to_string(x);
  }
  return "[" + s + "]";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s MODEL_PT BACKEND_DIR ROWS BLOCKS CALLS\n", argv[0]);
    return 2;
  }
  const std::string model_pt = argv[1];
  setenv("FERRY_BACKEND_DIR", argv[2], 1);
  const int rows = std::atoi(argv[3]);
  const int blocks = std::atoi(argv[4]);
  const int calls = std::atoi(argv[5]);
  at::set_num_threads(1);

  std::vector<float> x(static_cast<size_t>(rows) * 4);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(i % 7) * 0.25f - 0.5f;
  }

  torch::jit::Module direct = torch::jit::load(model_pt);
  direct.eval();

  ferry::runtime::BackendSpec spec{"pytorch", "PyTorch", "pytorch", {"model.pt"},
                                   "libferry_pytorch.so", "libtorch1.13", ""};
  ferry::runtime::BackendSettings settings;
  settings.predict_threads = 1;
  auto runtime = ferry::runtime::NewBackendRuntime(spec, settings);
  auto model = runtime->LoadFile(model_pt, ferry::runtime::LoadOptions{});
  if (!model.ok()) {
    std::fprintf(stderr, "load: %s\n", model.status().ToString().c_str());
    return 1;
  }
  ferry::protocol::Tensor in;
  in.name = "x";
  in.datatype = ferry::protocol::DataType::kFp32;
  in.shape = {rows, 4};
  in.raw.resize(x.size() * sizeof(float));
  std::memcpy(in.raw.data(), x.data(), in.raw.size());
  const std::vector<ferry::protocol::Tensor> inputs = {in};

  double sink = 0;
  std::vector<double> direct_us, ferry_us;
  for (int b = 0; b < blocks; ++b) {
    auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i) {
      c10::InferenceMode guard;
      at::Tensor t = at::from_blob(x.data(), {rows, 4}, at::kFloat);
      at::Tensor out = direct.forward({t}).toTensor();
      sink += out.data_ptr<float>()[0];
    }
    direct_us.push_back(PerCallUs(t0, calls));
    t0 = Clock::now();
    for (int i = 0; i < calls; ++i) {
      auto out = (*model)->PredictTensors(inputs, ferry::runtime::PredictMethod::kPredict);
      if (!out.ok()) {
        std::fprintf(stderr, "predict: %s\n", out.status().ToString().c_str());
        return 1;
      }
      sink += (*out)[0].AsDouble(0);
    }
    ferry_us.push_back(PerCallUs(t0, calls));
  }
  std::printf("{\"rows\": %d, \"direct_us\": %s, \"ferry_us\": %s, \"sink\": %g}\n", rows,
              Join(direct_us).c_str(), Join(ferry_us).c_str(), sink);
  return 0;
}
