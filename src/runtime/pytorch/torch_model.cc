#include "runtime/pytorch/torch_model.h"

#include <array>
#include <cstring>
#include <utility>

#include "common/deadline.h"

namespace ferry::pytorch {

using protocol::DataType;
using protocol::Tensor;

namespace {

constexpr std::array<std::pair<DataType, at::ScalarType>, 10> kTypes = {{
    {DataType::kBool, at::kBool},
    {DataType::kUint8, at::kByte},
    {DataType::kInt8, at::kChar},
    {DataType::kInt16, at::kShort},
    {DataType::kInt32, at::kInt},
    {DataType::kInt64, at::kLong},
    {DataType::kFp16, at::kHalf},
    {DataType::kFp32, at::kFloat},
    {DataType::kFp64, at::kDouble},
    {DataType::kBf16, at::kBFloat16},
}};

std::string Describe(const Tensor& t) {
  return std::string(protocol::DataTypeName(t.datatype)) + " " + protocol::ShapeToString(t.shape);
}

// Shape `got` fits `want` (-1 = any size; the rank must match).
bool ShapeFits(const protocol::Shape& want, const protocol::Shape& got) {
  if (want.size() != got.size()) {
    return false;
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] != -1 && want[i] != got[i]) {
      return false;
    }
  }
  return true;
}

std::optional<size_t> PositionalName(std::string_view name, size_t n) {
  constexpr std::string_view kPrefix = "input-";
  if (name.substr(0, kPrefix.size()) != kPrefix || name.size() == kPrefix.size()) {
    return std::nullopt;
  }
  size_t i = 0;
  for (char c : name.substr(kPrefix.size())) {
    if (c < '0' || c > '9' || i > n) {
      return std::nullopt;
    }
    i = i * 10 + static_cast<size_t>(c - '0');
  }
  return i < n ? std::optional<size_t>(i) : std::nullopt;
}

// The tensors `forward` returned, a tuple or list flattened one level.
StatusOr<std::vector<at::Tensor>> Flatten(const c10::IValue& out) {
  std::vector<at::Tensor> tensors;
  auto add = [&tensors](const c10::IValue& v) -> Status {
    if (!v.isTensor()) {
      return InternalError("forward returned a " + v.tagKind() +
                           " where Ferry expects a tensor; return a tensor, or a tuple or list "
                           "of tensors");
    }
    tensors.push_back(v.toTensor());
    return OkStatus();
  };
  if (out.isTuple()) {
    for (const auto& v : out.toTupleRef().elements()) {
      RETURN_IF_ERROR(add(v));
    }
  } else if (out.isList()) {
    for (const c10::IValue v : out.toListRef()) {
      RETURN_IF_ERROR(add(v));
    }
  } else {
    RETURN_IF_ERROR(add(out));
  }
  return tensors;
}

StatusOr<Tensor> FromTorch(at::Tensor t, std::string name) {
  if (!t.device().is_cpu()) {
    t = t.cpu();
  }
  t = t.contiguous();
  std::optional<DataType> dt = ToDataType(t.scalar_type());
  if (!dt.has_value()) {
    return InternalError("output " + name + " has dtype " + std::string(c10::toString(t.scalar_type())) +
                         ", which the V2 protocol cannot carry; return a real number or "
                         "integer tensor");
  }
  Tensor out;
  out.name = std::move(name);
  out.datatype = *dt;
  out.shape.assign(t.sizes().begin(), t.sizes().end());
  const size_t bytes = t.numel() * t.element_size();
  out.raw.resize(bytes);
  if (bytes > 0) {
    std::memcpy(out.raw.data(), t.data_ptr(), bytes);
  }
  return out;
}

}  // namespace

std::optional<at::ScalarType> ToScalarType(DataType t) {
  for (const auto& [d, s] : kTypes) {
    if (d == t) {
      return s;
    }
  }
  return std::nullopt;
}

std::optional<DataType> ToDataType(at::ScalarType t) {
  for (const auto& [d, s] : kTypes) {
    if (s == t) {
      return d;
    }
  }
  return std::nullopt;
}

