// JsonOut: appends JSON text to a std::string through a raw pointer. The V1, V2 and MLflow
// encoders build whole bodies with it; json_writer.h's Append* functions are one-piece uses.
//
// Each piece makes room for its worst case once (a string 6 bytes per byte plus 10, a number
// kMaxNumberChars) and is then written without per-character bounds checks or push_back
// calls. Text, escaping and number formats are json_writer.h's (shortest round trip, "5.0",
// NaN/Inf as null, \u00XX for bytes that are not UTF-8).
//
// While it writes, the string holds scratch bytes past the text: use the string again only
// after Finish() or the destructor, which trim it to the text. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "protocol/tensor.h"

namespace ferry::protocol {

class JsonOut {
 public:
  // Room one number takes at most ("-2.2250738585072014e-308", an int64, "5.0").
  static constexpr size_t kMaxNumberChars = 32;

  // Appends after what *out holds; room for `expected` bytes is made at once (a hint).
  explicit JsonOut(std::string* out, size_t expected = 0) : out_(out) { Ensure(expected); }
  ~JsonOut() { Finish(); }
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;

  // Trims the string to the text written and returns its size. A later piece appends again.
  size_t Finish() {
    if (p_ != nullptr) {
      out_->resize(static_cast<size_t>(p_ - out_->data()));
      p_ = limit_ = nullptr;
    }
    return out_->size();
  }

  // `text` as it is: punctuation and keys that need no escaping.
  void Raw(std::string_view text) {
    Ensure(text.size());
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  void Char(char c) {
    Ensure(1);
    *p_++ = c;
  }
  void String(std::string_view s);  // quoted and escaped
  void Int(int64_t v);
  void Uint(uint64_t v);
  void Double(double v);
  void Float(float v);
  void Bool(bool v) { Raw(v ? std::string_view("true") : std::string_view("false")); }
  void ShapeList(const Shape& shape);     // [2,4]
  void Params(const Parameters& params);  // {"k":v,...}
  void Value(const ParamValue& value);
  void Element(const Tensor& t, int64_t i);  // any datatype; BYTES as a string or null
  void FlatData(const Tensor& t);            // every element in one list
  void NestedData(const Tensor& t);          // nested by t.shape, else flat

 private:
  void Ensure(size_t n) {
    if (static_cast<size_t>(limit_ - p_) < n) Grow(n);
  }
  void Grow(size_t n);
  template <typename T>
  void Numbers(const Tensor& t, int64_t n);
  void NestedLevel(const Tensor& t, size_t dim, int64_t* next);

  std::string* out_;
  char* p_ = nullptr;  // next byte to write; nullptr: no room made yet (or trimmed)
  char* limit_ = nullptr;
};

}  // namespace ferry::protocol
