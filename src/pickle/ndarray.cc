#include "pickle/ndarray.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "pickle/value.h"

namespace ferry::pickle {
namespace {

bool IsNumericKind(char k) { return k == 'f' || k == 'i' || k == 'u' || k == 'b'; }

bool NeedsSwap(const DType& d) { return d.byteorder == '>' && d.itemsize > 1; }

double HalfToDouble(uint16_t h) {
  const int sign = (h >> 15) & 1;
  const int exp = (h >> 10) & 0x1f;
  const int mant = h & 0x3ff;
  double v;
  if (exp == 0) {
    v = std::ldexp(mant, -24);
  } else if (exp == 31) {
    v = mant ? std::nan("") : INFINITY;
  } else {
    v = std::ldexp(mant + 1024, exp - 25);
  }
  return sign ? -v : v;
}

// Swaps the bytes of every element of `d` (recursing into struct fields) in
// the n elements starting at p, each `stride` bytes apart.
void SwapElements(char* p, int64_t n, int64_t stride, const DType& d) {
  if (d.is_structured()) {
    for (const auto& f : d.fields) {
      SwapElements(p + f.offset, n, stride, *f.dtype);
    }
    return;
  }
  if (d.byteorder != '>') {
    return;
  }
  int64_t unit = d.itemsize;
  if (d.kind == 'U') {
    unit = 4;
  }
  if (d.kind == 'c') {
    unit = d.itemsize / 2;
  }
  if (unit <= 1) {
    return;
  }
  for (int64_t e = 0; e < n; ++e) {
    char* q = p + e * stride;
    for (int64_t u = 0; u + unit <= d.itemsize; u += unit) {
      std::reverse(q + u, q + u + unit);
    }
  }
}

void MarkLittle(DType& d) {
  if (d.byteorder == '>') {
    d.byteorder = '<';
  }
  for (auto& f : d.fields) {
    if (f.dtype->byteorder == '>' || f.dtype->is_structured()) {
      auto copy = std::make_shared<DType>(*f.dtype);
      MarkLittle(*copy);
      f.dtype = std::move(copy);
    }
  }
}

bool AnyBigEndian(const DType& d) {
  if (NeedsSwap(d)) {
    return true;
  }
  for (const auto& f : d.fields) {
    if (AnyBigEndian(*f.dtype)) {
      return true;
    }
  }
  return false;
}

std::string FortranToC(const std::string& src, const std::vector<int64_t>& shape, int64_t item) {
  std::string out(src.size(), '\0');
  const size_t nd = shape.size();
  std::vector<int64_t> idx(nd, 0);
  std::vector<int64_t> fstride(nd, 1);
  for (size_t d = 1; d < nd; ++d) {
    fstride[d] = fstride[d - 1] * shape[d - 1];
  }
  const int64_t n = static_cast<int64_t>(src.size()) / std::max<int64_t>(item, 1);
  for (int64_t c = 0; c < n; ++c) {
    int64_t f = 0;
    for (size_t d = 0; d < nd; ++d) {
      f += idx[d] * fstride[d];
    }
    std::memcpy(&out[c * item], &src[f * item], item);
    for (size_t d = nd; d-- > 0;) {
      if (++idx[d] < shape[d]) {
        break;
      }
      idx[d] = 0;
    }
  }
  return out;
}

StatusOr<double> ReadAsDouble(const char* p, const DType& d) {
  switch (d.kind) {
    case 'f':
      if (d.itemsize == 8) {
        double v;
        std::memcpy(&v, p, 8);
        return v;
      }
      if (d.itemsize == 4) {
        float v;
        std::memcpy(&v, p, 4);
        return static_cast<double>(v);
      }
      if (d.itemsize == 2) {
        uint16_t v;
        std::memcpy(&v, p, 2);
        return HalfToDouble(v);
      }
      break;
    case 'i':
    case 'u':
    case 'b': {
      if (d.itemsize < 1 || d.itemsize > 8) {
        break;
      }
      uint64_t u = 0;
      std::memcpy(&u, p, d.itemsize);
      if (d.kind == 'i' && d.itemsize < 8 && (u >> (d.itemsize * 8 - 1)) & 1) {
        u |= ~uint64_t{0} << (d.itemsize * 8);
      }
      return d.kind == 'i' ? static_cast<double>(static_cast<int64_t>(u)) : static_cast<double>(u);
    }
    default:
      break;
  }
  return InvalidArgumentError("numpy dtype " + d.ToString() + " cannot be read as a number");
}

StatusOr<double> ObjectAsDouble(const Value* v) {
  if (v == nullptr || v->kind == Kind::kNone) {
    return std::nan("");
  }
  if (v->kind == Kind::kFloat) {
    return v->f;
  }
  if (v->kind == Kind::kInt) {
    return static_cast<double>(v->i);
  }
  if (v->kind == Kind::kBool) {
    return v->b ? 1.0 : 0.0;
  }
  if (v->kind == Kind::kScalar && v->array && !v->array->data.empty()) {
    return ReadAsDouble(v->array->data.data(), v->array->dtype);
  }
  return InvalidArgumentError("object array element " + (v ? v->Describe() : "null") +
                              " is not a number");
}

}  // namespace

const DType::Field* DType::FindField(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

std::string DType::ToString() const {
  std::string s(1, byteorder);
  s += kind;
  if (kind != 'O') {
    s += std::to_string(kind == 'U' ? itemsize / 4 : itemsize);
  }
  if (!fields.empty()) {
    s += "{";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) {
        s += ",";
      }
      s += fields[i].name + ":" + fields[i].dtype->ToString() + "@" +
           std::to_string(fields[i].offset);
    }
    s += "}";
  }
  return s;
}

