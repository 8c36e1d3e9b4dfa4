#include "runtime/sklearn/attrs.h"

#include <cmath>

namespace ferry::sklearn {

using pickle::Kind;

StatusOr<Array> ToArray(const pickle::Value* v) {
  Array a;
  if (v == nullptr || v->is_none()) {
    return InvalidArgumentError("is missing");
  }
  switch (v->kind) {
    case Kind::kArray:
    case Kind::kScalar: {
      ASSIGN_OR_RETURN(a.v, pickle::ToDoubles(*v->array));
      a.shape = v->array->shape;
      return a;
    }
    case Kind::kInt:
    case Kind::kFloat:
    case Kind::kBool:
      a.v.push_back(v->kind == Kind::kInt ? static_cast<double>(v->i)
                                          : (v->kind == Kind::kBool ? v->b : v->f));
      return a;
    case Kind::kList:
    case Kind::kTuple:
      for (const pickle::Value* e : v->items) {
        if (e == nullptr || !e->is_number()) {
          return InvalidArgumentError("is a list holding something other than numbers");
        }
        a.v.push_back(e->kind == Kind::kInt ? static_cast<double>(e->i)
                                            : (e->kind == Kind::kBool ? e->b : e->f));
      }
      a.shape = {static_cast<int64_t>(a.v.size())};
      return a;
    default:
      return InvalidArgumentError("is a " + v->Describe() + ", not numbers");
  }
}

Attrs::Attrs(const pickle::Value& obj, BuildContext* ctx) : obj_(obj), ctx_(ctx) {
  cls_ = obj.object ? obj.object->name : std::string(pickle::KindName(obj.kind));
}

bool Attrs::Has(std::string_view key) const {
  const pickle::Value* v = Get(key);
  return v != nullptr && !v->is_none();
}

Status Attrs::Error(std::string_view key, std::string_view what) const {
  return InvalidArgumentError(cls_ + "." + std::string(key) + " " + std::string(what) +
                              "; the model file looks damaged or comes from an unsupported "
                              "scikit-learn version");
}

StatusOr<const pickle::Value*> Attrs::Require(std::string_view key) const {
  const pickle::Value* v = Get(key);
  if (v == nullptr) {
    return Error(key, "is missing (is the estimator fitted?)");
  }
  return v;
}

StatusOr<Array> Attrs::Numbers(std::string_view key) const {
  ASSIGN_OR_RETURN(const pickle::Value* v, Require(key));
  auto a = ToArray(v);
  if (!a.ok()) {
    return Error(key, a.status().message());
  }
  if (ctx_ != nullptr) {
    RETURN_IF_ERROR(ctx_->Charge(static_cast<int64_t>(a->v.size())));
  }
  return a;
}

StatusOr<double> Attrs::Number(std::string_view key) const {
  ASSIGN_OR_RETURN(Array a, Numbers(key));
  if (a.v.size() != 1) {
    return Error(key, "is not a single number");
  }
  return a.v[0];
}

StatusOr<int64_t> Attrs::Int(std::string_view key) const {
  ASSIGN_OR_RETURN(double d, Number(key));
  if (d != std::floor(d) || std::fabs(d) > 9e15) {
    return Error(key, "is not an integer");
  }
  return static_cast<int64_t>(d);
}

StatusOr<std::string> Attrs::Str(std::string_view key) const {
  ASSIGN_OR_RETURN(const pickle::Value* v, Require(key));
  if (!v->is_str()) {
    return Error(key, "is a " + v->Describe() + ", not a string");
  }
  return v->str;
}

bool Attrs::BoolOr(std::string_view key, bool fallback) const {
  const pickle::Value* v = Get(key);
  if (v == nullptr) {
    return fallback;
  }
  if (v->kind == Kind::kBool) {
    return v->b;
  }
  if (v->kind == Kind::kInt) {
    return v->i != 0;
  }
  return fallback;
}

std::string Attrs::StrOr(std::string_view key, std::string fallback) const {
  const pickle::Value* v = Get(key);
  return v != nullptr && v->is_str() ? v->str : fallback;
}

double Attrs::NumberOr(std::string_view key, double fallback) const {
  auto a = ToArray(Get(key));
  return a.ok() && a->v.size() == 1 ? a->v[0] : fallback;
}

}  // namespace ferry::sklearn