std::string TorchMessage(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string msg = c10_error != nullptr ? c10_error->what_without_backtrace() : e.what();
  // The TorchScript interpreter prefixes its traceback; the cause is the last
  // non-empty line ("RuntimeError: mat1 and mat2 shapes cannot be multiplied ...").
  const size_t marker = msg.rfind("RuntimeError: ");
  if (marker != std::string::npos) {
    msg = msg.substr(marker + 14);
  }
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
    msg.pop_back();
  }
  const size_t nl = msg.find('\n');
  if (nl != std::string::npos && nl > 0) {
    msg = msg.substr(0, nl);
  }
  return msg;
}

TorchModel::TorchModel(torch::jit::Module module, std::vector<TorchInput> inputs,
                       std::vector<TorchOutput> outputs, runtime::ModelInfo info,
                       std::string file)
    : module_(std::move(module)),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)),
      info_(std::move(info)),
      file_(std::move(file)),
      forward_args_(static_cast<int>(inputs_.size())) {}

StatusOr<std::vector<const Tensor*>> TorchModel::Match(const std::vector<Tensor>& inputs) const {
  auto names = [this]() {
    std::string s;
    for (const auto& in : inputs_) {
      s += (s.empty() ? "" : ", ") + in.spec.name;
    }
    return s;
  };
  if (inputs.size() != inputs_.size()) {
    return InvalidArgumentError("the model takes " + std::to_string(inputs_.size()) +
                                " input tensor(s) (" + names() + "); the request sends " +
                                std::to_string(inputs.size()));
  }
  std::vector<const Tensor*> out(inputs_.size(), nullptr);
  for (const Tensor& t : inputs) {
    std::optional<size_t> slot;
    for (size_t i = 0; i < inputs_.size() && !slot; ++i) {
      if (inputs_[i].spec.name == t.name) {
        slot = i;
      }
    }
    if (!slot && inputs_.size() == 1) {
      slot = 0;
    }
    if (!slot) {
      slot = PositionalName(t.name, inputs_.size());
    }
    if (!slot) {
      return InvalidArgumentError("the request's input " + t.name + " is none of the model's (" +
                                  names() + "); name each input as the model's metadata does, "
                                  "or input-0, input-1, ... by position");
    }
    if (out[*slot] != nullptr) {
      return InvalidArgumentError("the request sends two tensors for the model's input " +
                                  inputs_[*slot].spec.name + " (" + out[*slot]->name + " and " +
                                  t.name + ")");
    }
    out[*slot] = &t;
  }
  return out;
}

StatusOr<std::vector<Tensor>> TorchModel::PredictTensors(const std::vector<Tensor>& inputs,
                                                         runtime::PredictMethod method) const {
  ASSIGN_OR_RETURN(std::vector<const Tensor*> by_input, Match(inputs));
  return Run(by_input, method);
}

