// Column operations on protocol::Frame used by the composite estimators:
// selecting columns (keeping string columns as strings) and stacking
// transformer outputs side by side. Pure functions.
#pragma once

#include <cstddef>
#include <vector>

#include "protocol/frame.h"

namespace ferry::sklearn {

// out = in[:, cols]. Names are kept when `in` has them.
void SelectColumns(const protocol::Frame& in, const std::vector<size_t>& cols,
                   protocol::Frame* out);
// out = [parts[0] | parts[1] | ...]; all parts have the same row count.
void HStack(const std::vector<protocol::Frame>& parts, size_t rows, protocol::Frame* out);

}  // namespace ferry::sklearn
