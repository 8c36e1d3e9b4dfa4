// Fuzz target: a Triton config.pbtxt arrives with a downloaded model and is
// untrusted. Parsing must never crash, hang, recurse without bound or throw;
// errors are Status values naming the line and column.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/triton_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = ferry::runtime::ParseTritonConfig(text, "fuzz config.pbtxt");
  if (config.ok()) {
    for (const auto& t : config->inputs) {
      (void)ferry::runtime::TritonDataType(t.data_type);
    }
  }
  return 0;
}
