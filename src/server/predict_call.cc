#include "server/predict_call.h"

#include <chrono>
#include <cstdint>
#include <random>

namespace ferry::server {

StatusOr<protocol::Tensor> TimedPredict(const ModelEntry& m, const protocol::Frame& frame,
                                        runtime::PredictMethod method) {
  auto t0 = std::chrono::steady_clock::now();
  StatusOr<protocol::Tensor> out = m.served->model->Predict(frame, method);
  double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  double prev = m.ewma_predict_us.load(std::memory_order_relaxed);
  m.ewma_predict_us.store(prev == 0 ? us : prev * 0.9 + us * 0.1, std::memory_order_relaxed);
  return out;
}

bool RunsInline(const ModelEntry& m, size_t rows, double threshold_us, size_t max_rows) {
  return rows <= max_rows && m.ewma_predict_us.load(std::memory_order_relaxed) <= threshold_us;
}

std::string Uuid4() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
    uint64_t word = i < 16 ? a : b;
    out[pos++] = kHex[(word >> (60 - 4 * (i % 16))) & 0xf];
  }
  return out;
}

}  // namespace ferry::server
