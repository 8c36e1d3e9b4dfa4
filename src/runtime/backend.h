// The backend interface: what a framework backend (a shared object such as
// libferry_sklearn.so) exports, and what Ferry hands it. Version 1.
//
// A backend is one FormatRuntime (runtime/format_runtime.h) behind one C
// symbol, `ferry_backend_v1`, which returns a BackendDescriptor. Ferry dlopens
// the file the first time a model of its format is loaded
// (runtime/backend_loader.h), checks the descriptor's BackendAbi against its
// own, then calls `create` once; the runtime it returns loads models whose
// Predict / PredictTensors Ferry calls like any other Model.
//
// Why a C++ interface and not a C one (Triton's tritonbackend.h is C): every
// backend is built from this tree, by the same compiler, in the same CMake
// run as the binary, so the C++ types the runtimes already speak (Frame,
// Tensor, Status, ModelInfo) can cross the boundary as they are — no copy of
// the inputs into C structs and back, no second description of a model next
// to ModelInfo. What a C interface would guarantee by construction is checked
// at load instead: BackendAbi carries the interface version, the sizes of the
// types that cross, the compiler, and a hash of the headers that define them
// (computed by CMake); a backend that differs in any of them is refused with
// "rebuild it", before any of its C++ code runs.
//
// Ownership and state: a backend links its own copy of Ferry's common,
// protocol and runtime code with hidden symbols (nothing interposes across
// the boundary). The one per-thread state that must cross — the deadline of
// the predict running on the calling thread (common/deadline.h) — is read
// through BackendHost, and ExportBackend (runtime/backend_export.h) installs it
// around every predict. Objects are destroyed on the side that created them
// (virtual destructors). A loaded backend is never unloaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/deadline.h"
#include "runtime/backend_abi_hash.h"  // generated: FERRY_BACKEND_INTERFACE_HASH
#include "runtime/format_runtime.h"

namespace ferry::runtime {

inline constexpr uint32_t kBackendAbiVersion = 1;
inline constexpr char kBackendEntrySymbol[] = "ferry_backend_v1";

// What Ferry passes a backend's `create`. Valid for the life of the process.
struct BackendHost {
  uint32_t abi_version = kBackendAbiVersion;
  uint32_t size = sizeof(BackendHost);
  // Threads one predict may use inside the framework (PyTorch's intra-op
  // pool, OpenMP): `ferry serve --predict_threads`, else the cgroup CPU count.
  int predict_threads = 1;
  // The calling thread's deadline and what it names (Ferry's thread-local).
  DeadlineClock::time_point (*current_deadline)() = nullptr;
  std::string_view (*current_deadline_what)() = nullptr;
};

// The layout fingerprint both sides compute from their own compilation.
struct BackendAbi {
  uint32_t version = kBackendAbiVersion;
  uint32_t sizeof_host = sizeof(BackendHost);
  uint32_t sizeof_status = sizeof(Status);
  uint32_t sizeof_frame = sizeof(protocol::Frame);
  uint32_t sizeof_tensor = sizeof(protocol::Tensor);
  uint32_t sizeof_model_info = sizeof(ModelInfo);
  uint32_t sizeof_load_options = sizeof(LoadOptions);
  const char* compiler = __VERSION__;
  const char* interface_hash = FERRY_BACKEND_INTERFACE_HASH;
};

// Empty when `theirs` matches this build; otherwise what differs, for the error.
std::string CompareBackendAbi(const BackendAbi& theirs);

struct BackendDescriptor {
  BackendAbi abi;
  const char* format;  // the KServe format name it serves ("sklearn")
  // Creates the backend's runtime; null with *error set when the framework
  // cannot start (e.g. libtorch refuses the thread settings).
  std::unique_ptr<FormatRuntime> (*create)(const BackendHost& host, std::string* error);
};

}  // namespace ferry::runtime

// The one symbol a backend exports (runtime/backend_export.h defines it).
extern "C" const ferry::runtime::BackendDescriptor* ferry_backend_v1();
