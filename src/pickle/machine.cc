#include "pickle/machine.h"

#include <cmath>
#include <cstring>

namespace ferry::pickle {
namespace {

// Opcodes (CPython Lib/pickletools.py).
enum Op : uint8_t {
  MARK = '(',
  STOP = '.',
  POP = '0',
  POP_MARK = '1',
  DUP = '2',
  NONE = 'N',
  BININT = 'J',
  BININT1 = 'K',
  BININT2 = 'M',
  BINFLOAT = 'G',
  BINSTRING = 'T',
  SHORT_BINSTRING = 'U',
  BINUNICODE = 'X',
  BINBYTES = 'B',
  SHORT_BINBYTES = 'C',
  EMPTY_TUPLE = ')',
  TUPLE = 't',
  EMPTY_LIST = ']',
  APPEND = 'a',
  APPENDS = 'e',
  LIST = 'l',
  EMPTY_DICT = '}',
  DICT = 'd',
  SETITEM = 's',
  SETITEMS = 'u',
  GLOBAL = 'c',
  REDUCE = 'R',
  BUILD = 'b',
  BINGET = 'h',
  LONG_BINGET = 'j',
  BINPUT = 'q',
  LONG_BINPUT = 'r',
  PERSID = 'P',
  BINPERSID = 'Q',
  INST = 'i',
  OBJ = 'o',
  PROTO = 0x80,
  NEWOBJ = 0x81,
  EXT1 = 0x82,
  EXT2 = 0x83,
  EXT4 = 0x84,
  TUPLE1 = 0x85,
  TUPLE2 = 0x86,
  TUPLE3 = 0x87,
  NEWTRUE = 0x88,
  NEWFALSE = 0x89,
  LONG1 = 0x8a,
  LONG4 = 0x8b,
  SHORT_BINUNICODE = 0x8c,
  BINUNICODE8 = 0x8d,
  BINBYTES8 = 0x8e,
  EMPTY_SET = 0x8f,
  ADDITEMS = 0x90,
  FROZENSET = 0x91,
  NEWOBJ_EX = 0x92,
  STACK_GLOBAL = 0x93,
  MEMOIZE = 0x94,
  FRAME = 0x95,
  BYTEARRAY8 = 0x96,
  NEXT_BUFFER = 0x97,
  READONLY_BUFFER = 0x98,
};

constexpr int kMaxNesting = 2;

std::string Latin1ToUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

}  // namespace

StatusOr<const Value*> Machine::Run() {
  if (nesting_ > kMaxNesting) {
    return InvalidArgumentError("pickles nested more than " + std::to_string(kMaxNesting) +
                                " deep");
  }
  auto first = Read(2);
  if (!first.ok() || static_cast<uint8_t>((*first)[0]) != PROTO) {
    return InvalidArgumentError(
        "not a pickle of protocol 2 or later (no PROTO opcode at the start); protocols 0 and 1 "
        "are not supported, re-save with pickle protocol >= 2, joblib or cloudpickle");
  }
  const int proto = static_cast<uint8_t>((*first)[1]);
  if (proto < 2 || proto > 5) {
    return InvalidArgumentError("pickle protocol " + std::to_string(proto) +
                                " is not supported (2 to 5 are)");
  }
  bool stop = false;
  while (!stop) {
    const size_t at = pos_;
    auto op = Read(1);
    if (!op.ok()) {
      return InvalidArgumentError("truncated pickle: ended before STOP");
    }
    Status s = Step(static_cast<uint8_t>((*op)[0]), &stop);
    if (!s.ok()) {
      if (s.message().find("(at byte ") != std::string::npos) {
        return s;
      }
      return Status(s.code(), s.message() + " (at byte " + std::to_string(at) + ")");
    }
  }
  if (stack_.size() != 1 || !marks_.empty()) {
    return InvalidArgumentError("malformed pickle: STOP with " + std::to_string(stack_.size()) +
                                " values on the stack");
  }
  return stack_.back();
}

StatusOr<std::string_view> Machine::Read(uint64_t n) {
  if (n > data_.size() - pos_) {
    return InvalidArgumentError("truncated pickle: needs " + std::to_string(n) +
                                " bytes but only " + std::to_string(data_.size() - pos_) +
                                " remain");
  }
  std::string_view out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

StatusOr<uint64_t> Machine::ReadUint(int bytes) {
  ASSIGN_OR_RETURN(std::string_view b, Read(bytes));
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<uint8_t>(b[i]);
  }
  return v;
}

StatusOr<std::string_view> Machine::ReadLine() {
  size_t nl = data_.find('\n', pos_);
  if (nl == std::string_view::npos || nl - pos_ > 1024) {
    return InvalidArgumentError("malformed GLOBAL: no newline-terminated name");
  }
  std::string_view line = data_.substr(pos_, nl - pos_);
  pos_ = nl + 1;
  return line;
}

StatusOr<Value*> Machine::Pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
    return InvalidArgumentError("malformed pickle: stack underflow");
  }
  Value* v = stack_.back();
  stack_.pop_back();
  return v;
}

