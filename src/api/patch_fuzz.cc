// Fuzz: the patch appliers. Input = current object JSON, a 0x00 byte, then
// the patch body; every patch type is applied. Must never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/patch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t sep = in.find('\0');
  std::string_view cur_text = sep == std::string_view::npos ? "{}" : in.substr(0, sep);
  std::string_view patch = sep == std::string_view::npos ? in : in.substr(sep + 1);
  nlohmann::json current = nlohmann::json::parse(cur_text, nullptr, false);
  if (current.is_discarded()) current = nlohmann::json::object();
  for (auto type : {ferry::api::PatchType::kMerge, ferry::api::PatchType::kJson,
                    ferry::api::PatchType::kStrategic, ferry::api::PatchType::kApply}) {
    auto out = ferry::api::ApplyPatch(type, current, patch);
    (void)out;
  }
  return 0;
}