StatusOr<std::vector<Tensor>> TorchModel::Run(const std::vector<const Tensor*>& by_input,
                                              runtime::PredictMethod method) const {
  if (method != runtime::PredictMethod::kPredict) {
    return UnimplementedError("a PyTorch model has one method, predict (forward); " +
                              std::string(runtime::PredictMethodName(method)) +
                              " is not one of them");
  }
  RETURN_IF_ERROR(CheckDeadline());
  std::vector<c10::IValue> args(static_cast<size_t>(forward_args_));
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const TorchInput& in = inputs_[i];
    const Tensor& t = *by_input[i];
    const std::string what = "input " + in.spec.name + " (" + Describe(t) + ")";
    std::optional<at::ScalarType> st = ToScalarType(t.datatype);
    if (!st.has_value()) {
      return InvalidArgumentError(what + ": a PyTorch model takes numbers; send FP32, FP64, "
                                  "an integer type or BOOL");
    }
    if (in.declared && t.datatype != in.spec.datatype) {
      return InvalidArgumentError(what + ": the model declares " +
                                  std::string(protocol::DataTypeName(in.spec.datatype)) + " (" +
                                  info_.description + "); send that datatype");
    }
    if (in.declared && !ShapeFits(in.spec.shape, t.shape)) {
      return InvalidArgumentError(what + ": the model declares shape " +
                                  protocol::ShapeToString(in.spec.shape) +
                                  " (-1: any size); send a tensor of that shape");
    }
    ASSIGN_OR_RETURN(int64_t count, protocol::ElementCount(t.shape));
    if (static_cast<size_t>(count) * protocol::ElementSize(t.datatype) != t.raw.size()) {
      return InvalidArgumentError(what + ": the shape holds " + std::to_string(count) +
                                  " elements but the data does not");
    }
    std::vector<int64_t> sizes(t.shape.begin(), t.shape.end());
    at::Tensor a = at::from_blob(const_cast<uint8_t*>(t.raw.data()), sizes,
                                 at::TensorOptions().dtype(*st));
    if (!in.declared && t.datatype != in.spec.datatype && protocol::IsFloating(t.datatype) &&
        protocol::IsFloating(in.spec.datatype)) {
      a = a.to(*ToScalarType(in.spec.datatype));
    }
    args[static_cast<size_t>(in.position)] = std::move(a);
  }
  c10::IValue result;
  try {
    c10::InferenceMode guard;
    result = module_.forward(std::move(args));
  } catch (const std::exception& e) {  // c10::Error, or the interpreter's runtime_error
    std::string sent;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      sent += (i ? ", " : "") + inputs_[i].spec.name + " " + Describe(*by_input[i]);
    }
    return InvalidArgumentError("the model could not run on the inputs sent (" + sent +
                                "): " + TorchMessage(e));
  }
  ASSIGN_OR_RETURN(std::vector<at::Tensor> returned, Flatten(result));
  std::vector<Tensor> out;
  if (outputs_.empty()) {
    for (size_t i = 0; i < returned.size(); ++i) {
      ASSIGN_OR_RETURN(Tensor t, FromTorch(returned[i], "output-" + std::to_string(i)));
      out.push_back(std::move(t));
    }
    return out;
  }
  for (const TorchOutput& o : outputs_) {
    if (static_cast<size_t>(o.index) >= returned.size()) {
      return InternalError("output " + o.spec.name + " is declared as returned tensor " +
                           std::to_string(o.index) + ", but forward returned " +
                           std::to_string(returned.size()) + "; fix the declared outputs");
    }
    ASSIGN_OR_RETURN(Tensor t, FromTorch(returned[static_cast<size_t>(o.index)], o.spec.name));
    out.push_back(std::move(t));
  }
  return out;
}

StatusOr<Tensor> TorchModel::Predict(const protocol::Frame& x,
                                     runtime::PredictMethod method) const {
  if (inputs_.size() != 1) {
    std::string names;
    for (const auto& in : inputs_) {
      names += (names.empty() ? "" : ", ") + in.spec.name;
    }
    return InvalidArgumentError("the model takes " + std::to_string(inputs_.size()) +
                                " input tensors (" + names +
                                "); send a V2 request (/v2/models/NAME/infer) naming each");
  }
  if (x.has_strings()) {
    return InvalidArgumentError("a PyTorch model takes numbers, and the request holds strings");
  }
  const protocol::TensorSpec& spec = inputs_[0].spec;
  protocol::Shape shape = {static_cast<int64_t>(x.rows), static_cast<int64_t>(x.cols)};
  // Rows of a declared [-1, a, b, ...] input arrive flattened: restore them.
  if (spec.shape.size() > 2) {
    int64_t per_row = 1;
    for (size_t i = 1; i < spec.shape.size() && per_row > 0; ++i) {
      per_row = spec.shape[i] > 0 ? per_row * spec.shape[i] : -1;
    }
    if (per_row == static_cast<int64_t>(x.cols)) {
      shape.assign(spec.shape.begin(), spec.shape.end());
      shape[0] = static_cast<int64_t>(x.rows);
    }
  }
  Tensor t;
  t.name = spec.name;
  t.shape = shape;
  t.datatype = spec.datatype;
  at::Tensor values = at::from_blob(const_cast<double*>(x.numeric.data()),
                                    {static_cast<int64_t>(x.numeric.size())}, at::kDouble);
  std::optional<at::ScalarType> st = ToScalarType(spec.datatype);
  if (!st.has_value()) {
    return InvalidArgumentError("input " + spec.name + " is declared " +
                                std::string(protocol::DataTypeName(spec.datatype)) +
                                ", which this route cannot fill; send a V2 request");
  }
  at::Tensor converted = values.to(*st).contiguous();
  t.raw.resize(converted.numel() * converted.element_size());
  if (!t.raw.empty()) {
    std::memcpy(t.raw.data(), converted.data_ptr(), t.raw.size());
  }
  ASSIGN_OR_RETURN(std::vector<Tensor> out, Run({&t}, method));
  if (out.empty()) {
    return InternalError("the model returned no tensor");
  }
  return std::move(out[0]);
}

}  // namespace ferry::pytorch
