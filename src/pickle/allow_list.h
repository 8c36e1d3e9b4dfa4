// AllowList: which Python globals a pickle may reference, and what each one
// means to the reader. It is the whole security boundary of ferry::pickle:
// the reader never imports or calls anything, so a global is either mapped
// to one of the inert constructions below or the file is refused.
//
// Internal to the pickle library; stateless.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace ferry::pickle {

enum class GlobalRole : int {
  kClass = 1,      // inert instance: NEWOBJ/REDUCE record (module, name, args) only
  kDType,          // numpy.dtype
  kNDArrayType,    // numpy.ndarray: only an argument, never instantiated directly
  kReconstruct,    // numpy.core.multiarray._reconstruct
  kFromBuffer,     // numpy.core.numeric._frombuffer
  kScalar,         // numpy.core.multiarray.scalar
  kTypeTag,        // numpy.float64 etc. used as a parameter value
  kCodecsEncode,   // _codecs.encode(str, 'latin1') -> bytes (protocol 2)
  kBytes,          // builtins.bytes / bytearray
  kSlice,          // builtins.slice
  kSet,            // builtins.set / frozenset
  kJoblibWrapper,  // joblib.numpy_pickle.NumpyArrayWrapper
  kPyxUnpickle,    // Cython __pyx_unpickle_X(cls, checksum, state)
  kNewObj,         // sklearn.neighbors newObj(cls)
  kRandomState,    // numpy.random._pickle ctors: inert
  kFunctionRef,    // a function kept as a parameter (a score function, a numpy ufunc): never called
};

// Maps Python 2 names (protocol 2 GLOBAL) to Python 3 ones, like fix_imports.
std::string FixImportsModule(std::string_view module);

// The role of (module, name), or PermissionDenied naming the global and why it is refused.
StatusOr<GlobalRole> LookupGlobal(std::string_view module, std::string_view name);

}  // namespace ferry::pickle
