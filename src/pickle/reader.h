// Safe pickle reader: decodes scikit-learn model files (pickle protocols 2-5,
// cloudpickle, joblib with or without zlib/gzip compression) into an inert
// pickle::ValueTree without running anything from the file.
//
// Called by model runtimes at load time (runtime/sklearn). Stateless and
// thread-safe. Only globals on the allow-list (allow_list.h) are accepted;
// anything else — os.system, builtins.eval, cloudpickle'd functions, numpy
// ufuncs — makes the read fail with PermissionDenied naming the global and
// the file. Malformed input is an InvalidArgument error, never a crash.
// Memory use is bounded by the input size (decompressed size for compressed
// joblib files, capped by ReadOptions).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "common/status.h"
#include "pickle/value.h"

namespace ferry::pickle {

struct ReadOptions {
  // Largest file read from disk and largest decompressed joblib stream.
  uint64_t max_bytes = uint64_t{4} << 30;
};

// Decodes `bytes`; `name` (usually the file path) prefixes every error.
StatusOr<ValueTree> ReadPickleBytes(std::string_view bytes, std::string_view name,
                                    const ReadOptions& options = {});
StatusOr<ValueTree> ReadPickleFile(const std::filesystem::path& path,
                                   const ReadOptions& options = {});

}  // namespace ferry::pickle
