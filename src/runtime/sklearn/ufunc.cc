#include "runtime/sklearn/ufunc.h"

#include <array>
#include <cmath>
#include <string_view>

namespace ferry::sklearn {
namespace {

double Square(double x) { return x * x; }
double Negative(double x) { return -x; }
double Sign(double x) { return std::isnan(x) ? x : (x > 0) - (x < 0); }
double Log(double x) { return std::log(x); }
double Log1p(double x) { return std::log1p(x); }
double Log2(double x) { return std::log2(x); }
double Log10(double x) { return std::log10(x); }
double Exp(double x) { return std::exp(x); }
double Exp2(double x) { return std::exp2(x); }
double Expm1(double x) { return std::expm1(x); }
double Sqrt(double x) { return std::sqrt(x); }
double Cbrt(double x) { return std::cbrt(x); }
double Abs(double x) { return std::fabs(x); }
double Floor(double x) { return std::floor(x); }
double Ceil(double x) { return std::ceil(x); }
double Rint(double x) { return std::nearbyint(x); }
double Trunc(double x) { return std::trunc(x); }
double Tanh(double x) { return std::tanh(x); }

struct Entry {
  std::string_view name;
  UnaryFn fn;
};

constexpr std::array kUfuncs = {
    Entry{"log", Log},       Entry{"log1p", Log1p},  Entry{"log2", Log2},
    Entry{"log10", Log10},   Entry{"exp", Exp},      Entry{"exp2", Exp2},
    Entry{"expm1", Expm1},   Entry{"sqrt", Sqrt},    Entry{"cbrt", Cbrt},
    Entry{"square", Square}, Entry{"absolute", Abs}, Entry{"negative", Negative},
    Entry{"sign", Sign},     Entry{"floor", Floor},  Entry{"ceil", Ceil},
    Entry{"rint", Rint},     Entry{"trunc", Trunc},  Entry{"tanh", Tanh},
};

}  // namespace

StatusOr<UnaryFn> UfuncFromValue(const pickle::Value* v, const std::string& who) {
  if (v == nullptr || v->is_none()) {
    return UnaryFn{nullptr};
  }
  if (v->kind == pickle::Kind::kGlobal && v->object != nullptr &&
      (v->object->module == "numpy.core._multiarray_umath" ||
       v->object->module == "numpy._core._multiarray_umath")) {
    for (const Entry& e : kUfuncs) {
      if (e.name == v->object->name) {
        return e.fn;
      }
    }
  }
  return InvalidArgumentError(who + " is " + v->Describe() +
                              "; Ferry runs no code from model files and supports only None or "
                              "one of numpy's log, log1p, log2, log10, exp, exp2, expm1, sqrt, "
                              "cbrt, square, absolute, negative, sign, floor, ceil, rint, trunc, "
                              "tanh");
}

}  // namespace ferry::sklearn
