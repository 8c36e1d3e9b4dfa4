#include "runtime/registry.h"

#include <utility>

namespace ferry::runtime {

void RuntimeRegistry::Register(std::unique_ptr<FormatRuntime> runtime) {
  if (runtime != nullptr) {
    runtimes_.push_back(std::move(runtime));
  }
}

const FormatRuntime* RuntimeRegistry::FindByName(std::string_view name) const {
  for (const auto& r : runtimes_) {
    if (r->name() == name) {
      return r.get();
    }
  }
  return nullptr;
}

const FormatRuntime* RuntimeRegistry::FindByMlflowFlavor(std::string_view flavor) const {
  for (const auto& r : runtimes_) {
    if (r->mlflow_flavor() == flavor) {
      return r.get();
    }
  }
  return nullptr;
}

}  // namespace ferry::runtime
