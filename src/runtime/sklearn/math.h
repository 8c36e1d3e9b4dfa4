// Numeric helpers that must match numpy/scipy/sklearn bit-for-bit where it
// matters (expit, softmax, logsumexp as sklearn computes them).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ferry::sklearn {

// scipy.special.expit.
inline double Expit(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// sklearn.utils.extmath.softmax on one row: subtract max, exp, divide by sum.
inline void SoftmaxInPlace(double* v, size_t n) {
  double mx = v[0];
  for (size_t i = 1; i < n; ++i) {
    mx = std::max(mx, v[i]);
  }
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) {
    s += (v[i] = std::exp(v[i] - mx));
  }
  for (size_t i = 0; i < n; ++i) {
    v[i] /= s;
  }
}

// scipy.special.logsumexp on one row.
inline double LogSumExp(const double* v, size_t n) {
  double mx = v[0];
  for (size_t i = 1; i < n; ++i) {
    mx = std::max(mx, v[i]);
  }
  if (!std::isfinite(mx)) {
    mx = 0.0;
  }
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) {
    s += std::exp(v[i] - mx);
  }
  return std::log(s) + mx;
}

}  // namespace ferry::sklearn
