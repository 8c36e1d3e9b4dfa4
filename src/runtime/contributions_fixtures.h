// Test-only: reading the contributions fixtures that
// tests/fixtures/explain/gen_explain.py writes into BUILD/fixtures/explain
// (the build target explain_fixtures), and comparing a model's
// `contributions` tensor with them. Shared by the sklearn and xgboost tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocol/frame.h"
#include "protocol/tensor.h"

namespace ferry::runtime::testing {

inline std::filesystem::path ExplainFixtures() {
  return std::filesystem::path(FERRY_BINARY_DIR) / "fixtures" / "explain";
}

inline nlohmann::json ReadFixtureJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  EXPECT_TRUE(in.good()) << "missing " << p << "; build the target explain_fixtures";
  return in.good() ? nlohmann::json::parse(in) : nlohmann::json();
}

// Rows of numbers, null = NaN.
inline protocol::Frame RowsToFrame(const nlohmann::json& rows) {
  protocol::Frame f = protocol::Frame::Numeric(rows.size(), rows.empty() ? 0 : rows[0].size());
  for (size_t r = 0; r < f.rows; ++r) {
    for (size_t c = 0; c < f.cols; ++c) {
      const auto& v = rows[r][c];
      f.numeric[r * f.cols + c] =
          v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
    }
  }
  return f;
}

// The tensor has the documented layout for `outputs` outputs of `features`
// features: [rows, features + 1] for one output, else [rows, outputs, features + 1].
inline void ExpectContributionsShape(const protocol::Tensor& t, size_t rows, size_t outputs,
                                     size_t features) {
  EXPECT_EQ(t.datatype, protocol::DataType::kFp64);
  const auto r = static_cast<int64_t>(rows);
  const auto w = static_cast<int64_t>(features + 1);
  if (outputs == 1) {
    EXPECT_EQ(t.shape, (protocol::Shape{r, w}));
  } else {
    EXPECT_EQ(t.shape, (protocol::Shape{r, static_cast<int64_t>(outputs), w}));
  }
}

// Element [row][output][feature] of `want` (nested JSON) against the tensor,
// within tol * (1 + scale) where scale is the sum of |want| over that row and
// output (the magnitude float32 rounding scales with; 0 = absolute tol).
inline void ExpectContributions(const protocol::Tensor& t, const nlohmann::json& want, double tol,
                                bool relative_to_row, const std::string& what) {
  const double* got = t.data<double>();
  size_t i = 0;
  for (size_t r = 0; r < want.size(); ++r) {
    for (size_t o = 0; o < want[r].size(); ++o) {
      double scale = 0;
      if (relative_to_row) {
        for (const auto& v : want[r][o]) scale += std::abs(v.get<double>());
      }
      for (size_t f = 0; f < want[r][o].size(); ++f, ++i) {
        const double w = want[r][o][f].get<double>();
        EXPECT_NEAR(got[i], w, tol * (1 + scale))
            << what << ": row " << r << " output " << o << " feature " << f;
      }
    }
  }
}

// Each row's and output's contributions add up to want[row][output].
inline void ExpectAdditivity(const protocol::Tensor& t, const nlohmann::json& want, size_t features,
                             double tol, const std::string& what) {
  const double* got = t.data<double>();
  size_t i = 0;
  for (size_t r = 0; r < want.size(); ++r) {
    for (size_t o = 0; o < want[r].size(); ++o) {
      double sum = 0;
      for (size_t f = 0; f <= features; ++f) sum += got[i++];
      EXPECT_NEAR(sum, want[r][o].get<double>(), tol) << what << ": row " << r << " output " << o;
    }
  }
}

}  // namespace ferry::runtime::testing
