// Machine: the pickle virtual machine, restricted to building inert Values.
//
// DESIGN: one Machine runs one pickle stream (PROTO ... STOP) over an
// in-memory buffer. It interprets protocol 2-5 opcodes with a value stack, a
// mark stack and a memo of pointers into the ValueTree arena. Globals resolve
// through allow_list.h; REDUCE/NEWOBJ/BUILD on them only record data. Every
// length is checked against the bytes left before anything is allocated, so
// memory stays proportional to the input. joblib's NumpyArrayWrapper is
// intercepted at BUILD: the raw array bytes (or a nested protocol-2 pickle
// for object arrays, run by a child Machine) follow in the stream.
//
// Internal to ferry::pickle; single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "pickle/allow_list.h"
#include "pickle/value.h"

namespace ferry::pickle {

class Machine {
 public:
  // `nesting` counts enclosing Machines (joblib object arrays); the reader refuses deep nesting.
  Machine(std::string_view data, size_t pos, ValueTree& tree, int nesting)
      : data_(data), pos_(pos), tree_(tree), nesting_(nesting) {}

  // Runs to STOP and returns the result. The error says what failed and at which byte offset.
  StatusOr<const Value*> Run();
  size_t pos() const { return pos_; }

 private:
  Status Step(uint8_t op, bool* stop);
  Status StepData(uint8_t op, bool* handled);
  Status StepContainer(uint8_t op, bool* handled);
  Status StepMemo(uint8_t op, bool* handled);
  Status StepObject(uint8_t op, bool* handled);

  StatusOr<std::string_view> Read(uint64_t n);
  StatusOr<uint64_t> ReadUint(int bytes);
  StatusOr<std::string_view> ReadLine();
  StatusOr<Value*> Pop();
  StatusOr<Value*> Top();
  StatusOr<std::vector<Value*>> PopMark();
  void Push(Value* v) { stack_.push_back(v); }
  Value* NewStr(Kind kind, std::string_view s);

  Status PushGlobal(std::string_view module, std::string_view name);
  Status Reduce(Value* callable, Value* args);
  Status NewObj(Value* cls, Value* args);
  Status Build(Value* target, Value* state);
  Status BuildArray(Value* target, const Value* state);
  Status BuildDType(Value* target, const Value* state);
  Status ReadJoblibArray(const Value* wrapper);
  StatusOr<Value*> FromBuffer(const Value* args);
  StatusOr<Value*> MakeScalar(const Value* args);
  StatusOr<Value*> CodecsEncode(const Value* args);

  std::string_view data_;
  size_t pos_;
  ValueTree& tree_;
  int nesting_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
};

}  // namespace ferry::pickle
