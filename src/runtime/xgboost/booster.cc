#include "runtime/xgboost/booster.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "common/deadline.h"

namespace ferry::xgboost {
namespace {

std::string LastError() {
  const char* e = XGBGetLastError();
  std::string msg = e != nullptr ? std::string(e) : std::string("unknown libxgboost error");
  // libxgboost appends a native stack trace that means nothing to a user.
  if (const size_t pos = msg.find("Stack trace:"); pos != std::string::npos) {
    msg.resize(pos);
  }
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
    msg.pop_back();
  }
  return msg;
}

// JSON number text; libxgboost's JSON reader accepts NaN like Python's json.dumps writes it.
std::string NumberText(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

}  // namespace

StatusOr<std::unique_ptr<Booster>> Booster::Load(const std::string& bytes,
                                                 const std::filesystem::path& file) {
  BoosterHandle handle = nullptr;
  if (XGBoosterCreate(nullptr, 0, &handle) != 0) {
    return InternalError("libxgboost could not create a booster: " + LastError());
  }
  std::unique_ptr<Booster> booster(new Booster(handle));
  if (XGBoosterLoadModelFromBuffer(handle, bytes.data(), bytes.size()) != 0) {
    return InvalidArgumentError("XGBoost model file " + file.string() +
                                " could not be loaded by libxgboost 1.7: " + LastError() +
                                ". Save it with Booster.save_model (JSON, UBJSON or binary)");
  }
  // One OpenMP thread per prediction, like KServe xgbserver's --nthread default:
  // the server runs requests in parallel, and nested OpenMP teams oversubscribe.
  if (XGBoosterSetParam(handle, "nthread", "1") != 0) {
    return InternalError("libxgboost rejected nthread=1: " + LastError());
  }
  return booster;
}

Booster::~Booster() {
  if (handle_ != nullptr) {
    XGBoosterFree(handle_);
  }
}

StatusOr<std::string> Booster::SaveJsonConfig() const {
  bst_ulong len = 0;
  const char* out = nullptr;
  if (XGBoosterSaveJsonConfig(handle_, &len, &out) != 0) {
    return InternalError("libxgboost could not report the model config: " + LastError());
  }
  return std::string(out, len);
}

StatusOr<std::string> Booster::SaveModelJson() const {
  bst_ulong len = 0;
  const char* out = nullptr;
  if (XGBoosterSaveModelToBuffer(handle_, "{\"format\": \"json\"}", &len, &out) != 0) {
    return InternalError("libxgboost could not write the model as JSON: " + LastError());
  }
  return std::string(out, len);
}

StatusOr<int64_t> Booster::NumFeatures() const {
  bst_ulong n = 0;
  if (XGBoosterGetNumFeature(handle_, &n) != 0) {
    return InternalError("libxgboost could not report the feature count: " + LastError());
  }
  return static_cast<int64_t>(n);
}

StatusOr<int64_t> Booster::BoostedRounds() const {
  int n = 0;
  if (XGBoosterBoostedRounds(handle_, &n) != 0) {
    return InternalError("libxgboost could not report the round count: " + LastError());
  }
  return n;
}

StatusOr<std::optional<std::string>> Booster::Attr(const std::string& key) const {
  const char* out = nullptr;
  int success = 0;
  if (XGBoosterGetAttr(handle_, key.c_str(), &out, &success) != 0) {
    return InternalError("libxgboost could not read attribute " + key + ": " + LastError());
  }
  if (success == 0 || out == nullptr) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(out);
}

StatusOr<std::vector<std::string>> Booster::FeatureNames() const {
  bst_ulong n = 0;
  const char** names = nullptr;
  if (XGBoosterGetStrFeatureInfo(handle_, "feature_name", &n, &names) != 0) {
    return InternalError("libxgboost could not report feature names: " + LastError());
  }
  std::vector<std::string> out;
  for (bst_ulong i = 0; i < n; ++i) {
    out.emplace_back(names[i]);
  }
  return out;
}

Status Booster::PredictChunk(const double* data, uint64_t rows, uint64_t cols,
                             const std::string& config, double missing, const uint64_t** shape,
                             uint64_t* dim, const float** result) const {
  static_assert(sizeof(bst_ulong) == sizeof(uint64_t));
  auto* out_shape = reinterpret_cast<const bst_ulong**>(shape);
  auto* out_dim = reinterpret_cast<bst_ulong*>(dim);
  if (!through_dmatrix_) {
    char array[160];
    std::snprintf(array, sizeof(array),
                  "{\"data\": [%llu, true], \"shape\": [%llu, %llu], \"typestr\": \"<f8\", "
                  "\"version\": 3}",
                  static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(data)),
                  static_cast<unsigned long long>(rows), static_cast<unsigned long long>(cols));
    if (XGBoosterPredictFromDense(handle_, array, config.c_str(), nullptr, out_shape, out_dim,
                                  result) != 0) {
      return InvalidArgumentError("XGBoost prediction failed: " + LastError());
    }
    return OkStatus();
  }
  // libxgboost reads float32 cells, as its in-place path does.
  std::vector<float> cells(data, data + rows * cols);
  DMatrixHandle dmat = nullptr;
  if (XGDMatrixCreateFromMat(cells.data(), rows, cols, static_cast<float>(missing), &dmat) != 0) {
    return InvalidArgumentError("XGBoost could not take the input rows: " + LastError());
  }
  const int rc =
      XGBoosterPredictFromDMatrix(handle_, dmat, config.c_str(), out_shape, out_dim, result);
  XGDMatrixFree(dmat);  // the result lives in the booster's per-thread buffer, not the matrix
  if (rc != 0) {
    return InvalidArgumentError("XGBoost prediction failed: " + LastError());
  }
  return OkStatus();
}

