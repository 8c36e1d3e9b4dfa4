// BuildContext: per-load state of the estimator builders (registry.h).
//
// A pickle can reference one object many times through its memo, so a small
// file could otherwise expand into a huge model (the same tree listed a
// million times, Pipelines sharing sub-pipelines at every level). The
// context bounds nesting, the number of estimators built and the number of
// array elements converted, and shares decoded trees by identity.
// Lives for one load call; single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "pickle/value.h"

namespace ferry::sklearn {

class TreeModel;

struct BuildContext {
  static constexpr int kMaxDepth = 32;
  static constexpr int kMaxEstimators = 100000;

  int depth = 0;
  int estimators = 0;
  int64_t element_budget = int64_t{1} << 24;  // raised by the loader from the input size
  std::vector<std::string> warnings;
  std::unordered_map<const pickle::Value*, std::shared_ptr<const TreeModel>> trees;

  // Accounts for n converted array elements.
  Status Charge(int64_t n) {
    element_budget -= n;
    if (element_budget < 0) {
      return ResourceExhaustedError(
          "the model expands to far more data than its file holds (shared references repeated "
          "many times); refusing to load it");
    }
    return OkStatus();
  }
};

}  // namespace ferry::sklearn
