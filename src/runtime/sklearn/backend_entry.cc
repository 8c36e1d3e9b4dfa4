// libferry_sklearn.so's entry point (runtime/backend.h): scikit-learn models
// read natively, the pickle reader included.
#include "runtime/backend_export.h"
#include "runtime/sklearn/sklearn_runtime.h"

namespace ferry::sklearn {
namespace {

std::unique_ptr<runtime::FormatRuntime> NewBackend(const runtime::BackendHost&, std::string*) {
  return NewSklearnRuntime();
}

}  // namespace
}  // namespace ferry::sklearn

FERRY_EXPORT_BACKEND("sklearn", ferry::sklearn::NewBackend)
