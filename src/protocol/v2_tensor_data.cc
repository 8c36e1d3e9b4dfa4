// Tensor element decoding for V2 requests: JSON `data` (flat or nested) and
// binary tensor extension chunks → Tensor storage.
//
// DESIGN: `data` is walked recursively so flat and nested lists need no
// flattening copy: elements are converted straight into the tensor's final
// storage, and the walk checks that the nesting is rectangular. Per-element
// failures are small codes turned into a message once, outside the hot loop.
#include "protocol/v2_tensor_data.h"

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <cmath>
#include <cstring>
#include <limits>

namespace ferry::protocol::internal {
namespace {

enum class ElemError { kOk, kType, kRange, kFraction };

template <typename T>
ElemError StoreInt(element e, uint8_t* raw, int64_t i) {
  using L = std::numeric_limits<T>;
  T v;
  switch (e.type()) {
    case element_type::INT64: {
      int64_t x = e.get_int64().value_unsafe();
      if constexpr (L::is_signed) {
        if (x < static_cast<int64_t>(L::min()) || x > static_cast<int64_t>(L::max())) {
          return ElemError::kRange;
        }
      } else {
        if (x < 0 || static_cast<uint64_t>(x) > static_cast<uint64_t>(L::max())) {
          return ElemError::kRange;
        }
      }
      v = static_cast<T>(x);
      break;
    }
    case element_type::UINT64: {  // only values above INT64_MAX land here
      uint64_t x = e.get_uint64().value_unsafe();
      if (x > static_cast<uint64_t>(L::max())) {
        return ElemError::kRange;
      }
      v = static_cast<T>(x);
      break;
    }
    case element_type::DOUBLE: {
      double d = e.get_double().value_unsafe();
      if (!(d == std::trunc(d))) {
        return ElemError::kFraction;
      }
      // 2^digits is max()+1 exactly, so the bound is exact for 64-bit types.
      if (d < static_cast<double>(L::min()) || d >= std::ldexp(1.0, L::digits)) {
        return ElemError::kRange;
      }
      v = static_cast<T>(d);
      break;
    }
    default:
      return ElemError::kType;
  }
  std::memcpy(raw + i * sizeof(T), &v, sizeof(T));
  return ElemError::kOk;
}

template <typename T>
ElemError StoreFloat(element e, uint8_t* raw, int64_t i) {
  double d;
  switch (e.type()) {
    case element_type::DOUBLE:
      d = e.get_double().value_unsafe();
      break;
    case element_type::INT64:
      d = static_cast<double>(e.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      d = static_cast<double>(e.get_uint64().value_unsafe());
      break;
    case element_type::NULL_VALUE:
      d = std::numeric_limits<double>::quiet_NaN();
      break;
    default:
      return ElemError::kType;
  }
  T v = static_cast<T>(d);
  std::memcpy(raw + i * sizeof(T), &v, sizeof(T));
  return ElemError::kOk;
}

ElemError StoreElement(element e, Tensor* t, int64_t i) {
  uint8_t* raw = t->raw.data();
  switch (t->datatype) {
    case DataType::kBool:
      if (e.type() != element_type::BOOL) {
        return ElemError::kType;
      }
      raw[i] = e.get_bool().value_unsafe() ? 1 : 0;
      return ElemError::kOk;
    case DataType::kUint8:
      return StoreInt<uint8_t>(e, raw, i);
    case DataType::kUint16:
      return StoreInt<uint16_t>(e, raw, i);
    case DataType::kUint32:
      return StoreInt<uint32_t>(e, raw, i);
    case DataType::kUint64:
      return StoreInt<uint64_t>(e, raw, i);
    case DataType::kInt8:
      return StoreInt<int8_t>(e, raw, i);
    case DataType::kInt16:
      return StoreInt<int16_t>(e, raw, i);
    case DataType::kInt32:
      return StoreInt<int32_t>(e, raw, i);
    case DataType::kInt64:
      return StoreInt<int64_t>(e, raw, i);
    case DataType::kFp32:
      return StoreFloat<float>(e, raw, i);
    case DataType::kFp64:
      return StoreFloat<double>(e, raw, i);
    case DataType::kBytes:
      if (e.type() == element_type::STRING) {
        t->bytes[i] = std::string(e.get_string().value_unsafe());
        return ElemError::kOk;
      }
      if (e.type() == element_type::NULL_VALUE) {
        if (t->null_mask.empty()) {
          t->null_mask.assign(t->bytes.size(), 0);
        }
        t->null_mask[i] = 1;
        return ElemError::kOk;
      }
      return ElemError::kType;
    default:
      return ElemError::kType;
  }
}

std::string_view ExpectedKind(DataType t) {
  if (t == DataType::kBool) return "true/false";
  if (t == DataType::kBytes) return "strings (or null)";
  if (IsFloating(t)) return "numbers (or null for NaN)";
  return "integers";
}

std::string RangeText(DataType t) {
  auto range = [](auto lo, auto hi) {
    return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  };
  switch (t) {
    case DataType::kUint8:
      return range(0, 255);
    case DataType::kUint16:
      return range(0, 65535);
    case DataType::kUint32:
      return range(0u, std::numeric_limits<uint32_t>::max());
    case DataType::kUint64:
      return range(0u, std::numeric_limits<uint64_t>::max());
    case DataType::kInt8:
      return range(-128, 127);
    case DataType::kInt16:
      return range(-32768, 32767);
    case DataType::kInt32:
      return range(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    default:
      return range(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  }
}

// Walks (possibly nested) `data`, storing leaves in order.
class DataWalker {
 public:
  DataWalker(Tensor* t, int64_t expected) : t_(t), expected_(expected) {}

  // Returns false on the first error; error() then says what went wrong.
  bool Walk(element e, size_t depth) {
    if (e.type() == element_type::ARRAY) {
      array a = e.get_array().value_unsafe();
      const auto n = static_cast<int64_t>(a.size());
      if (leaf_depth_ >= 0 && static_cast<int64_t>(depth) >= leaf_depth_) {
        return Ragged();
      }
      if (depth == dims_.size()) {
        dims_.push_back(n);
      } else if (dims_[depth] != n) {
        return Ragged();
      }
      for (element child : a) {
        if (!Walk(child, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    if (leaf_depth_ < 0) {
      leaf_depth_ = static_cast<int64_t>(depth);
    }
    if (static_cast<int64_t>(depth) != leaf_depth_ || depth < dims_.size()) {
      return Ragged();
    }
    if (count_ < expected_) {
      ElemError err = StoreElement(e, t_, count_);
      if (err != ElemError::kOk) {
        error_ = ElementMessage(err, e);
        return false;
      }
    }
    ++count_;
    return true;
  }

  int64_t count() const { return count_; }
  const std::string& error() const { return error_; }

 private:
  bool Ragged() {
    error_ =
        "data is ragged (nested lists of different lengths or depths); send a flat list "
        "or rectangular nested lists";
    return false;
  }

  std::string ElementMessage(ElemError err, element e) const {
    std::string where = "element " + std::to_string(count_) + " (" + JsonSnippet(e) + ")";
    std::string type(DataTypeName(t_->datatype));
    switch (err) {
      case ElemError::kRange:
        return where + " is out of range for " + type + " " + RangeText(t_->datatype);
      case ElemError::kFraction:
        return where + " is not a whole number; datatype " + type + " needs integers";
      default:
        return where + " is " + std::string(JsonTypeName(e)) + " but datatype " + type + " needs " +
               std::string(ExpectedKind(t_->datatype));
    }
  }

  Tensor* t_;
  int64_t expected_;
  int64_t count_ = 0;
  int64_t leaf_depth_ = -1;
  // Inline for the usual 1-3 nesting levels: no allocation per request.
  boost::container::small_vector<int64_t, 8> dims_;
  std::string error_;
};

Status InputError(const Tensor& t, const std::string& what) {
  return InvalidArgumentError("input '" + t.name + "': " + what);
}

}  // namespace

Status ReadBinaryData(std::string_view chunk, int64_t count, Tensor* t) {
  if (t->datatype != DataType::kBytes) {
    const auto need = static_cast<uint64_t>(count) * ElementSize(t->datatype);
    if (chunk.size() != need) {
      return InputError(*t, "binary_data_size is " + std::to_string(chunk.size()) + " but shape " +
                                ShapeToString(t->shape) + " of " +
                                std::string(DataTypeName(t->datatype)) + " needs " +
                                std::to_string(need) + " bytes");
    }
    t->raw.assign(chunk.begin(), chunk.end());
    return OkStatus();
  }
  // BYTES: each element is a 4-byte little-endian length, then the bytes.
  t->bytes.clear();
  t->bytes.reserve(std::min<size_t>(static_cast<size_t>(count), chunk.size() / 4));
  size_t pos = 0;
  while (pos < chunk.size()) {
    if (chunk.size() - pos < 4) {
      return InputError(*t, "binary BYTES data ends inside a 4-byte length prefix at offset " +
                                std::to_string(pos));
    }
    const auto* p = reinterpret_cast<const uint8_t*>(chunk.data() + pos);
    const uint32_t len = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    pos += 4;
    if (chunk.size() - pos < len) {
      return InputError(*t, "binary BYTES element " + std::to_string(t->bytes.size()) +
                                " declares " + std::to_string(len) + " bytes but only " +
                                std::to_string(chunk.size() - pos) + " remain");
    }
    t->bytes.emplace_back(chunk.substr(pos, len));
    pos += len;
  }
  if (static_cast<int64_t>(t->bytes.size()) != count) {
    return InputError(*t, "shape " + ShapeToString(t->shape) + " needs " + std::to_string(count) +
                              " elements but the binary data has " +
                              std::to_string(t->bytes.size()));
  }
  return OkStatus();
}

Status ReadJsonData(element data, int64_t count, size_t json_size, Tensor* t) {
  if (t->datatype == DataType::kFp16 || t->datatype == DataType::kBf16) {
    return InputError(*t, "receiving " + std::string(DataTypeName(t->datatype)) +
                              " data via JSON is not supported; send it with the binary tensor "
                              "extension (parameters.binary_data_size) or use FP32");
  }
  const bool plausible = static_cast<uint64_t>(count) <= json_size;
  const size_t to_store = plausible ? static_cast<size_t>(count) : 0;
  if (t->datatype == DataType::kBytes) {
    t->bytes.resize(to_store);
  } else {
    t->raw.resize(to_store * ElementSize(t->datatype));
  }
  DataWalker walker(t, plausible ? count : 0);
  if (!walker.Walk(data, 0)) {
    return InputError(*t, walker.error());
  }
  if (walker.count() != count) {
    return InputError(*t, "shape " + ShapeToString(t->shape) + " needs " + std::to_string(count) +
                              " elements but data has " + std::to_string(walker.count()));
  }
  return OkStatus();
}

}  // namespace ferry::protocol::internal
