// V2 encoders: inference response (JSON or JSON + binary tail), model
// metadata and error bodies. Appends into one string; no DOM.
#include "protocol/v2_json.h"

#include "protocol/json_out.h"

namespace ferry::protocol {
namespace {

bool WantsBinary(const Tensor& out, const InferRequest& req) {
  bool binary = req.parameters.GetBool("binary_data_output").value_or(false);
  for (const RequestedOutput& r : req.outputs) {
    if (r.name == out.name) {
      binary = r.parameters.GetBool("binary_data").value_or(binary);
    }
  }
  return binary;
}

// Binary layout of one tensor: raw little-endian bytes, or for BYTES a 4-byte
// little-endian length before each element.
void AppendBinary(std::string* out, const Tensor& t) {
  if (t.datatype != DataType::kBytes) {
    out->append(reinterpret_cast<const char*>(t.raw.data()), t.raw.size());
    return;
  }
  for (size_t i = 0; i < t.bytes.size(); ++i) {
    const bool null = !t.null_mask.empty() && t.null_mask[i];
    const auto len = static_cast<uint32_t>(null ? 0 : t.bytes[i].size());
    const char prefix[4] = {static_cast<char>(len & 0xff), static_cast<char>((len >> 8) & 0xff),
                            static_cast<char>((len >> 16) & 0xff),
                            static_cast<char>((len >> 24) & 0xff)};
    out->append(prefix, 4);
    if (!null) {
      out->append(t.bytes[i]);
    }
  }
}

size_t BinarySize(const Tensor& t) {
  if (t.datatype != DataType::kBytes) {
    return t.raw.size();
  }
  size_t n = 4 * t.bytes.size();
  for (size_t i = 0; i < t.bytes.size(); ++i) {
    if (t.null_mask.empty() || !t.null_mask[i]) {
      n += t.bytes[i].size();
    }
  }
  return n;
}

void AppendOutput(JsonOut* out, const Tensor& t, bool binary) {
  out->Raw("{\"name\":");
  out->String(t.name);
  out->Raw(",\"datatype\":");
  out->String(DataTypeName(t.datatype));
  out->Raw(",\"shape\":");
  out->ShapeList(t.shape);
  // The tensor's own parameters, with binary_data_size set (replaced if the
  // tensor had one) for a binary output: written in place, not copied.
  if (binary) {
    Parameters params = t.parameters;
    params.Set("binary_data_size", static_cast<int64_t>(BinarySize(t)));
    out->Raw(",\"parameters\":");
    out->Params(params);
  } else if (!t.parameters.empty()) {
    out->Raw(",\"parameters\":");
    out->Params(t.parameters);
  }
  if (!binary) {
    out->Raw(",\"data\":");
    out->FlatData(t);
  }
  out->Char('}');
}

void AppendTensorSpec(std::string* out, const TensorSpec& spec) {
  out->append("{\"name\":");
  AppendJsonString(out, spec.name);
  out->append(",\"datatype\":");
  AppendJsonString(out, DataTypeName(spec.datatype));
  out->append(",\"shape\":");
  AppendShape(out, spec.shape);
  if (!spec.content_type.empty()) {
    out->append(",\"parameters\":{\"content_type\":");
    AppendJsonString(out, spec.content_type);
    out->push_back('}');
  }
  out->push_back('}');
}

void AppendSpecList(std::string* out, const std::vector<TensorSpec>& specs) {
  out->push_back('[');
  for (size_t i = 0; i < specs.size(); ++i) {
    if (i != 0) {
      out->push_back(',');
    }
    AppendTensorSpec(out, specs[i]);
  }
  out->push_back(']');
}

}  // namespace

V2Encoded WriteV2Response(const InferResponse& resp, const InferRequest& req) {
  V2Encoded enc;
  enc.json_size = WriteV2Response(resp, req, &enc.body);
  return enc;
}

size_t WriteV2Response(const InferResponse& resp, const InferRequest& req, std::string* body) {
  std::string& out = *body;
  out.clear();
  size_t reserve = 128;
  bool any_binary = false;
  for (const Tensor& t : resp.outputs) {
    any_binary = any_binary || WantsBinary(t, req);
    reserve += t.raw.size() * 3 + t.bytes.size() * 16 + 64;
  }
  JsonOut w(&out, reserve);
  w.Raw("{\"model_name\":");
  w.String(resp.model_name);
  if (!resp.model_version.empty()) {
    w.Raw(",\"model_version\":");
    w.String(resp.model_version);
  }
  const std::string* id = !resp.id.empty() ? &resp.id : (req.id ? &*req.id : nullptr);
  if (id != nullptr) {
    w.Raw(",\"id\":");
    w.String(*id);
  }
  if (!resp.parameters.empty()) {
    w.Raw(",\"parameters\":");
    w.Params(resp.parameters);
  }
  w.Raw(",\"outputs\":[");
  for (size_t i = 0; i < resp.outputs.size(); ++i) {
    if (i != 0) {
      w.Char(',');
    }
    AppendOutput(&w, resp.outputs[i], any_binary && WantsBinary(resp.outputs[i], req));
  }
  w.Raw("]}");
  const size_t json_size = w.Finish();
  for (size_t i = 0; any_binary && i < resp.outputs.size(); ++i) {
    if (WantsBinary(resp.outputs[i], req)) {
      AppendBinary(&out, resp.outputs[i]);
    }
  }
  return json_size;
}

std::string WriteV2Metadata(const ModelMetadata& md) {
  std::string out = "{\"name\":";
  AppendJsonString(&out, md.name);
  out.append(",\"versions\":[");
  for (size_t i = 0; i < md.versions.size(); ++i) {
    if (i != 0) {
      out.push_back(',');
    }
    AppendJsonString(&out, md.versions[i]);
  }
  out.append("],\"platform\":");
  AppendJsonString(&out, md.platform);
  out.append(",\"inputs\":");
  AppendSpecList(&out, md.inputs);
  out.append(",\"outputs\":");
  AppendSpecList(&out, md.outputs);
  const std::string& example = md.example_request.get();
  if (!md.content_type.empty() || !example.empty()) {
    out.append(",\"parameters\":{");
    if (!md.content_type.empty()) {
      out.append("\"content_type\":");
      AppendJsonString(&out, md.content_type);
    }
    if (!example.empty()) {
      if (!md.content_type.empty()) out.push_back(',');
      out.append("\"input_example\":");
      AppendJsonString(&out, example);
    }
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

std::string WriteJsonError(std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(&out, message);
  out.push_back('}');
  return out;
}

}  // namespace ferry::protocol
