#include "controller/work_key.h"

namespace ferry::controller {

std::string ToString(const WorkKey& key) {
  static constexpr const char* kNames[] = {
      "InferenceService",
      "credentials of namespace",
      "Profile",
      "gateway Service",
      "Job",
      "policies",
      "domain",
      "scale-to-zero tick",
      "wake-up of",
      "Namespace",
  };
  std::string out = kNames[static_cast<int>(key.kind)];
  if (key.ns.empty() && key.name.empty()) return out;
  if (key.ns.empty()) return out + " " + key.name;
  if (key.name.empty()) return out + " " + key.ns;
  return out + " " + key.ObjectKey();
}

}  // namespace ferry::controller
