// Fuzz: the protobuf body reader kubectl's typed clients hit. Never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/kube_protobuf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  (void)ferry::api::DecodeKubeProtobuf(body);
  (void)ferry::api::DecodeKubeProtobuf(std::string("k8s\0", 4) + body);
  return 0;
}
