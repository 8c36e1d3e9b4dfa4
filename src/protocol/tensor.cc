#include "protocol/tensor.h"

#include <array>
#include <cmath>
#include <limits>

namespace ferry::protocol {
namespace {

struct TypeInfo {
  DataType type;
  std::string_view name;
  size_t size;
};

constexpr std::array<TypeInfo, 14> kTypes = {{
    {DataType::kBool, "BOOL", 1},   {DataType::kUint8, "UINT8", 1},
    {DataType::kUint16, "UINT16", 2}, {DataType::kUint32, "UINT32", 4},
    {DataType::kUint64, "UINT64", 8}, {DataType::kInt8, "INT8", 1},
    {DataType::kInt16, "INT16", 2}, {DataType::kInt32, "INT32", 4},
    {DataType::kInt64, "INT64", 8}, {DataType::kFp16, "FP16", 2},
    {DataType::kFp32, "FP32", 4},   {DataType::kFp64, "FP64", 8},
    {DataType::kBytes, "BYTES", 0}, {DataType::kBf16, "BF16", 2},
}};

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0) {
    float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  uint32_t bits;
  if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// kTypes indexed by DataType value: the name and size lookups run per request (and size per
// element in AsDouble).
constexpr auto kByType = [] {
  std::array<TypeInfo, 16> t{};
  for (size_t i = 0; i < t.size(); ++i) t[i] = {DataType::kInvalid, "INVALID", 0};
  for (const auto& info : kTypes) t[static_cast<size_t>(info.type)] = info;
  return t;
}();

const TypeInfo& Info(DataType t) {
  const auto i = static_cast<size_t>(t);
  return kByType[i < kByType.size() ? i : 0];
}

}  // namespace

std::string_view DataTypeName(DataType t) { return Info(t).name; }

std::optional<DataType> ParseDataType(std::string_view name) {
  for (const auto& info : kTypes) {
    if (info.name == name) return info.type;
  }
  return std::nullopt;
}

size_t ElementSize(DataType t) { return Info(t).size; }

bool IsFloating(DataType t) {
  return t == DataType::kFp16 || t == DataType::kFp32 || t == DataType::kFp64 ||
         t == DataType::kBf16;
}

bool IsInteger(DataType t) {
  switch (t) {
    case DataType::kUint8: case DataType::kUint16: case DataType::kUint32:
    case DataType::kUint64: case DataType::kInt8: case DataType::kInt16:
    case DataType::kInt32: case DataType::kInt64:
      return true;
    default:
      return false;
  }
}

StatusOr<int64_t> ElementCount(const Shape& shape) {
  constexpr int64_t kMax = int64_t{1} << 40;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      return InvalidArgumentError("shape " + ShapeToString(shape) +
                                  " has a negative dimension; request shapes must be >= 0");
    }
    if (d != 0 && n > kMax / d) {
      return InvalidArgumentError("shape " + ShapeToString(shape) + " is too large");
    }
    n *= d;
  }
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  s += "]";
  return s;
}

const ParamValue* Parameters::Find(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<std::string_view> Parameters::GetString(std::string_view key) const {
  const ParamValue* v = Find(key);
  if (v == nullptr || !std::holds_alternative<std::string>(*v)) return std::nullopt;
  return std::string_view(std::get<std::string>(*v));
}

std::optional<bool> Parameters::GetBool(std::string_view key) const {
  const ParamValue* v = Find(key);
  if (v == nullptr || !std::holds_alternative<bool>(*v)) return std::nullopt;
  return std::get<bool>(*v);
}

std::optional<int64_t> Parameters::GetInt(std::string_view key) const {
  const ParamValue* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (std::holds_alternative<int64_t>(*v)) return std::get<int64_t>(*v);
  if (std::holds_alternative<double>(*v)) {
    double d = std::get<double>(*v);
    if (d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

void Parameters::Set(std::string key, ParamValue value) {
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

void Parameters::SetString(std::string_view key, std::string_view value) {
  for (auto& [k, v] : entries_) {
    if (k == key) {
      if (auto* s = std::get_if<std::string>(&v)) {
        if (std::string_view(*s) != value) s->assign(value);  // often the value it had
      } else {
        v.emplace<std::string>(value);
      }
      return;
    }
  }
  Append<std::string>(key, value);
}

void Tensor::Reset() {
  name.clear();
  datatype = DataType::kInvalid;
  shape.clear();
  parameters.Clear();
  raw.clear();
  bytes.clear();
  null_mask.clear();
}

int64_t Tensor::num_elements() const {
  if (datatype == DataType::kBytes) return static_cast<int64_t>(bytes.size());
  size_t size = ElementSize(datatype);
  return size == 0 ? 0 : static_cast<int64_t>(raw.size() / size);
}

double Tensor::AsDouble(int64_t i) const {
  const uint8_t* p = raw.data() + i * ElementSize(datatype);
  auto load = [p](auto v) {
    std::memcpy(&v, p, sizeof(v));
    return static_cast<double>(v);
  };
  switch (datatype) {
    case DataType::kBool: return p[0] ? 1.0 : 0.0;
    case DataType::kUint8: return load(uint8_t{});
    case DataType::kUint16: return load(uint16_t{});
    case DataType::kUint32: return load(uint32_t{});
    case DataType::kUint64: return load(uint64_t{});
    case DataType::kInt8: return load(int8_t{});
    case DataType::kInt16: return load(int16_t{});
    case DataType::kInt32: return load(int32_t{});
    case DataType::kInt64: return load(int64_t{});
    case DataType::kFp32: return load(float{});
    case DataType::kFp64: return load(double{});
    case DataType::kFp16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return HalfToFloat(h);
    }
    case DataType::kBf16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      uint32_t bits = static_cast<uint32_t>(h) << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

Tensor Tensor::FromDoubles(std::vector<double> values, Shape shape) {
  Tensor t;
  t.datatype = DataType::kFp64;
  t.shape = std::move(shape);
  t.raw.resize(values.size() * sizeof(double));
  if (!values.empty()) {  // memcpy from an empty vector's null data() is UB
    std::memcpy(t.raw.data(), values.data(), t.raw.size());
  }
  return t;
}

Tensor Tensor::FromInt64s(const std::vector<int64_t>& values, Shape shape) {
  Tensor t;
  t.datatype = DataType::kInt64;
  t.shape = std::move(shape);
  t.raw.resize(values.size() * sizeof(int64_t));
  if (!values.empty()) {  // memcpy from an empty vector's null data() is UB
    std::memcpy(t.raw.data(), values.data(), t.raw.size());
  }
  return t;
}

Tensor Tensor::FromStrings(std::vector<std::string> values, Shape shape) {
  Tensor t;
  t.datatype = DataType::kBytes;
  t.shape = std::move(shape);
  t.bytes = std::move(values);
  return t;
}

}  // namespace ferry::protocol
