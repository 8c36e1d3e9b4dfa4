// Fuzz target: any byte string must decode or fail cleanly, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pickle/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferry::pickle::ReadOptions options;
  options.max_bytes = 64 << 20;
  auto tree = ferry::pickle::ReadPickleBytes(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", options);
  if (tree.ok()) {
    (void)tree->root().Describe();
  }
  return 0;
}