StatusOr<DType> ParseDTypeSpec(std::string_view spec) {
  DType d;
  std::string_view s = spec;
  char order = 0;
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
    order = s[0] == '=' ? '<' : s[0];
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return InvalidArgumentError("empty numpy dtype spec");
  }
  d.kind = s[0];
  s.remove_prefix(1);
  if (size_t br = s.find('['); br != std::string_view::npos) {
    s = s.substr(0, br);
  }
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || n > (int64_t{1} << 40)) {
      return InvalidArgumentError("unsupported numpy dtype '" + std::string(spec) + "'");
    }
    n = n * 10 + (c - '0');
  }
  static constexpr std::string_view kKinds = "fiubOVUSMmc";
  if (kKinds.find(d.kind) == std::string_view::npos || (s.empty() && d.kind != 'O')) {
    return InvalidArgumentError("unsupported numpy dtype '" + std::string(spec) + "'");
  }
  d.itemsize = d.kind == 'U' ? n * 4 : (d.kind == 'O' ? 8 : n);
  if (d.itemsize == 0 && std::string_view("fiubc").find(d.kind) != std::string_view::npos) {
    return InvalidArgumentError("numpy dtype '" + std::string(spec) + "' has a zero item size");
  }
  bool multibyte = d.itemsize > 1 && d.kind != 'O' && d.kind != 'V' && d.kind != 'S';
  d.byteorder = order ? order : (multibyte ? '<' : '|');
  return d;
}

int64_t NDArray::size() const {
  int64_t n = 1;
  for (int64_t d : shape) {
    n *= d;
  }
  return n;
}

Status NormalizeArray(NDArray& a, std::string_view what) {
  int64_t n = 1;
  for (int64_t d : a.shape) {
    if (d < 0 || (d > 0 && n > (int64_t{1} << 40) / d)) {
      return InvalidArgumentError(std::string(what) + ": invalid array shape");
    }
    n *= d;
  }
  if (a.is_object()) {
    if (static_cast<int64_t>(a.objects.size()) != n) {
      return InvalidArgumentError(std::string(what) + ": object array holds " +
                                  std::to_string(a.objects.size()) + " items, shape needs " +
                                  std::to_string(n));
    }
    return OkStatus();
  }
  if (a.dtype.itemsize <= 0 && n > 0) {
    return InvalidArgumentError(std::string(what) + ": dtype has no item size");
  }
  if (a.dtype.itemsize > 0 && n > static_cast<int64_t>(a.data.size()) / a.dtype.itemsize) {
    return InvalidArgumentError(std::string(what) + ": array data is shorter than its shape");
  }
  if (static_cast<int64_t>(a.data.size()) != n * a.dtype.itemsize) {
    return InvalidArgumentError(std::string(what) + ": array data is " +
                                std::to_string(a.data.size()) + " bytes, shape and dtype " +
                                a.dtype.ToString() + " need " +
                                std::to_string(n * a.dtype.itemsize));
  }
  if (AnyBigEndian(a.dtype)) {
    SwapElements(a.data.data(), n, a.dtype.itemsize, a.dtype);
    MarkLittle(a.dtype);
  }
  if (a.fortran_on_disk && a.shape.size() > 1) {
    a.data = FortranToC(a.data, a.shape, a.dtype.itemsize);
  }
  return OkStatus();
}

