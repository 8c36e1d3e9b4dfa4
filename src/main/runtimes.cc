#include "main/runtimes.h"

#include "runtime/sklearn/sklearn_runtime.h"
#include "runtime/xgboost/xgboost_runtime.h"

namespace ferry::main {

runtime::RuntimeRegistry BuildRuntimeRegistry() {
  runtime::RuntimeRegistry registry;
  registry.Register(sklearn::NewSklearnRuntime());
  registry.Register(xgboost::NewXgboostRuntime());
  return registry;
}

}  // namespace ferry::main
