// libferry_xgboost.so's entry point (runtime/backend.h): XGBoost models through
// libxgboost, which only this backend links.
#include "runtime/backend_export.h"
#include "runtime/xgboost/xgboost_runtime.h"

namespace ferry::xgboost {
namespace {

std::unique_ptr<runtime::FormatRuntime> NewBackend(const runtime::BackendHost&, std::string*) {
  return NewXgboostRuntime();
}

}  // namespace
}  // namespace ferry::xgboost

FERRY_EXPORT_BACKEND("xgboost", ferry::xgboost::NewBackend)
