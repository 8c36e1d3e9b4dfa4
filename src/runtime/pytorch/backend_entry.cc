// libferry_pytorch.so's entry point (runtime/backend.h): TorchScript models
// through libtorch, which only this backend links. At start it bounds
// libtorch's CPU threads to the server's predict threads (intra-op and
// inter-op pools are process-wide and sized once).
#include <ATen/Parallel.h>

#include "runtime/backend_export.h"
#include "runtime/pytorch/torch_runtime.h"

namespace ferry::pytorch {
namespace {

std::unique_ptr<runtime::FormatRuntime> NewBackend(const runtime::BackendHost& host,
                                                   std::string* error) {
  const int threads = host.predict_threads > 0 ? host.predict_threads : 1;
  try {
    at::set_num_threads(threads);
    at::set_num_interop_threads(threads);
  } catch (const std::exception& e) {
    *error = "libtorch refused " + std::to_string(threads) + " threads: " + e.what();
    return nullptr;
  }
  return NewTorchRuntime();
}

}  // namespace
}  // namespace ferry::pytorch

FERRY_EXPORT_BACKEND("pytorch", ferry::pytorch::NewBackend)