StatusOr<std::vector<double>> ToDoubles(const NDArray& a) {
  std::vector<double> out;
  if (a.is_object()) {
    out.reserve(a.objects.size());
    for (const Value* v : a.objects) {
      ASSIGN_OR_RETURN(double d, ObjectAsDouble(v));
      out.push_back(d);
    }
    return out;
  }
  if (!IsNumericKind(a.dtype.kind) || a.dtype.is_structured()) {
    return InvalidArgumentError("array of dtype " + a.dtype.ToString() + " is not numeric");
  }
  const int64_t n = a.size();
  out.resize(n);
  if (a.dtype.kind == 'f' && a.dtype.itemsize == 8) {
    if (n > 0) std::memcpy(out.data(), a.data.data(), n * 8);  // empty: data() may be null
    return out;
  }
  for (int64_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(out[i], ReadAsDouble(a.data.data() + i * a.dtype.itemsize, a.dtype));
  }
  return out;
}

StatusOr<std::vector<int64_t>> ToInt64s(const NDArray& a) {
  ASSIGN_OR_RETURN(auto d, ToDoubles(a));
  std::vector<int64_t> out(d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    if (!(std::fabs(d[i]) < 9.2e18) || d[i] != std::floor(d[i])) {
      return InvalidArgumentError("array element " + std::to_string(d[i]) + " is not an integer");
    }
    out[i] = static_cast<int64_t>(d[i]);
  }
  return out;
}

StatusOr<std::vector<std::string>> ToStrings(const NDArray& a) {
  std::vector<std::string> out;
  const int64_t n = a.size();
  if (a.is_object()) {
    for (const Value* v : a.objects) {
      if (v == nullptr || (v->kind != Kind::kStr && v->kind != Kind::kBytes)) {
        return InvalidArgumentError("object array element " + (v ? v->Describe() : "null") +
                                    " is not a string");
      }
      out.push_back(v->str);
    }
    return out;
  }
  const int64_t item = a.dtype.itemsize;
  if (a.dtype.kind == 'S') {
    for (int64_t i = 0; i < n; ++i) {
      std::string s(a.data.data() + i * item, item);
      s.erase(s.find_last_not_of('\0') + 1);
      out.push_back(std::move(s));
    }
    return out;
  }
  if (a.dtype.kind != 'U') {
    return InvalidArgumentError("array of dtype " + a.dtype.ToString() + " does not hold text");
  }
  for (int64_t i = 0; i < n; ++i) {
    std::string s;
    for (int64_t c = 0; c < item / 4; ++c) {
      uint32_t cp;
      std::memcpy(&cp, a.data.data() + i * item + c * 4, 4);
      if (cp == 0) {
        break;
      }
      if (cp < 0x80) {
        s += static_cast<char>(cp);
      } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        s += static_cast<char>(0xF0 | ((cp >> 18) & 0x07));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<std::vector<double>> FieldToDoubles(const NDArray& a, std::string_view field) {
  const DType::Field* f = a.dtype.FindField(field);
  if (f == nullptr) {
    return InvalidArgumentError("structured array " + a.dtype.ToString() + " has no field '" +
                                std::string(field) + "'");
  }
  if (f->offset < 0 || f->offset + f->dtype->itemsize > a.dtype.itemsize) {
    return InvalidArgumentError("field '" + std::string(field) + "' lies outside its record");
  }
  const int64_t n = a.size();
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(out[i],
                     ReadAsDouble(a.data.data() + i * a.dtype.itemsize + f->offset, *f->dtype));
  }
  return out;
}

StatusOr<std::vector<int64_t>> FieldToInt64s(const NDArray& a, std::string_view field) {
  ASSIGN_OR_RETURN(auto d, FieldToDoubles(a, field));
  std::vector<int64_t> out(d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    if (!(std::fabs(d[i]) < 9.2e18)) {
      return InvalidArgumentError("field '" + std::string(field) + "' holds a non-integer");
    }
    out[i] = static_cast<int64_t>(d[i]);
  }
  return out;
}

}  // namespace ferry::pickle
