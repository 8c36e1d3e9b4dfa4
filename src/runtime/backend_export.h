// FERRY_EXPORT_BACKEND: the one line a backend's entry file writes to define
// `ferry_backend_v1` (runtime/backend.h).
//
//   std::unique_ptr<runtime::FormatRuntime> NewTorchBackend(const runtime::BackendHost& host,
//                                                            std::string* error);
//   FERRY_EXPORT_BACKEND("pytorch", NewTorchBackend)
//
// The runtime the factory returns is wrapped so that every model it loads
// predicts under the caller's deadline (read from the host: the backend's own
// copy of common/deadline.cc has its own thread-local) and turns an exception
// escaping the framework into a Status, since no exception may cross into
// Ferry. Compiled into each backend only; the binary never links it.
#pragma once

#include <memory>
#include <string>

#include "runtime/backend.h"

namespace ferry::runtime {

using BackendFactory = std::unique_ptr<FormatRuntime> (*)(const BackendHost& host,
                                                          std::string* error);

// Wraps `inner` as described above.
std::unique_ptr<FormatRuntime> HostRuntime(std::unique_ptr<FormatRuntime> inner,
                                           const BackendHost& host);

template <BackendFactory Factory>
std::unique_ptr<FormatRuntime> CreateHostedRuntime(const BackendHost& host, std::string* error) {
  std::unique_ptr<FormatRuntime> inner = Factory(host, error);
  if (inner == nullptr) {
    return nullptr;
  }
  return HostRuntime(std::move(inner), host);
}

}  // namespace ferry::runtime

#define FERRY_EXPORT_BACKEND(format_name, factory)                                     \
  extern "C" __attribute__((visibility("default")))                                   \
  const ferry::runtime::BackendDescriptor* ferry_backend_v1() {                       \
    static const ferry::runtime::BackendDescriptor descriptor{                        \
        ferry::runtime::BackendAbi{}, format_name,                                    \
        &ferry::runtime::CreateHostedRuntime<factory>};                               \
    return &descriptor;                                                               \
  }
