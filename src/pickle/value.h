// Value: the inert tree a pickle decodes into. Nothing in it can run code; a
// pickled class instance is just its (module, name), constructor arguments
// and state, and numpy arrays are plain typed buffers.
//
// Who uses it: pickle/reader.h produces a ValueTree; model runtimes (e.g.
// runtime/sklearn) walk it to build their own typed objects, then drop it.
//
// Ownership: every Value lives in the arena of its ValueTree and children are
// plain pointers into that arena, so shared references (the pickle memo) and
// even cycles are harmless and destruction never recurses. Callers that walk
// the tree recursively must bound their own depth. Immutable after reading;
// safe to read from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pickle/ndarray.h"

namespace ferry::pickle {

enum class Kind : uint8_t {
  kNone,
  kBool,
  kInt,
  kBigInt,  // a Python int outside int64; kept as raw little-endian two's complement in `str`
  kFloat,
  kStr,  // UTF-8
  kBytes,
  kTuple,
  kList,
  kDict,
  kSet,     // set and frozenset
  kGlobal,  // a whitelisted class or type referenced but not instantiated (module, name)
  kObject,  // an instance of a whitelisted class
  kArray,   // numpy.ndarray
  kScalar,  // numpy scalar: a 0-d array
  kDType,   // numpy.dtype
  kSlice,   // builtins.slice: items = start, stop, step
};

std::string_view KindName(Kind k);

struct Value;

// An instance of a whitelisted class. `args` are the NEWOBJ/REDUCE
// arguments (a tuple Value or null), `state` the BUILD argument (usually a
// dict; null when there was no BUILD).
struct Object {
  std::string module;
  std::string name;
  const Value* args = nullptr;
  const Value* state = nullptr;
};

struct Value {
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string str;                  // kStr, kBytes, kBigInt; kGlobal: "module\nname"
  std::vector<const Value*> items;  // kTuple, kList, kSet, kSlice
  // kDict, in insertion order; for a kObject, the items of an instance of a
  // dict subclass (sklearn's Bunch), kept apart from its attribute state.
  std::vector<std::pair<const Value*, const Value*>> entries;
  std::unique_ptr<Object> object;                              // kObject
  std::unique_ptr<NDArray> array;                              // kArray, kScalar
  std::unique_ptr<DType> dtype;                                // kDType

  bool is_none() const { return kind == Kind::kNone; }
  bool is_str() const { return kind == Kind::kStr; }
  bool is_number() const {
    return kind == Kind::kInt || kind == Kind::kFloat || kind == Kind::kBool;
  }
  bool is_sequence() const { return kind == Kind::kTuple || kind == Kind::kList; }
  // Dict lookup by string key (kDict), or lookup in an object's dict state
  // (kObject). Null when absent or not applicable.
  const Value* Get(std::string_view key) const;
  // For kObject: true when module.name equals `qualified`, e.g. "sklearn.pipeline.Pipeline".
  bool IsObjectOf(std::string_view module, std::string_view name) const;
  // Short human description for error messages: "str 'abc'", "object sklearn.x.Y", ...
  std::string Describe() const;
};

// The decoded pickle: an arena of Values plus the root (the value STOP returned).
class ValueTree {
 public:
  ValueTree() = default;
  ValueTree(ValueTree&&) = default;
  ValueTree& operator=(ValueTree&&) = default;
  ValueTree(const ValueTree&) = delete;
  ValueTree& operator=(const ValueTree&) = delete;

  const Value& root() const { return *root_; }
  size_t size() const { return arena_.size(); }
  // Length of the decoded pickle stream (after decompression): consumers size
  // their expansion budgets from it.
  uint64_t input_bytes() const { return input_bytes_; }
  void set_input_bytes(uint64_t n) { input_bytes_ = n; }

  // Used by the reader only.
  Value* New(Kind kind);
  // Fails if a numpy array was reconstructed but never filled by BUILD, so
  // consumers may rely on every kArray/kScalar value holding an NDArray.
  Status CheckArraysBuilt() const;
  void set_root(const Value* root) { root_ = root; }

 private:
  std::vector<std::unique_ptr<Value>> arena_;
  const Value* root_ = nullptr;
  uint64_t input_bytes_ = 0;
};

}  // namespace ferry::pickle
