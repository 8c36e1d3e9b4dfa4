// RuntimeRegistry: the list of FormatRuntimes this binary can load models with.
//
// src/main builds one registry at start-up, registering every runtime explicitly
// in one list (no static-initialiser registration), then hands it by const
// reference to the loader (runtime/loader.h). Registration happens before any
// lookup; afterwards the registry is immutable and lookups are thread-safe.
// The registry owns its runtimes.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "runtime/format_runtime.h"

namespace ferry::runtime {

class RuntimeRegistry {
 public:
  // Adds a runtime. A later runtime with the same name or MLflow flavor does not
  // shadow an earlier one: lookups return the first match.
  void Register(std::unique_ptr<FormatRuntime> runtime);

  // By KServe model format name ("sklearn", "xgboost"); nullptr when absent.
  const FormatRuntime* FindByName(std::string_view name) const;
  // By MLflow flavor name ("sklearn", "xgboost"); nullptr when absent.
  const FormatRuntime* FindByMlflowFlavor(std::string_view flavor) const;

  const std::vector<std::unique_ptr<FormatRuntime>>& runtimes() const { return runtimes_; }

 private:
  std::vector<std::unique_ptr<FormatRuntime>> runtimes_;
};

}  // namespace ferry::runtime
