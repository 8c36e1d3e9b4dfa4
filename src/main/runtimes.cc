#include "main/runtimes.h"

#include <vector>

#include "runtime/backend_loader.h"

namespace ferry::main {
namespace {

// Format -> backend file. The packages are the Debian packages holding the
// libraries each backend links (what a dlopen failure asks to install).
std::vector<runtime::BackendSpec> Backends() {
  return {
      {"sklearn", "scikit-learn", "sklearn", {"model.joblib", "model.pkl", "model.pickle"},
       "libferry_sklearn.so", "", ""},
      {"xgboost", "XGBoost", "xgboost", {"model.bst", "model.json", "model.ubj"},
       "libferry_xgboost.so", "libxgboost0", "install libxgboost-dev and rebuild"},
      {"pytorch", "PyTorch", "pytorch", {"model.pt"}, "libferry_pytorch.so", "libtorch1.13",
       "install libtorch-dev (scripts/install-deps.sh torch) and rebuild"},
  };
}

}  // namespace

runtime::RuntimeRegistry BuildRuntimeRegistry(int predict_threads) {
  runtime::RuntimeRegistry registry;
  runtime::BackendSettings settings;
  settings.predict_threads = predict_threads > 0 ? predict_threads : 1;
  for (auto& spec : Backends()) {
    registry.Register(runtime::NewBackendRuntime(std::move(spec), settings));
  }
  return registry;
}

std::string BackendStatus() {
  std::string out = "backends:";
  for (const auto& spec : Backends()) {
    const auto path = runtime::FindBackendFile(spec.file);
    out += "\n  " + spec.format + "  ";
    if (!path.empty()) {
      out += path.string();
    } else {
      out += spec.file + "  not built" + (spec.build_hint.empty() ? "" : " (" + spec.build_hint + ")");
    }
  }
  return out;
}

}  // namespace ferry::main