StatusOr<Value*> Machine::Top() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
    return InvalidArgumentError("malformed pickle: stack underflow");
  }
  return stack_.back();
}

StatusOr<std::vector<Value*>> Machine::PopMark() {
  if (marks_.empty()) {
    return InvalidArgumentError("malformed pickle: no MARK");
  }
  const size_t m = marks_.back();
  marks_.pop_back();
  std::vector<Value*> items(stack_.begin() + m, stack_.end());
  stack_.resize(m);
  return items;
}

Value* Machine::NewStr(Kind kind, std::string_view s) {
  Value* v = tree_.New(kind);
  v->str.assign(s);
  return v;
}

Status Machine::Step(uint8_t op, bool* stop) {
  bool handled = false;
  RETURN_IF_ERROR(StepData(op, &handled));
  if (!handled) {
    RETURN_IF_ERROR(StepContainer(op, &handled));
  }
  if (!handled) {
    RETURN_IF_ERROR(StepMemo(op, &handled));
  }
  if (!handled) {
    RETURN_IF_ERROR(StepObject(op, &handled));
  }
  if (handled) {
    return OkStatus();
  }
  switch (op) {
    case STOP:
      *stop = true;
      return OkStatus();
    case PROTO:
      return Read(1).status();
    case FRAME: {
      ASSIGN_OR_RETURN(uint64_t n, ReadUint(8));
      if (n > data_.size() - pos_) {
        return InvalidArgumentError("truncated pickle: short FRAME");
      }
      return OkStatus();
    }
    case MARK:
      marks_.push_back(stack_.size());
      return OkStatus();
    case POP:
      return Pop().status();
    case POP_MARK:
      return PopMark().status();
    case DUP: {
      ASSIGN_OR_RETURN(Value * v, Top());
      Push(v);
      return OkStatus();
    }
    case READONLY_BUFFER:
      return Top().status();
    case PERSID:
    case BINPERSID:
      return PermissionDeniedError(
          "persistent IDs (PERSID) are refused: they need a caller-supplied loader");
    case EXT1:
    case EXT2:
    case EXT4:
      return PermissionDeniedError("extension registry opcodes (EXT1/2/4) are refused");
    case INST:
    case OBJ:
      return PermissionDeniedError("INST/OBJ opcodes (protocol 0/1 object creation) are refused");
    case NEXT_BUFFER:
      return InvalidArgumentError("out-of-band buffers (NEXT_BUFFER) are not supported");
    default: {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02x", op);
      return InvalidArgumentError(std::string("unknown or unsupported pickle opcode ") + hex);
    }
  }
}

