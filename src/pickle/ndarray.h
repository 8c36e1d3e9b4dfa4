// DType and NDArray: numpy arrays as the pickle reader hands them out.
//
// Every array is normalised when it is read: data is C-order (row-major)
// and little-endian whatever the file said, so consumers index it directly
// and never see strides or byte order. Structured dtypes (tree node arrays)
// keep their fields by name and offset; read them with the Field* helpers,
// which use memcpy because the offsets may be unaligned.
//
// Plain values; no threads involved.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::pickle {

struct Value;

struct DType {
  // numpy kind: 'f' float, 'i' int, 'u' unsigned, 'b' bool, 'O' object, 'V' void/struct,
  // 'U' UCS4 text, 'S' bytes, 'M' datetime64, 'm' timedelta64, 'c' complex.
  char kind = 'V';
  int64_t itemsize = 0;
  char byteorder = '|';  // '<', '>' or '|' (not applicable); arrays are converted to '<'
  struct Field {
    std::string name;
    std::shared_ptr<const DType> dtype;
    int64_t offset = 0;
  };
  std::vector<Field> fields;  // structured dtypes only, in `names` order

  bool is_structured() const { return !fields.empty(); }
  const Field* FindField(std::string_view name) const;
  // numpy's spelling: "<f8", "|O", "|V56{left_child:<i8@0,...}".
  std::string ToString() const;
};

// Parses a numpy dtype spec as numpy.dtype() receives it in a pickle ("f8", "i4", "O8",
// "V56", "U5", "S3", "b1", "M8[ns]", "<f8"); error for anything else.
StatusOr<DType> ParseDTypeSpec(std::string_view spec);

struct NDArray {
  DType dtype;
  std::vector<int64_t> shape;  // empty for 0-d arrays and scalars
  bool fortran_on_disk = false;
  std::string data;                   // C-order little-endian, size() * itemsize bytes; non-object
  std::vector<const Value*> objects;  // object dtype, C order

  int64_t size() const;  // product of shape (1 for 0-d)
  bool is_object() const { return dtype.kind == 'O'; }
  int64_t dim(size_t i) const { return i < shape.size() ? shape[i] : 1; }
};

// Checks `data` against shape and dtype, byteswaps big-endian elements and
// transposes Fortran-order data to C order. `what` names the array in errors.
Status NormalizeArray(NDArray& a, std::string_view what);

// Element-wise conversions, C order. Numeric kinds (f, i, u, b) convert; object
// arrays convert when every element is a Python number (None -> NaN).
StatusOr<std::vector<double>> ToDoubles(const NDArray& a);
StatusOr<std::vector<int64_t>> ToInt64s(const NDArray& a);
// U, S and object arrays of str/bytes.
StatusOr<std::vector<std::string>> ToStrings(const NDArray& a);
// One field of a structured array, converted per element.
StatusOr<std::vector<double>> FieldToDoubles(const NDArray& a, std::string_view field);
StatusOr<std::vector<int64_t>> FieldToInt64s(const NDArray& a, std::string_view field);

}  // namespace ferry::pickle
