#include "pickle/value.h"

namespace ferry::pickle {

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kBigInt:
      return "int (beyond 64 bits)";
    case Kind::kFloat:
      return "float";
    case Kind::kStr:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTuple:
      return "tuple";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kSet:
      return "set";
    case Kind::kGlobal:
      return "class reference";
    case Kind::kObject:
      return "object";
    case Kind::kArray:
      return "numpy array";
    case Kind::kScalar:
      return "numpy scalar";
    case Kind::kDType:
      return "numpy dtype";
    case Kind::kSlice:
      return "slice";
  }
  return "?";
}

const Value* Value::Get(std::string_view key) const {
  const Value* dict = this;
  if (kind == Kind::kObject) {
    dict = object ? object->state : nullptr;
    if (dict == nullptr) {
      return nullptr;
    }
  }
  if (dict->kind != Kind::kDict) {
    return nullptr;
  }
  for (const auto& [k, v] : dict->entries) {
    if (k != nullptr && k->kind == Kind::kStr && k->str == key) {
      return v;
    }
  }
  return nullptr;
}

bool Value::IsObjectOf(std::string_view module, std::string_view name) const {
  return kind == Kind::kObject && object && object->module == module && object->name == name;
}

std::string Value::Describe() const {
  switch (kind) {
    case Kind::kStr:
      return "str '" + (str.size() > 40 ? str.substr(0, 40) + "..." : str) + "'";
    case Kind::kInt:
      return "int " + std::to_string(i);
    case Kind::kFloat:
      return "float " + std::to_string(f);
    case Kind::kObject:
    case Kind::kGlobal:
      return std::string(KindName(kind)) + " " +
             (object ? object->module + "." + object->name : "");
    case Kind::kArray:
      return "numpy array of dtype " + (array ? array->dtype.ToString() : "?");
    default:
      return std::string(KindName(kind));
  }
}

Value* ValueTree::New(Kind kind) {
  arena_.push_back(std::make_unique<Value>());
  arena_.back()->kind = kind;
  return arena_.back().get();
}

Status ValueTree::CheckArraysBuilt() const {
  for (const auto& v : arena_) {
    if ((v->kind == Kind::kArray || v->kind == Kind::kScalar) && !v->array) {
      return InvalidArgumentError(
          "malformed pickle: a numpy array is reconstructed but never given its data (no BUILD); "
          "the file is damaged or was not written by numpy/joblib, re-save the model");
    }
  }
  return OkStatus();
}

}  // namespace ferry::pickle