Status Machine::StepData(uint8_t op, bool* handled) {
  *handled = true;
  switch (op) {
    case NONE:
      Push(tree_.New(Kind::kNone));
      return OkStatus();
    case NEWTRUE:
    case NEWFALSE: {
      Value* v = tree_.New(Kind::kBool);
      v->b = op == NEWTRUE;
      Push(v);
      return OkStatus();
    }
    case BININT:
    case BININT1:
    case BININT2: {
      const int n = op == BININT ? 4 : (op == BININT1 ? 1 : 2);
      ASSIGN_OR_RETURN(uint64_t u, ReadUint(n));
      Value* v = tree_.New(Kind::kInt);
      v->i =
          op == BININT ? static_cast<int32_t>(static_cast<uint32_t>(u)) : static_cast<int64_t>(u);
      Push(v);
      return OkStatus();
    }
    case LONG1:
    case LONG4: {
      ASSIGN_OR_RETURN(uint64_t n, ReadUint(op == LONG1 ? 1 : 4));
      ASSIGN_OR_RETURN(std::string_view b, Read(n));
      Value* v = tree_.New(Kind::kInt);
      if (n > 8) {
        v->kind = Kind::kBigInt;
        v->str.assign(b);
      } else if (n > 0) {
        uint64_t u = 0;
        for (size_t i = n; i-- > 0;) {
          u = (u << 8) | static_cast<uint8_t>(b[i]);
        }
        if ((static_cast<uint8_t>(b[n - 1]) & 0x80) && n < 8) {
          u |= ~uint64_t{0} << (n * 8);
        }
        v->i = static_cast<int64_t>(u);
      }
      Push(v);
      return OkStatus();
    }
    case BINFLOAT: {
      ASSIGN_OR_RETURN(std::string_view b, Read(8));
      uint64_t u = 0;
      for (int i = 0; i < 8; ++i) {
        u = (u << 8) | static_cast<uint8_t>(b[i]);
      }
      Value* v = tree_.New(Kind::kFloat);
      std::memcpy(&v->f, &u, 8);
      Push(v);
      return OkStatus();
    }
    case SHORT_BINUNICODE:
    case BINUNICODE:
    case BINUNICODE8:
    case SHORT_BINBYTES:
    case BINBYTES:
    case BINBYTES8:
    case BYTEARRAY8:
    case SHORT_BINSTRING:
    case BINSTRING: {
      const int lenbytes =
          (op == SHORT_BINUNICODE || op == SHORT_BINBYTES || op == SHORT_BINSTRING)
              ? 1
              : ((op == BINUNICODE8 || op == BINBYTES8 || op == BYTEARRAY8) ? 8 : 4);
      ASSIGN_OR_RETURN(uint64_t n, ReadUint(lenbytes));
      ASSIGN_OR_RETURN(std::string_view b, Read(n));
      const bool text = op == SHORT_BINUNICODE || op == BINUNICODE || op == BINUNICODE8;
      if (op == SHORT_BINSTRING || op == BINSTRING) {
        Push(NewStr(Kind::kStr, Latin1ToUtf8(b)));
      } else {
        Push(NewStr(text ? Kind::kStr : Kind::kBytes, b));
      }
      return OkStatus();
    }
    default:
      *handled = false;
      return OkStatus();
  }
}

Status Machine::StepContainer(uint8_t op, bool* handled) {
  *handled = true;
  switch (op) {
    case EMPTY_TUPLE:
      Push(tree_.New(Kind::kTuple));
      return OkStatus();
    case EMPTY_LIST:
      Push(tree_.New(Kind::kList));
      return OkStatus();
    case EMPTY_DICT:
      Push(tree_.New(Kind::kDict));
      return OkStatus();
    case EMPTY_SET:
      Push(tree_.New(Kind::kSet));
      return OkStatus();
    case TUPLE1:
    case TUPLE2:
    case TUPLE3: {
      const size_t n = op - TUPLE1 + 1;
      Value* t = tree_.New(Kind::kTuple);
      t->items.resize(n);
      for (size_t i = n; i-- > 0;) {
        ASSIGN_OR_RETURN(t->items[i], Pop());
      }
      Push(t);
      return OkStatus();
    }
    case TUPLE:
    case LIST:
    case FROZENSET: {
      ASSIGN_OR_RETURN(auto items, PopMark());
      Value* t = tree_.New(op == TUPLE ? Kind::kTuple : (op == LIST ? Kind::kList : Kind::kSet));
      t->items.assign(items.begin(), items.end());
      Push(t);
      return OkStatus();
    }
    case APPEND: {
      ASSIGN_OR_RETURN(Value * v, Pop());
      ASSIGN_OR_RETURN(Value * list, Top());
      if (list->kind != Kind::kList) {
        return InvalidArgumentError("APPEND to a non-list");
      }
      list->items.push_back(v);
      return OkStatus();
    }
    case APPENDS:
    case ADDITEMS: {
      ASSIGN_OR_RETURN(auto items, PopMark());
      ASSIGN_OR_RETURN(Value * list, Top());
      if (list->kind != (op == APPENDS ? Kind::kList : Kind::kSet)) {
        return InvalidArgumentError(op == APPENDS ? "APPENDS to a non-list"
                                                  : "ADDITEMS to a non-set");
      }
      list->items.insert(list->items.end(), items.begin(), items.end());
      return OkStatus();
    }
    case DICT:
    case SETITEMS: {
      ASSIGN_OR_RETURN(auto items, PopMark());
      if (items.size() % 2 != 0) {
        return InvalidArgumentError("odd number of dict items");
      }
      Value* d = nullptr;
      if (op == DICT) {
        d = tree_.New(Kind::kDict);
        Push(d);
      } else {
        ASSIGN_OR_RETURN(d, Top());
      }
      if (d->kind != Kind::kDict && d->kind != Kind::kObject) {
        return InvalidArgumentError("SETITEMS on a non-dict");
      }
      for (size_t i = 0; i < items.size(); i += 2) {
        d->entries.emplace_back(items[i], items[i + 1]);
      }
      return OkStatus();
    }
    case SETITEM: {
      ASSIGN_OR_RETURN(Value * v, Pop());
      ASSIGN_OR_RETURN(Value * k, Pop());
      ASSIGN_OR_RETURN(Value * d, Top());
      if (d->kind != Kind::kDict && d->kind != Kind::kObject) {
        return InvalidArgumentError("SETITEM on a non-dict");
      }
      d->entries.emplace_back(k, v);
      return OkStatus();
    }
    default:
      *handled = false;
      return OkStatus();
  }
}

