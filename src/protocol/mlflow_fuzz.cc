// Fuzz target: MLflow /invocations bodies, read both as JSON and as CSV.
#include <cstdint>
#include <string_view>

#include "protocol/mlflow_json.h"

using namespace ferry::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  Parameters params;
  (void)ParseMlflowJson(body, &params);
  (void)ParseMlflowCsv(body);
  return 0;
}
