// Fuzz target: KServe V1 request parsing and prediction encoding.
#include <cstdint>
#include <string_view>

#include "protocol/v1_json.h"

using namespace ferry::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  (void)LooksLikeV2Body(json);
  auto frame = ParseV1Request(json);
  if (frame.ok() && !frame->has_strings()) {
    (void)WriteV1Predictions(Tensor::FromDoubles(
        frame->numeric, {static_cast<int64_t>(frame->rows), static_cast<int64_t>(frame->cols)}));
  }
  return 0;
}