Status Machine::StepMemo(uint8_t op, bool* handled) {
  *handled = true;
  switch (op) {
    case BINPUT:
    case LONG_BINPUT:
    case MEMOIZE: {
      uint64_t idx = memo_.size();
      if (op != MEMOIZE) {
        ASSIGN_OR_RETURN(idx, ReadUint(op == BINPUT ? 1 : 4));
      }
      ASSIGN_OR_RETURN(Value * v, Top());
      memo_[idx] = v;
      return OkStatus();
    }
    case BINGET:
    case LONG_BINGET: {
      ASSIGN_OR_RETURN(uint64_t idx, ReadUint(op == BINGET ? 1 : 4));
      auto it = memo_.find(idx);
      if (it == memo_.end()) {
        return InvalidArgumentError("memo key " + std::to_string(idx) + " was never stored");
      }
      Push(it->second);
      return OkStatus();
    }
    default:
      *handled = false;
      return OkStatus();
  }
}

Status Machine::StepObject(uint8_t op, bool* handled) {
  *handled = true;
  switch (op) {
    case GLOBAL: {
      ASSIGN_OR_RETURN(std::string_view module, ReadLine());
      ASSIGN_OR_RETURN(std::string_view name, ReadLine());
      return PushGlobal(FixImportsModule(module), name);
    }
    case STACK_GLOBAL: {
      ASSIGN_OR_RETURN(Value * name, Pop());
      ASSIGN_OR_RETURN(Value * module, Pop());
      if (!name->is_str() || !module->is_str()) {
        return InvalidArgumentError("STACK_GLOBAL needs two strings");
      }
      return PushGlobal(module->str, name->str);
    }
    case REDUCE: {
      ASSIGN_OR_RETURN(Value * args, Pop());
      ASSIGN_OR_RETURN(Value * callable, Pop());
      return Reduce(callable, args);
    }
    case NEWOBJ: {
      ASSIGN_OR_RETURN(Value * args, Pop());
      ASSIGN_OR_RETURN(Value * cls, Pop());
      return NewObj(cls, args);
    }
    case NEWOBJ_EX: {
      ASSIGN_OR_RETURN(Value * kwargs, Pop());
      ASSIGN_OR_RETURN(Value * args, Pop());
      ASSIGN_OR_RETURN(Value * cls, Pop());
      if (kwargs->kind != Kind::kDict) {
        return InvalidArgumentError("NEWOBJ_EX kwargs not a dict");
      }
      return NewObj(cls, args);
    }
    case BUILD: {
      ASSIGN_OR_RETURN(Value * state, Pop());
      ASSIGN_OR_RETURN(Value * target, Top());
      return Build(target, state);
    }
    default:
      *handled = false;
      return OkStatus();
  }
}

Status Machine::PushGlobal(std::string_view module, std::string_view name) {
  ASSIGN_OR_RETURN(GlobalRole role, LookupGlobal(module, name));
  Value* g = tree_.New(Kind::kGlobal);
  g->i = static_cast<int64_t>(role);
  g->object = std::make_unique<Object>();
  g->object->module.assign(module);
  g->object->name.assign(name);
  Push(g);
  return OkStatus();
}

Status Machine::NewObj(Value* cls, Value* args) {
  if (cls->kind != Kind::kGlobal || args->kind != Kind::kTuple) {
    return InvalidArgumentError("NEWOBJ needs a class and an argument tuple, got " +
                                cls->Describe());
  }
  const auto role = static_cast<GlobalRole>(cls->i);
  if (role != GlobalRole::kClass && role != GlobalRole::kJoblibWrapper) {
    return PermissionDeniedError("refusing to instantiate " + cls->object->module + "." +
                                 cls->object->name + " with NEWOBJ");
  }
  Value* v = tree_.New(Kind::kObject);
  v->object = std::make_unique<Object>(*cls->object);
  v->object->args = args;
  Push(v);
  return OkStatus();
}

}  // namespace ferry::pickle
