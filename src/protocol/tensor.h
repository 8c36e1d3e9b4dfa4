// Tensor: the typed, protocol-neutral n-d array every codec decodes into and
// every runtime returns. V2 JSON, the V2 binary extension, V1, MLflow and gRPC
// all meet here.
//
// Fixed-size datatypes keep their elements in `raw` as little-endian,
// row-major bytes with no padding (the V2 binary layout), so a binary request
// body can be adopted without conversion. BYTES keeps one std::string per
// element; `null_mask` marks JSON nulls (missing values) for BYTES, while
// floating types use NaN for missing.
//
// Value type, not thread-safe; move it, don't share it.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace ferry::protocol {

enum class DataType : uint8_t {
  kInvalid = 0,
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kFp32,
  kFp64,
  kBytes,
  kBf16,
};

// "FP64" etc. as the V2 protocol spells them.
std::string_view DataTypeName(DataType t);
// Parses a V2 datatype name; nullopt when unknown (names are case-sensitive).
std::optional<DataType> ParseDataType(std::string_view name);
// Element size in bytes; 0 for BYTES (variable) and kInvalid.
size_t ElementSize(DataType t);
bool IsFloating(DataType t);  // FP16/FP32/FP64/BF16
bool IsInteger(DataType t);   // signed or unsigned integer types

using Shape = std::vector<int64_t>;

// Number of elements for `shape`; error on negative dims or overflow past 2^40.
StatusOr<int64_t> ElementCount(const Shape& shape);
std::string ShapeToString(const Shape& shape);  // "[2, 4]"

// A V2 `parameters` value: string, integer, double or bool.
using ParamValue = std::variant<bool, int64_t, double, std::string>;

// Small ordered map: parameters have a handful of entries at most.
class Parameters {
 public:
  const ParamValue* Find(std::string_view key) const;
  // Returns the string value of `key`, or nullopt if absent or not a string.
  std::optional<std::string_view> GetString(std::string_view key) const;
  std::optional<bool> GetBool(std::string_view key) const;
  std::optional<int64_t> GetInt(std::string_view key) const;
  void Set(std::string key, ParamValue value);
  // Set(key, std::string(value)) without the temporaries; an entry already there keeps its
  // storage.
  void SetString(std::string_view key, std::string_view value);
  // Appends `key` with a T made from `args` in place, without a search: for a decoder that
  // has checked that `key` is not there yet.
  template <typename T, typename... Args>
  void Append(std::string_view key, Args&&... args) {
    entries_.emplace_back(
        std::piecewise_construct, std::forward_as_tuple(key),
        std::forward_as_tuple(std::in_place_type<T>, std::forward<Args>(args)...));
  }
  // Empty again; the storage stays for the next entries.
  void Clear() { entries_.clear(); }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<std::string, ParamValue>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, ParamValue>> entries_;
};

struct Tensor {
  std::string name;
  DataType datatype = DataType::kInvalid;
  Shape shape;
  Parameters parameters;
  // Fixed-size types: ElementCount(shape) * ElementSize(datatype) bytes.
  std::vector<uint8_t> raw;
  // BYTES: ElementCount(shape) strings.
  std::vector<std::string> bytes;
  // BYTES only: empty, or one entry per element, 1 = missing (JSON null).
  std::vector<uint8_t> null_mask;

  int64_t num_elements() const;  // from raw/bytes, not shape

  // Back to a default-constructed tensor whose vectors keep their storage (a decoder reusing
  // one tensor for the next request).
  void Reset();

  template <typename T>
  const T* data() const { return reinterpret_cast<const T*>(raw.data()); }
  template <typename T>
  T* mutable_data() { return reinterpret_cast<T*>(raw.data()); }

  // Element i as double (numeric types, BOOL as 0/1); NaN for BYTES.
  double AsDouble(int64_t i) const;

  // Builders for runtime outputs.
  static Tensor FromDoubles(std::vector<double> values, Shape shape);
  static Tensor FromInt64s(const std::vector<int64_t>& values, Shape shape);
  static Tensor FromStrings(std::vector<std::string> values, Shape shape);
};

}  // namespace ferry::protocol
