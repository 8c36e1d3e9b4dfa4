// REDUCE / BUILD semantics of the allow-listed globals: numpy arrays, dtypes,
// scalars, joblib array wrappers and the inert object constructors.
#include <cstring>

#include "pickle/machine.h"

namespace ferry::pickle {
namespace {

const Value* Item(const Value* tuple, size_t i) {
  if (tuple == nullptr || !tuple->is_sequence() || i >= tuple->items.size()) {
    return nullptr;
  }
  return tuple->items[i];
}

StatusOr<std::vector<int64_t>> ShapeOf(const Value* v) {
  if (v != nullptr && v->kind == Kind::kInt && v->i >= 0) {
    return std::vector<int64_t>{v->i};
  }
  if (v == nullptr || !v->is_sequence()) {
    return InvalidArgumentError("numpy array shape is not a tuple of ints");
  }
  std::vector<int64_t> shape;
  for (const Value* d : v->items) {
    if (d == nullptr || d->kind != Kind::kInt || d->i < 0) {
      return InvalidArgumentError("numpy array shape is not a tuple of non-negative ints");
    }
    shape.push_back(d->i);
  }
  return shape;
}

StatusOr<const DType*> DTypeOf(const Value* v) {
  if (v == nullptr || v->kind != Kind::kDType || !v->dtype) {
    return InvalidArgumentError("expected a numpy dtype, got " +
                                (v ? v->Describe() : std::string("nothing")));
  }
  return v->dtype.get();
}

std::string GlobalName(const Value* g) { return g->object->module + "." + g->object->name; }

}  // namespace

Status Machine::Reduce(Value* callable, Value* args) {
  if (callable->kind != Kind::kGlobal) {
    return InvalidArgumentError("REDUCE on " + callable->Describe() + ", not a class reference");
  }
  if (args->kind != Kind::kTuple) {
    return InvalidArgumentError("REDUCE arguments are not a tuple");
  }
  const auto role = static_cast<GlobalRole>(callable->i);
  Value* out = nullptr;
  switch (role) {
    case GlobalRole::kClass:
    case GlobalRole::kRandomState: {
      out = tree_.New(Kind::kObject);
      out->object = std::make_unique<Object>(*callable->object);
      out->object->args = args;
      break;
    }
    case GlobalRole::kPyxUnpickle:
    case GlobalRole::kNewObj: {
      const Value* cls = Item(args, 0);
      if (cls == nullptr || cls->kind != Kind::kGlobal ||
          static_cast<GlobalRole>(cls->i) != GlobalRole::kClass) {
        return InvalidArgumentError(GlobalName(callable) + " needs a class as first argument");
      }
      out = tree_.New(Kind::kObject);
      out->object = std::make_unique<Object>(*cls->object);
      out->object->args = args;
      if (role == GlobalRole::kPyxUnpickle) {
        out->object->state = Item(args, 2);
      }
      break;
    }
    case GlobalRole::kDType: {
      const Value* spec = Item(args, 0);
      if (spec == nullptr || !spec->is_str()) {
        return InvalidArgumentError("numpy.dtype needs a str");
      }
      ASSIGN_OR_RETURN(DType d, ParseDTypeSpec(spec->str));
      out = tree_.New(Kind::kDType);
      out->dtype = std::make_unique<DType>(std::move(d));
      break;
    }
    case GlobalRole::kReconstruct: {
      const Value* cls = Item(args, 0);
      if (cls == nullptr || cls->kind != Kind::kGlobal ||
          static_cast<GlobalRole>(cls->i) != GlobalRole::kNDArrayType) {
        return PermissionDeniedError("numpy _reconstruct of a subclass other than ndarray");
      }
      out = tree_.New(Kind::kArray);  // filled by BUILD
      break;
    }
    case GlobalRole::kFromBuffer: {
      ASSIGN_OR_RETURN(out, FromBuffer(args));
      break;
    }
    case GlobalRole::kScalar: {
      ASSIGN_OR_RETURN(out, MakeScalar(args));
      break;
    }
    case GlobalRole::kCodecsEncode: {
      ASSIGN_OR_RETURN(out, CodecsEncode(args));
      break;
    }
    case GlobalRole::kBytes: {
      out = NewStr(Kind::kBytes, "");
      const Value* a = Item(args, 0);
      if (a != nullptr && (a->kind == Kind::kBytes)) {
        out->str = a->str;
      } else if (a != nullptr) {
        return InvalidArgumentError("builtins.bytes with " + a->Describe() + " is not supported");
      }
      break;
    }
    case GlobalRole::kSlice: {
      if (args->items.size() != 3) {
        return InvalidArgumentError("slice needs 3 arguments");
      }
      out = tree_.New(Kind::kSlice);
      out->items = args->items;
      break;
    }
    case GlobalRole::kSet: {
      out = tree_.New(Kind::kSet);
      const Value* a = Item(args, 0);
      if (a != nullptr && (a->is_sequence() || a->kind == Kind::kSet)) {
        out->items = a->items;
      }
      break;
    }
    default:
      return PermissionDeniedError("refusing to call " + GlobalName(callable));
  }
  Push(out);
  return OkStatus();
}

StatusOr<Value*> Machine::FromBuffer(const Value* args) {
  const Value* buf = Item(args, 0);
  if (buf == nullptr || buf->kind != Kind::kBytes) {
    return InvalidArgumentError("numpy _frombuffer needs a bytes buffer");
  }
  ASSIGN_OR_RETURN(const DType* dt, DTypeOf(Item(args, 1)));
  ASSIGN_OR_RETURN(auto shape, ShapeOf(Item(args, 2)));
  const Value* order = Item(args, 3);
  Value* out = tree_.New(Kind::kArray);
  out->array = std::make_unique<NDArray>();
  NDArray& a = *out->array;
  a.dtype = *dt;
  if (a.is_object()) {
    return InvalidArgumentError("numpy _frombuffer of an object dtype");
  }
  a.shape = std::move(shape);
  a.fortran_on_disk = order != nullptr && order->is_str() && order->str == "F";
  a.data = buf->str;
  RETURN_IF_ERROR(NormalizeArray(a, "numpy array (_frombuffer)"));
  return out;
}

StatusOr<Value*> Machine::MakeScalar(const Value* args) {
  ASSIGN_OR_RETURN(const DType* dt, DTypeOf(Item(args, 0)));
  const Value* payload = Item(args, 1);
  Value* out = tree_.New(Kind::kScalar);
  out->array = std::make_unique<NDArray>();
  NDArray& a = *out->array;
  a.dtype = *dt;
  if (a.is_object()) {
    a.objects.push_back(payload);
    return out;
  }
  if (payload == nullptr || payload->kind != Kind::kBytes) {
    return InvalidArgumentError("numpy scalar needs raw bytes");
  }
  a.data = payload->str;
  RETURN_IF_ERROR(NormalizeArray(a, "numpy scalar"));
  return out;
}

StatusOr<Value*> Machine::CodecsEncode(const Value* args) {
  const Value* s = Item(args, 0);
  const Value* enc = Item(args, 1);
  if (s == nullptr || !s->is_str() || enc == nullptr || !enc->is_str() ||
      (enc->str != "latin1" && enc->str != "latin-1")) {
    return PermissionDeniedError("_codecs.encode is only accepted as encode(str, 'latin1')");
  }
  std::string out;
  out.reserve(s->str.size());
  const std::string& in = s->str;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<uint8_t>(in[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c & 0xE0) == 0xC0 && i + 1 < in.size() && c <= 0xC3) {
      out += static_cast<char>(((c & 0x1F) << 6) | (static_cast<uint8_t>(in[++i]) & 0x3F));
    } else {
      return InvalidArgumentError("_codecs.encode: text is not latin-1");
    }
  }
  return NewStr(Kind::kBytes, out);
}

