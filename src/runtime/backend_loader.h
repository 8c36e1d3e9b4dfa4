// Backend runtimes: FormatRuntimes whose code is in a backend shared object
// (runtime/backend.h), loaded with dlopen the first time a model of their
// format is loaded — so `ferry serve` of a scikit-learn model never maps
// libxgboost or libtorch, and a build without libtorch still runs.
//
// src/main lists the backends (BackendSpec: format, labels, plain file names,
// the .so, the Debian package its libraries come from) and registers one
// NewBackendRuntime per entry; the registry answers format and layout
// questions from the spec alone. The first LoadFile looks for the file in
// BackendDirs(), dlopens it, checks its BackendAbi, creates its runtime and
// keeps both for the life of the process; a missing file or a failed dlopen
// is an error naming the format, the file and what to install, retried on the
// next load (installing the package fixes a running `ferry up`).
// Thread-safe: loads of one backend are serialized by its mutex.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "runtime/backend.h"
#include "runtime/format_runtime.h"

namespace ferry::runtime {

struct BackendSpec {
  std::string format;                    // KServe modelFormat name: "pytorch"
  std::string label;                     // "PyTorch"
  std::string mlflow_flavor;             // "pytorch"
  std::vector<std::string> plain_files;  // KServe plain layout names: "model.pt"
  std::string file;                      // "libferry_pytorch.so"
  // Debian package holding the libraries the backend links ("libtorch1.13"),
  // for a dlopen failure; empty when it needs none beyond Ferry's own.
  std::string package;
  // What a build without it needs ("install libtorch-dev and rebuild").
  std::string build_hint;
};

struct BackendSettings {
  int predict_threads = 1;  // BackendHost::predict_threads
};

std::unique_ptr<FormatRuntime> NewBackendRuntime(BackendSpec spec, BackendSettings settings);

// Where backends are looked for, in order: $FERRY_BACKEND_DIR alone when set;
// otherwise lib/ferry/backends next to the binary (the build tree:
// build/lib/ferry/backends) and ../lib/ferry/backends (an installed layout,
// /usr/local/bin/ferry -> /usr/local/lib/ferry/backends).
std::vector<std::filesystem::path> BackendDirs();

// The first existing `file` in BackendDirs(), or empty.
std::filesystem::path FindBackendFile(const std::string& file);

// Directory of the running binary (/proc/self/exe), empty when unknown.
std::filesystem::path BinaryDir();

}  // namespace ferry::runtime
