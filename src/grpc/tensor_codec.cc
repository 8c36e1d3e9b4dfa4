#include "grpc/tensor_codec.h"

#include <cstring>
#include <limits>
#include <string>

namespace ferry::grpc {

using protocol::DataType;
using protocol::Tensor;
using ParamMap = google::protobuf::Map<std::string, inference::InferParameter>;

namespace {

std::string Describe(const Tensor& t) {
  return "input '" + t.name + "' (" + std::string(protocol::DataTypeName(t.datatype)) + ", shape " +
         protocol::ShapeToString(t.shape) + ")";
}

Status ParamsFromProto(const ParamMap& in, protocol::Parameters* out) {
  for (const auto& [key, p] : in) {
    switch (p.parameter_choice_case()) {
      case inference::InferParameter::kBoolParam: out->Set(key, p.bool_param()); break;
      case inference::InferParameter::kInt64Param: out->Set(key, int64_t{p.int64_param()}); break;
      case inference::InferParameter::kStringParam:
        out->Set(key, std::string(p.string_param()));
        break;
      case inference::InferParameter::kDoubleParam: out->Set(key, p.double_param()); break;
      case inference::InferParameter::kUint64Param:
        if (p.uint64_param() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return InvalidArgumentError("parameter '" + key + "' = " +
                                      std::to_string(p.uint64_param()) +
                                      " does not fit an int64; send a smaller value");
        }
        out->Set(key, static_cast<int64_t>(p.uint64_param()));
        break;
      case inference::InferParameter::PARAMETER_CHOICE_NOT_SET: break;
    }
  }
  return OkStatus();
}

void ParamsToProto(const protocol::Parameters& in, ParamMap* out) {
  for (const auto& [key, value] : in.entries()) {
    inference::InferParameter& p = (*out)[key];
    if (auto* b = std::get_if<bool>(&value)) p.set_bool_param(*b);
    if (auto* i = std::get_if<int64_t>(&value)) p.set_int64_param(*i);
    if (auto* d = std::get_if<double>(&value)) p.set_double_param(*d);
    if (auto* s = std::get_if<std::string>(&value)) p.set_string_param(*s);
  }
}

// Copies a repeated contents field into t->raw as Dst, range-checked.
template <typename Dst, typename Field>
Status CopyContents(const Field& src, const char* field, int64_t n, Tensor* t) {
  if (src.size() != n) {
    return InvalidArgumentError(Describe(*t) + " needs " + std::to_string(n) +
                                " values in contents." + field + ", got " +
                                std::to_string(src.size()) +
                                "; match the shape or fix the datatype");
  }
  t->raw.resize(static_cast<size_t>(n) * sizeof(Dst));
  Dst* d = t->mutable_data<Dst>();
  for (int64_t i = 0; i < n; ++i) {
    auto v = src[static_cast<int>(i)];
    if constexpr (std::is_integral_v<Dst> && !std::is_same_v<Dst, bool> && sizeof(Dst) < 4) {
      auto w = static_cast<int64_t>(v);
      if (w < std::numeric_limits<Dst>::min() || w > std::numeric_limits<Dst>::max()) {
        return InvalidArgumentError(Describe(*t) + " value " + std::to_string(v) + " at index " +
                                    std::to_string(i) + " is out of range for its datatype");
      }
    }
    d[i] = static_cast<Dst>(v);
  }
  return OkStatus();
}

Status TypedContents(const inference::InferTensorContents& c, int64_t n, Tensor* t) {
  switch (t->datatype) {
    case DataType::kBool: return CopyContents<uint8_t>(c.bool_contents(), "bool_contents", n, t);
    case DataType::kInt8: return CopyContents<int8_t>(c.int_contents(), "int_contents", n, t);
    case DataType::kInt16: return CopyContents<int16_t>(c.int_contents(), "int_contents", n, t);
    case DataType::kInt32: return CopyContents<int32_t>(c.int_contents(), "int_contents", n, t);
    case DataType::kInt64: return CopyContents<int64_t>(c.int64_contents(), "int64_contents", n, t);
    case DataType::kUint8: return CopyContents<uint8_t>(c.uint_contents(), "uint_contents", n, t);
    case DataType::kUint16: return CopyContents<uint16_t>(c.uint_contents(), "uint_contents", n, t);
    case DataType::kUint32: return CopyContents<uint32_t>(c.uint_contents(), "uint_contents", n, t);
    case DataType::kUint64:
      return CopyContents<uint64_t>(c.uint64_contents(), "uint64_contents", n, t);
    case DataType::kFp32: return CopyContents<float>(c.fp32_contents(), "fp32_contents", n, t);
    case DataType::kFp64: return CopyContents<double>(c.fp64_contents(), "fp64_contents", n, t);
    case DataType::kBytes:
      if (c.bytes_contents_size() != n) {
        return InvalidArgumentError(Describe(*t) + " needs " + std::to_string(n) +
                                    " values in contents.bytes_contents, got " +
                                    std::to_string(c.bytes_contents_size()));
      }
      t->bytes.assign(c.bytes_contents().begin(), c.bytes_contents().end());
      return OkStatus();
    default:
      return InvalidArgumentError(Describe(*t) + ": FP16/BF16 values can only be sent in "
                                  "raw_input_contents, not in typed contents");
  }
}

Status RawContents(const std::string& raw, int64_t n, Tensor* t) {
  if (t->datatype != DataType::kBytes) {
    size_t want = static_cast<size_t>(n) * protocol::ElementSize(t->datatype);
    if (raw.size() != want) {
      return InvalidArgumentError(Describe(*t) + " needs " + std::to_string(want) +
                                  " bytes of raw_input_contents, got " +
                                  std::to_string(raw.size()) + "; raw data is row-major with no "
                                  "padding");
    }
    t->raw.assign(raw.begin(), raw.end());
    return OkStatus();
  }
  size_t pos = 0;
  while (pos < raw.size()) {
    uint32_t len = 0;
    if (raw.size() - pos < 4) break;
    std::memcpy(&len, raw.data() + pos, 4);  // little-endian hosts only (x86-64, arm64)
    pos += 4;
    if (raw.size() - pos < len) {
      return InvalidArgumentError(Describe(*t) + " raw BYTES element " +
                                  std::to_string(t->bytes.size()) + " claims " +
                                  std::to_string(len) + " bytes but only " +
                                  std::to_string(raw.size() - pos) + " remain");
    }
    t->bytes.emplace_back(raw.data() + pos, len);
    pos += len;
  }
  if (pos != raw.size() || static_cast<int64_t>(t->bytes.size()) != n) {
    return InvalidArgumentError(Describe(*t) + " raw BYTES must be " + std::to_string(n) +
                                " elements, each a 4-byte little-endian length and its bytes");
  }
  return OkStatus();
}

StatusOr<Tensor> InputFromProto(const inference::ModelInferRequest::InferInputTensor& in,
                                const std::string* raw) {
  Tensor t;
  t.name = in.name();
  auto dt = protocol::ParseDataType(in.datatype());
  if (!dt) {
    return InvalidArgumentError("input '" + in.name() + "' has unknown datatype '" +
                                in.datatype() + "'; use BOOL, INT8..INT64, UINT8..UINT64, FP16, "
                                "FP32, FP64, BF16 or BYTES");
  }
  t.datatype = *dt;
  t.shape.assign(in.shape().begin(), in.shape().end());
  ASSIGN_OR_RETURN(int64_t n, protocol::ElementCount(t.shape));
  RETURN_IF_ERROR(ParamsFromProto(in.parameters(), &t.parameters));
  if (raw != nullptr) {
    RETURN_IF_ERROR(RawContents(*raw, n, &t));
  } else {
    RETURN_IF_ERROR(TypedContents(in.contents(), n, &t));
  }
  return t;
}

// Appends t's values to a typed contents field, widened to the field's type.
template <typename Src, typename Dst>
void Append(const Tensor& t, google::protobuf::RepeatedField<Dst>* field) {
  const Src* p = t.data<Src>();
  size_t n = t.raw.size() / sizeof(Src);
  field->Reserve(field->size() + static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) field->AddAlreadyReserved(static_cast<Dst>(p[i]));
}

void TypedOutput(const Tensor& t, inference::InferTensorContents* c) {
  switch (t.datatype) {
    case DataType::kBool: {
      const uint8_t* p = t.data<uint8_t>();
      for (size_t i = 0; i < t.raw.size(); ++i) c->add_bool_contents(p[i] != 0);
      break;
    }
    case DataType::kInt8: Append<int8_t>(t, c->mutable_int_contents()); break;
    case DataType::kInt16: Append<int16_t>(t, c->mutable_int_contents()); break;
    case DataType::kInt32: Append<int32_t>(t, c->mutable_int_contents()); break;
    case DataType::kInt64: Append<int64_t>(t, c->mutable_int64_contents()); break;
    case DataType::kUint8: Append<uint8_t>(t, c->mutable_uint_contents()); break;
    case DataType::kUint16: Append<uint16_t>(t, c->mutable_uint_contents()); break;
    case DataType::kUint32: Append<uint32_t>(t, c->mutable_uint_contents()); break;
    case DataType::kUint64: Append<uint64_t>(t, c->mutable_uint64_contents()); break;
    case DataType::kFp32: Append<float>(t, c->mutable_fp32_contents()); break;
    case DataType::kFp64: Append<double>(t, c->mutable_fp64_contents()); break;
    case DataType::kBytes:
      for (const auto& s : t.bytes) c->add_bytes_contents(s);
      break;
    default: break;  // FP16/BF16 never reach here: they force raw output
  }
}

// Writes t's raw bytes straight into the response's raw_output_contents entry.
void RawOutput(const Tensor& t, std::string* out) {
  if (t.datatype != DataType::kBytes) {
    out->assign(reinterpret_cast<const char*>(t.raw.data()), t.raw.size());
    return;
  }
  size_t total = 0;
  for (const auto& s : t.bytes) total += 4 + s.size();
  out->reserve(total);
  for (const auto& s : t.bytes) {
    uint32_t len = static_cast<uint32_t>(s.size());
    out->append(reinterpret_cast<const char*>(&len), 4);
    out->append(s);
  }
}

}  // namespace

StatusOr<protocol::InferRequest> FromProto(const inference::ModelInferRequest& req) {
  protocol::InferRequest out;
  if (!req.id().empty()) out.id = req.id();
  RETURN_IF_ERROR(ParamsFromProto(req.parameters(), &out.parameters));
  bool raw = req.raw_input_contents_size() > 0;
  if (raw && req.raw_input_contents_size() != req.inputs_size()) {
    return InvalidArgumentError("raw_input_contents has " +
                                std::to_string(req.raw_input_contents_size()) + " entries for " +
                                std::to_string(req.inputs_size()) +
                                " inputs; send exactly one per input, in the inputs' order");
  }
  for (int i = 0; i < req.inputs_size(); ++i) {
    const auto& in = req.inputs(i);
    if (raw && in.has_contents()) {
      return InvalidArgumentError("input '" + in.name() + "' sets contents while the request uses "
                                  "raw_input_contents; use one or the other for all inputs");
    }
    ASSIGN_OR_RETURN(Tensor t, InputFromProto(in, raw ? &req.raw_input_contents(i) : nullptr));
    out.inputs.push_back(std::move(t));
  }
  for (const auto& o : req.outputs()) {
    protocol::RequestedOutput r;
    r.name = o.name();
    RETURN_IF_ERROR(ParamsFromProto(o.parameters(), &r.parameters));
    out.outputs.push_back(std::move(r));
  }
  return out;
}

void ToProto(const protocol::InferResponse& resp, bool raw, inference::ModelInferResponse* out) {
  out->set_model_name(resp.model_name);
  out->set_model_version(resp.model_version);
  out->set_id(resp.id);
  ParamsToProto(resp.parameters, out->mutable_parameters());
  for (const auto& t : resp.outputs) {
    if (t.datatype == DataType::kFp16 || t.datatype == DataType::kBf16) raw = true;
  }
  for (const auto& t : resp.outputs) {
    auto* o = out->add_outputs();
    o->set_name(t.name);
    o->set_datatype(std::string(protocol::DataTypeName(t.datatype)));
    o->mutable_shape()->Add(t.shape.begin(), t.shape.end());
    ParamsToProto(t.parameters, o->mutable_parameters());
    if (raw) {
      RawOutput(t, out->add_raw_output_contents());
    } else {
      TypedOutput(t, o->mutable_contents());
    }
  }
}

void ToProto(const protocol::ModelMetadata& md, inference::ModelMetadataResponse* out) {
  out->set_name(md.name);
  for (const auto& v : md.versions) out->add_versions(v);
  out->set_platform(md.platform);
  auto add = [](const protocol::TensorSpec& s, auto* t) {
    t->set_name(s.name);
    t->set_datatype(std::string(protocol::DataTypeName(s.datatype)));
    t->mutable_shape()->Add(s.shape.begin(), s.shape.end());
  };
  for (const auto& s : md.inputs) add(s, out->add_inputs());
  for (const auto& s : md.outputs) add(s, out->add_outputs());
  if (!md.content_type.empty()) (*out->mutable_properties())["content_type"] = md.content_type;
}

}  // namespace ferry::grpc
