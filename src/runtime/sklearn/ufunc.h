// The numpy ufuncs a model may name as a function (FunctionTransformer's
// func/inverse_func, TransformedTargetRegressor's), run natively. The pickle
// reader lets exactly these through as inert references (pickle/allow_list);
// anything else never reaches the runtime.
#pragma once

#include <string>

#include "common/status.h"
#include "pickle/value.h"

namespace ferry::sklearn {

using UnaryFn = double (*)(double);

// nullptr for None; the native function for an allowed ufunc reference;
// InvalidArgument naming `who` otherwise.
StatusOr<UnaryFn> UfuncFromValue(const pickle::Value* v, const std::string& who);

}  // namespace ferry::sklearn
