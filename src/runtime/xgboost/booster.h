// Booster: RAII owner of one libxgboost BoosterHandle, with the few C API calls
// the xgboost runtime needs, each turned into a Status (XGBGetLastError text).
//
// Created by XgboostRuntime::LoadFile; owned by one XgboostModel. After
// loading (and the warm-up prediction the model runs), PredictDense may be
// called from many threads at once for tree boosters: libxgboost keeps the
// prediction buffer per thread and per booster (documented thread-safe for
// gbtree/dart since 1.4). The metadata calls are for load time only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace ferry::xgboost {

class Booster {
 public:
  // Loads JSON, UBJSON or legacy binary bytes (libxgboost sniffs the format).
  // `file` names the source in errors.
  static StatusOr<std::unique_ptr<Booster>> Load(const std::string& bytes,
                                                 const std::filesystem::path& file);
  ~Booster();
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;

  StatusOr<std::string> SaveJsonConfig() const;
  // The whole model (trees, base_score, objective) as XGBoost's JSON format.
  StatusOr<std::string> SaveModelJson() const;
  StatusOr<int64_t> NumFeatures() const;
  StatusOr<int64_t> BoostedRounds() const;
  StatusOr<std::optional<std::string>> Attr(const std::string& key) const;
  StatusOr<std::vector<std::string>> FeatureNames() const;

  struct Prediction {
    std::vector<float> values;
    std::vector<uint64_t> shape;
  };
  // In-place prediction on a row-major float64 matrix. `iteration_end` 0 = all
  // trees; `missing` marks absent cells (NaN is always missing as well).
  // Batches above kPredictChunkRows run in chunks of that many rows, with the
  // thread's deadline (common/deadline.h) checked between them.
  static constexpr uint64_t kPredictChunkRows = 4096;
  StatusOr<Prediction> PredictDense(const double* data, uint64_t rows, uint64_t cols, bool margin,
                                    int64_t iteration_end, double missing) const;

  // Linear boosters (gblinear) have no in-place prediction: PredictDense then
  // builds a DMatrix per chunk. Set at load, before the booster is shared.
  void PredictThroughDMatrix() { through_dmatrix_ = true; }

 private:
  explicit Booster(void* handle) : handle_(handle) {}
  // One chunk's prediction; the result points into libxgboost's per-thread buffer.
  Status PredictChunk(const double* data, uint64_t rows, uint64_t cols, const std::string& config,
                      double missing, const uint64_t** shape, uint64_t* dim,
                      const float** result) const;
  void* handle_;  // BoosterHandle
  bool through_dmatrix_ = false;
};

}  // namespace ferry::xgboost