Status Machine::Build(Value* target, Value* state) {
  switch (target->kind) {
    case Kind::kObject: {
      Object& o = *target->object;
      if (o.module.find("joblib") != std::string::npos && o.name == "NumpyArrayWrapper") {
        o.state = state;
        return ReadJoblibArray(target);
      }
      if (o.state != nullptr && o.state->kind == Kind::kDict && state->kind == Kind::kDict) {
        Value* merged = tree_.New(Kind::kDict);
        merged->entries = o.state->entries;
        merged->entries.insert(merged->entries.end(), state->entries.begin(), state->entries.end());
        o.state = merged;
      } else {
        o.state = state;
      }
      return OkStatus();
    }
    case Kind::kArray:
      return BuildArray(target, state);
    case Kind::kDType:
      return BuildDType(target, state);
    default:
      return InvalidArgumentError("BUILD on " + target->Describe());
  }
}

Status Machine::BuildArray(Value* target, const Value* state) {
  if (target->array) {
    return InvalidArgumentError("BUILD on an already built numpy array");
  }
  if (state->kind != Kind::kTuple || state->items.size() < 4) {
    return InvalidArgumentError(
        "numpy array state is not a (version, shape, dtype, fortran, data) "
        "tuple");
  }
  const size_t base = state->items.size() == 5 ? 1 : 0;
  ASSIGN_OR_RETURN(auto shape, ShapeOf(Item(state, base)));
  ASSIGN_OR_RETURN(const DType* dt, DTypeOf(Item(state, base + 1)));
  const Value* fortran = Item(state, base + 2);
  const Value* data = Item(state, base + 3);
  auto a = std::make_unique<NDArray>();
  a->dtype = *dt;
  a->shape = std::move(shape);
  a->fortran_on_disk = fortran != nullptr && ((fortran->kind == Kind::kBool && fortran->b) ||
                                              (fortran->kind == Kind::kInt && fortran->i != 0));
  if (a->is_object()) {
    if (data == nullptr || data->kind != Kind::kList) {
      return InvalidArgumentError("object numpy array state has no item list");
    }
    a->objects = data->items;  // numpy pickles object items in C order
  } else {
    if (data == nullptr || data->kind != Kind::kBytes) {
      return InvalidArgumentError("numpy array state has no data bytes");
    }
    a->data = data->str;
  }
  RETURN_IF_ERROR(NormalizeArray(*a, "numpy array (_reconstruct)"));
  target->array = std::move(a);
  return OkStatus();
}

