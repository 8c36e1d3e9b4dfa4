// The one list of model formats this binary serves: each is a backend shared
// object (runtime/backend.h) loaded the first time a model of its format is
// loaded. Called by `ferry serve` and `ferry up` at start; `ferry --version`
// prints BackendStatus().
#pragma once

#include <string>

#include "runtime/registry.h"

namespace ferry::main {

// predict_threads: how many threads one predict may use inside a framework
// (PyTorch's intra-op pool): `--predict_threads`, else the cgroup CPU count.
runtime::RuntimeRegistry BuildRuntimeRegistry(int predict_threads);

// One line per backend: its format, file, and whether it is there, e.g.
// "pytorch  libferry_pytorch.so  not built (install libtorch-dev and rebuild)".
std::string BackendStatus();

}  // namespace ferry::main
