// The one list of model runtimes this binary registers.
#pragma once

#include "runtime/registry.h"

namespace ferry::main {

runtime::RuntimeRegistry BuildRuntimeRegistry();

}  // namespace ferry::main
