// The one-piece writers: each is a JsonOut (json_out.h) that writes one piece.
#include "protocol/json_writer.h"

#include "protocol/json_out.h"

namespace ferry::protocol {

void AppendJsonString(std::string* out, std::string_view s) { JsonOut(out).String(s); }

std::string JsonEscape(std::string_view s) {
  std::string out;
  JsonOut(&out).String(s);
  return out;
}

void AppendDouble(std::string* out, double v) { JsonOut(out).Double(v); }
void AppendFloat(std::string* out, float v) { JsonOut(out).Float(v); }
void AppendInt(std::string* out, int64_t v) { JsonOut(out).Int(v); }
void AppendUint(std::string* out, uint64_t v) { JsonOut(out).Uint(v); }
void AppendShape(std::string* out, const Shape& shape) { JsonOut(out).ShapeList(shape); }
void AppendParamValue(std::string* out, const ParamValue& value) { JsonOut(out).Value(value); }
void AppendParameters(std::string* out, const Parameters& params) { JsonOut(out).Params(params); }
void AppendElement(std::string* out, const Tensor& t, int64_t i) { JsonOut(out).Element(t, i); }
void AppendFlatData(std::string* out, const Tensor& t) { JsonOut(out).FlatData(t); }
void AppendNestedData(std::string* out, const Tensor& t) { JsonOut(out).NestedData(t); }

}  // namespace ferry::protocol