Status Machine::BuildDType(Value* target, const Value* state) {
  // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
  if (state->kind != Kind::kTuple || state->items.size() < 8) {
    return InvalidArgumentError("numpy dtype state is not an 8- or 9-tuple");
  }
  DType& d = *target->dtype;
  const Value* order = Item(state, 1);
  if (order != nullptr && order->is_str() && order->str.size() == 1) {
    const char c = order->str[0];
    if (c == '<' || c == '>' || c == '|') {
      d.byteorder = c;
    }
    if (c == '=') {
      d.byteorder = '<';
    }
  }
  const Value* subarray = Item(state, 2);
  if (subarray != nullptr && !subarray->is_none()) {
    return InvalidArgumentError("numpy sub-array dtypes are not supported");
  }
  const Value* names = Item(state, 3);
  const Value* fields = Item(state, 4);
  const Value* elsize = Item(state, 5);
  if (elsize != nullptr && elsize->kind == Kind::kInt && elsize->i > 0) {
    if (elsize->i > (int64_t{1} << 31)) {
      return InvalidArgumentError("numpy dtype item size too large");
    }
    d.itemsize = elsize->i;
  }
  if (names == nullptr || names->is_none()) {
    return OkStatus();
  }
  if (!names->is_sequence() || fields == nullptr || fields->kind != Kind::kDict) {
    return InvalidArgumentError("structured numpy dtype without names/fields");
  }
  d.fields.clear();
  for (const Value* n : names->items) {
    if (n == nullptr || !n->is_str()) {
      return InvalidArgumentError("dtype field name not a str");
    }
    const Value* spec = fields->Get(n->str);
    const Value* sub = Item(spec, 0);
    const Value* off = Item(spec, 1);
    ASSIGN_OR_RETURN(const DType* sd, DTypeOf(sub));
    if (off == nullptr || off->kind != Kind::kInt || off->i < 0 || sd == &d) {
      return InvalidArgumentError("dtype field '" + n->str + "' has no valid offset");
    }
    if (off->i + sd->itemsize > d.itemsize) {
      return InvalidArgumentError("dtype field '" + n->str + "' lies outside the record");
    }
    d.fields.push_back({n->str, std::make_shared<DType>(*sd), off->i});
  }
  return OkStatus();
}

Status Machine::ReadJoblibArray(const Value* wrapper) {
  const Value* state = wrapper->object->state;
  if (state == nullptr || state->kind != Kind::kDict) {
    return InvalidArgumentError("joblib NumpyArrayWrapper without a state dict");
  }
  ASSIGN_OR_RETURN(const DType* dt, DTypeOf(state->Get("dtype")));
  ASSIGN_OR_RETURN(auto shape, ShapeOf(state->Get("shape")));
  const Value* sub = state->Get("subclass");
  if (sub == nullptr || sub->kind != Kind::kGlobal ||
      static_cast<GlobalRole>(sub->i) != GlobalRole::kNDArrayType) {
    return PermissionDeniedError("joblib array of a subclass other than numpy.ndarray");
  }
  Value* out = nullptr;
  if (dt->kind == 'O') {
    // joblib writes object arrays as a complete protocol-2 pickle in place.
    Machine nested(data_, pos_, tree_, nesting_ + 1);
    ASSIGN_OR_RETURN(const Value* arr, nested.Run());
    pos_ = nested.pos();
    if (arr->kind != Kind::kArray || !arr->array) {
      return InvalidArgumentError("joblib object array payload is not a numpy array");
    }
    out = const_cast<Value*>(arr);
  } else {
    const Value* align = state->Get("numpy_array_alignment_bytes");
    if (align != nullptr && align->kind == Kind::kInt) {
      ASSIGN_OR_RETURN(uint64_t pad, ReadUint(1));
      RETURN_IF_ERROR(Read(pad).status());
    }
    auto a = std::make_unique<NDArray>();
    a->dtype = *dt;
    a->shape = std::move(shape);
    const Value* order = state->Get("order");
    a->fortran_on_disk = order != nullptr && order->is_str() && order->str == "F";
    int64_t n = 1;
    for (int64_t d : a->shape) {
      if (d != 0 && n > (int64_t{1} << 40) / d) {
        return InvalidArgumentError("joblib array too big");
      }
      n *= d;
    }
    if (dt->itemsize <= 0 || n > static_cast<int64_t>(data_.size() - pos_) / dt->itemsize) {
      return InvalidArgumentError("truncated joblib array data");
    }
    ASSIGN_OR_RETURN(std::string_view raw, Read(n * dt->itemsize));
    a->data.assign(raw);
    RETURN_IF_ERROR(NormalizeArray(*a, "joblib numpy array"));
    out = tree_.New(Kind::kArray);
    out->array = std::move(a);
  }
  stack_.back() = out;
  return OkStatus();
}

}  // namespace ferry::pickle
