#include "pickle/allow_list.h"

#include <array>
#include <utility>

namespace ferry::pickle {
namespace {

struct Entry {
  std::string_view module;
  std::string_view name;
  GlobalRole role;
};

// numpy.core was renamed numpy._core in numpy 2; both spellings are listed.
constexpr std::array kExact = {
    Entry{"numpy", "dtype", GlobalRole::kDType},
    Entry{"numpy", "ndarray", GlobalRole::kNDArrayType},
    Entry{"numpy", "memmap", GlobalRole::kNDArrayType},
    Entry{"numpy.core.multiarray", "_reconstruct", GlobalRole::kReconstruct},
    Entry{"numpy._core.multiarray", "_reconstruct", GlobalRole::kReconstruct},
    Entry{"numpy.core.numeric", "_frombuffer", GlobalRole::kFromBuffer},
    Entry{"numpy._core.numeric", "_frombuffer", GlobalRole::kFromBuffer},
    Entry{"numpy.core.multiarray", "scalar", GlobalRole::kScalar},
    Entry{"numpy._core.multiarray", "scalar", GlobalRole::kScalar},
    Entry{"numpy.random._pickle", "__randomstate_ctor", GlobalRole::kRandomState},
    Entry{"numpy.random._pickle", "__bit_generator_ctor", GlobalRole::kRandomState},
    Entry{"numpy.random._pickle", "__generator_ctor", GlobalRole::kRandomState},
    Entry{"_codecs", "encode", GlobalRole::kCodecsEncode},
    Entry{"builtins", "bytes", GlobalRole::kBytes},
    Entry{"builtins", "bytearray", GlobalRole::kBytes},
    Entry{"builtins", "slice", GlobalRole::kSlice},
    Entry{"builtins", "set", GlobalRole::kSet},
    Entry{"builtins", "frozenset", GlobalRole::kSet},
    Entry{"builtins", "float", GlobalRole::kTypeTag},
    Entry{"builtins", "int", GlobalRole::kTypeTag},
    Entry{"builtins", "str", GlobalRole::kTypeTag},
    Entry{"builtins", "bool", GlobalRole::kTypeTag},
    Entry{"builtins", "object", GlobalRole::kTypeTag},
    Entry{"joblib.numpy_pickle", "NumpyArrayWrapper", GlobalRole::kJoblibWrapper},
    Entry{"sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper", GlobalRole::kJoblibWrapper},
    // TfidfTransformer keeps idf_ as a scipy CSR diagonal: an inert record of its arrays.
    Entry{"scipy.sparse._csr", "csr_matrix", GlobalRole::kClass},
    Entry{"scipy.sparse.csr", "csr_matrix", GlobalRole::kClass},
    // Feature selectors keep their scoring function as a parameter.
    Entry{"sklearn.feature_selection._univariate_selection", "f_classif", GlobalRole::kFunctionRef},
    Entry{"sklearn.feature_selection._univariate_selection", "f_regression",
          GlobalRole::kFunctionRef},
    Entry{"sklearn.feature_selection._univariate_selection", "r_regression",
          GlobalRole::kFunctionRef},
    Entry{"sklearn.feature_selection._univariate_selection", "chi2", GlobalRole::kFunctionRef},
    Entry{"sklearn.feature_selection._mutual_info", "mutual_info_classif",
          GlobalRole::kFunctionRef},
    Entry{"sklearn.feature_selection._mutual_info", "mutual_info_regression",
          GlobalRole::kFunctionRef},
};

// numpy ufuncs a FunctionTransformer or TransformedTargetRegressor may name;
// the sklearn runtime runs its own implementation of each (runtime/sklearn/ufunc).
constexpr std::array kNumpyUfuncs = {"log",   "log1p", "log2", "log10",  "exp",      "exp2",
                                     "expm1", "sqrt",  "cbrt", "square", "absolute", "negative",
                                     "sign",  "floor", "ceil", "rint",   "trunc",    "tanh"};

constexpr std::array kNumpyTypeTags = {"float64", "float32", "float16", "int64",   "int32",
                                       "int16",   "int8",    "uint64",  "uint32",  "uint16",
                                       "uint8",   "bool_",   "object_", "str_",    "bytes_",
                                       "intc",    "double",  "single",  "longlong"};

// Why a refused global is dangerous or unsupported, for the error message.
std::string_view Reason(std::string_view module, std::string_view name) {
  if (module.starts_with("cloudpickle")) {
    return "it rebuilds a function or class pickled by value (a lambda, a local function or a "
           "class defined in __main__/a notebook), which would run code";
  }
  if (module == "os" || module == "posix" || module == "nt" || module == "subprocess" ||
      module == "sys" || module == "shutil" || module == "socket") {
    return "it reaches the operating system (would run commands or touch files)";
  }
  if (module == "builtins" &&
      (name == "eval" || name == "exec" || name == "compile" || name == "getattr" ||
       name == "setattr" || name == "__import__" || name == "open" || name == "type" ||
       name == "globals" || name == "vars" || name == "apply")) {
    return "it is a Python builtin that evaluates code, creates types or reaches attributes";
  }
  if (module.starts_with("numpy.core._multiarray_umath") ||
      module.starts_with("numpy._core._multiarray_umath") || (module == "numpy" && !name.empty())) {
    return "it is a numpy function (e.g. a ufunc given to FunctionTransformer); Ferry only reads "
           "numpy arrays, dtypes and scalars";
  }
  if (module == "copyreg" || module == "functools" || module == "operator" ||
      module == "importlib" || module == "pickle" || module == "codecs") {
    return "it is a generic Python callable that could invoke anything";
  }
  return "it is not a numpy array/dtype/scalar or a scikit-learn class Ferry knows";
}

}  // namespace

std::string FixImportsModule(std::string_view module) {
  if (module == "__builtin__") {
    return "builtins";
  }
  if (module == "copy_reg") {
    return "copyreg";
  }
  if (module == "exceptions") {
    return "builtins";
  }
  return std::string(module);
}

StatusOr<GlobalRole> LookupGlobal(std::string_view module, std::string_view name) {
  for (const Entry& e : kExact) {
    if (e.module == module && e.name == name) {
      return e.role;
    }
  }
  if (module == "numpy.core._multiarray_umath" || module == "numpy._core._multiarray_umath") {
    for (std::string_view u : kNumpyUfuncs) {
      if (u == name) {
        return GlobalRole::kFunctionRef;
      }
    }
  }
  if (module == "numpy") {
    for (std::string_view t : kNumpyTypeTags) {
      if (t == name) {
        return GlobalRole::kTypeTag;
      }
    }
  }
  // scikit-learn classes are recorded, never instantiated; which ones a model
  // may use is decided later by the runtime that reads the tree.
  if (module.starts_with("sklearn.") && !name.empty()) {
    if (name.starts_with("__pyx_unpickle_")) {
      return GlobalRole::kPyxUnpickle;
    }
    if (name == "newObj") {
      return GlobalRole::kNewObj;
    }
    std::string_view bare = name;
    while (!bare.empty() && bare.front() == '_') {
      bare.remove_prefix(1);
    }
    if (!bare.empty() && bare.front() >= 'A' && bare.front() <= 'Z' &&
        name.find('.') == std::string_view::npos) {
      return GlobalRole::kClass;
    }
  }
  std::string fix =
      module == "xgboost" || module.starts_with("xgboost.")
          ? "serve the booster in XGBoost's own format instead, as KServe's xgbserver does: "
            "model.get_booster().save_model(\"model.json\") and put model.json in the model "
            "directory"
          : "re-save the model using only built-in scikit-learn estimators";
  return PermissionDeniedError("unsupported global '" + std::string(module) + "." +
                               std::string(name) + "': refused because " +
                               std::string(Reason(module, name)) +
                               ". Ferry never executes code from model files; " + fix);
}

}  // namespace ferry::pickle