StatusOr<Booster::Prediction> Booster::PredictDense(const double* data, uint64_t rows,
                                                    uint64_t cols, bool margin,
                                                    int64_t iteration_end, double missing) const {
  const std::string config = std::string("{\"type\": ") + (margin ? "1" : "0") +
                             ", \"training\": false, \"iteration_begin\": 0, \"iteration_end\": " +
                             std::to_string(iteration_end) +
                             ", \"strict_shape\": false, \"cache_id\": 0, " +
                             "\"missing\": " + NumberText(missing) + "}";
  // Large batches go in chunks with a deadline check between them
  // (common/deadline.h), so a predict past its deadline stops.
  Prediction p;
  for (uint64_t off = 0; off < rows || (rows == 0 && off == 0); off += kPredictChunkRows) {
    if (off > 0) RETURN_IF_ERROR(CheckDeadline());
    const uint64_t n = std::min<uint64_t>(kPredictChunkRows, rows - off);
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    RETURN_IF_ERROR(
        PredictChunk(data + off * cols, n, cols, config, missing, &shape, &dim, &result));
    // The result buffer is libxgboost's per-thread storage: copy it out now.
    uint64_t count = 1;
    std::vector<uint64_t> chunk_shape;
    for (bst_ulong i = 0; i < dim; ++i) {
      chunk_shape.push_back(shape[i]);
      count *= shape[i];
    }
    if (off == 0) {
      p.shape = std::move(chunk_shape);
    } else if (dim == 0 || chunk_shape.size() != p.shape.size() || chunk_shape[0] != n ||
               !std::equal(chunk_shape.begin() + 1, chunk_shape.end(), p.shape.begin() + 1)) {
      return InternalError("XGBoost answered a chunk of " + std::to_string(n) +
                           " rows with an inconsistent shape");
    } else {
      p.shape[0] += n;
    }
    p.values.insert(p.values.end(), result, result + count);
  }
  return p;
}

}  // namespace ferry::xgboost
