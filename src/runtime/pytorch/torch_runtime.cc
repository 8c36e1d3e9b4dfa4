#include "runtime/pytorch/torch_runtime.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/version.h>

#include <fstream>
#include <system_error>

#include "runtime/pytorch/torch_model.h"

namespace ferry::pytorch {
namespace fs = std::filesystem;
namespace {

constexpr char kExport[] =
    "Ferry runs TorchScript, which needs no Python. Export the model once, in Python: "
    "torch.jit.save(torch.jit.script(model), \"model.pt\") (or torch.jit.trace(model, "
    "example_input) for a model that torch.jit.script cannot compile)";

Status Pickled(const fs::path& file) {
  return FailedPreconditionError(file.string() +
                                 " is a pickled Python object written by torch.save (a module or "
                                 "a state_dict), not a TorchScript module. " +
                                 std::string(kExport));
}

// The file a path names: MLflow's pytorch flavor points at a directory.
StatusOr<fs::path> ModelFile(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const char* name : {"model.pth", "model.pt"}) {
      if (fs::is_regular_file(path / name, ec)) {
        return path / name;
      }
    }
    return NotFoundError("PyTorch model directory " + path.string() +
                         " holds neither model.pth nor model.pt");
  }
  if (!fs::is_regular_file(path, ec)) {
    return NotFoundError("PyTorch model file " + path.string() + " does not exist");
  }
  return path;
}

// Whether the zip's end-of-central-directory record is in its last 64 KiB +
// 22 bytes (where the zip format puts it): a truncated download has none.
bool HasZipEnd(std::ifstream& in) {
  constexpr std::streamoff kTail = 65536 + 22;
  in.clear();
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > kTail ? size - kTail : 0;
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.seekg(from);
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  return in.gcount() == static_cast<std::streamsize>(tail.size()) &&
         tail.rfind(std::string_view("PK\x05\x06", 4)) != std::string::npos;
}

// Refuses what is not a TorchScript archive before libtorch parses it.
Status CheckTorchScript(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return PermissionDeniedError("cannot open PyTorch model file " + file.string() +
                                 "; check its permissions");
  }
  char magic[4] = {0, 0, 0, 0};
  in.read(magic, 4);
  const std::streamsize got = in.gcount();
  if (got >= 2 && static_cast<unsigned char>(magic[0]) == 0x80 && magic[1] >= 2 &&
      magic[1] <= 5) {
    return Pickled(file);  // torch.save's legacy (pre-1.6) format is a bare pickle
  }
  if (got < 4 || std::string_view(magic, 4) != std::string_view("PK\x03\x04", 4)) {
    return InvalidArgumentError(file.string() +
                                " is not a TorchScript file (torch.jit.save writes a zip "
                                "archive; this one does not start like a zip). " +
                                std::string(kExport));
  }
  if (!HasZipEnd(in)) {
    return InvalidArgumentError(file.string() +
                                " starts like a zip archive but has no end (no central "
                                "directory): is the file complete? Copy or download it again");
  }
  try {
    caffe2::serialize::PyTorchStreamReader reader(file.string());
    if (reader.hasRecord("constants.pkl")) {
      return OkStatus();
    }
    if (reader.hasRecord("data.pkl")) {
      return Pickled(file);
    }
  } catch (const std::exception& e) {
    return InvalidArgumentError(file.string() + " is a zip archive but not a TorchScript module (" +
                                TorchMessage(e) + "). " + std::string(kExport));
  }
  return InvalidArgumentError(file.string() +
                              " is a zip archive but not a TorchScript module (no "
                              "constants.pkl). " + std::string(kExport));
}

// The datatype of the module's floating parameters (FP32 when it has none).
protocol::DataType ParameterType(const torch::jit::Module& module) {
  for (const at::Tensor& p : module.parameters()) {
    if (at::isFloatingType(p.scalar_type())) {
      return ToDataType(p.scalar_type()).value_or(protocol::DataType::kFp32);
    }
  }
  return protocol::DataType::kFp32;
}

// `NAME__<i>` (Triton's PyTorch convention): i; otherwise nullopt.
std::optional<int> IndexSuffix(const std::string& name) {
  const size_t at = name.rfind("__");
  if (at == std::string::npos || at + 2 >= name.size()) {
    return std::nullopt;
  }
  int i = 0;
  for (char c : name.substr(at + 2)) {
    if (c < '0' || c > '9' || i > 100000) {
      return std::nullopt;
    }
    i = i * 10 + (c - '0');
  }
  return i;
}

struct ForwardSchema {
  std::vector<std::string> args;  // tensor arguments after self, in order
  int returns = -1;               // tensors returned; -1 when only known at run time
};

StatusOr<ForwardSchema> ReadForward(torch::jit::Module& module, const std::string& origin) {
  if (!module.find_method("forward").has_value()) {
    return InvalidArgumentError(origin + " has no forward method; save the module whose forward "
                                "computes the prediction");
  }
  const c10::FunctionSchema& schema = module.get_method("forward").function().getSchema();
  ForwardSchema out;
  bool trailing = false;
  for (size_t i = 1; i < schema.arguments().size(); ++i) {
    const c10::Argument& a = schema.arguments()[i];
    if (a.type()->kind() == c10::TypeKind::TensorType) {
      if (trailing) {
        return UnimplementedError(origin + ": forward's tensor argument " + a.name() +
                                  " follows an argument that is not a tensor; Ferry passes "
                                  "tensors only, so put them first");
      }
      out.args.push_back(a.name());
    } else if (a.default_value().has_value()) {
      trailing = true;  // left at its default
    } else {
      return UnimplementedError(origin + ": forward's argument " + a.name() + " is a " +
                                a.type()->str() +
                                " without a default; Ferry passes tensors only");
    }
  }
  if (out.args.empty()) {
    return UnimplementedError(origin + ": forward takes no tensor argument");
  }
  if (schema.returns().size() == 1) {
    const c10::TypePtr& r = schema.returns()[0].type();
    if (r->kind() == c10::TypeKind::TensorType) {
      out.returns = 1;
    } else if (r->kind() == c10::TypeKind::TupleType) {
      out.returns = static_cast<int>(r->containedTypes().size());
    }
  }
  return out;
}

StatusOr<std::vector<TorchInput>> Inputs(const ForwardSchema& fwd, const runtime::LoadOptions& o,
                                         protocol::DataType param_type,
                                         const std::string& origin) {
  std::vector<TorchInput> out;
  if (o.declared_inputs.empty()) {
    for (size_t i = 0; i < fwd.args.size(); ++i) {
      out.push_back({{fwd.args[i], param_type, {-1}, ""}, static_cast<int>(i), false});
    }
    return out;
  }
  const auto& declared = o.declared_inputs;
  if (declared.size() != fwd.args.size()) {
    std::string args;
    for (const auto& a : fwd.args) {
      args += (args.empty() ? "" : ", ") + a;
    }
    return InvalidArgumentError(o.declared_by + " declares " + std::to_string(declared.size()) +
                                " input(s), but forward of " + origin + " takes " +
                                std::to_string(fwd.args.size()) + " (" + args +
                                "); declare one per argument");
  }
  // By argument name when every declared name is one; else by Triton's
  // NAME__<i> suffix when every name has a distinct one; else in order.
  std::vector<int> position(declared.size(), -1);
  bool by_name = true, by_suffix = true;
  std::vector<bool> used_suffix(declared.size(), false);
  for (size_t i = 0; i < declared.size(); ++i) {
    auto it = std::find(fwd.args.begin(), fwd.args.end(), declared[i].name);
    by_name = by_name && it != fwd.args.end();
    std::optional<int> s = IndexSuffix(declared[i].name);
    by_suffix = by_suffix && s.has_value() && *s < static_cast<int>(declared.size()) &&
                !used_suffix[static_cast<size_t>(*s)];
    if (by_suffix) {
      used_suffix[static_cast<size_t>(*s)] = true;
    }
  }
  for (size_t i = 0; i < declared.size(); ++i) {
    if (by_name) {
      position[i] = static_cast<int>(
          std::find(fwd.args.begin(), fwd.args.end(), declared[i].name) - fwd.args.begin());
    } else if (by_suffix) {
      position[i] = *IndexSuffix(declared[i].name);
    } else {
      position[i] = static_cast<int>(i);
    }
    out.push_back({declared[i], position[i], true});
  }
  return out;
}

StatusOr<std::vector<TorchOutput>> Outputs(const ForwardSchema& fwd,
                                           const runtime::LoadOptions& o,
                                           protocol::DataType param_type,
                                           const std::string& origin) {
  std::vector<TorchOutput> out;
  const auto& declared = o.declared_outputs;
  if (declared.empty()) {
    for (int i = 0; i < fwd.returns; ++i) {
      out.push_back({{"output-" + std::to_string(i), param_type, {-1}, ""}, i});
    }
    return out;
  }
  bool by_suffix = true;
  for (const auto& d : declared) {
    by_suffix = by_suffix && IndexSuffix(d.name).has_value();
  }
  for (size_t i = 0; i < declared.size(); ++i) {
    const int index = by_suffix ? *IndexSuffix(declared[i].name) : static_cast<int>(i);
    if (fwd.returns >= 0 && index >= fwd.returns) {
      return InvalidArgumentError(o.declared_by + " declares output " + declared[i].name +
                                  " as returned tensor " + std::to_string(index) +
                                  ", but forward of " + origin + " returns " +
                                  std::to_string(fwd.returns));
    }
    out.push_back({declared[i], index});
  }
  return out;
}

class TorchRuntime : public runtime::FormatRuntime {
 public:
  std::string_view name() const override { return "pytorch"; }
  std::string_view mlflow_flavor() const override { return "pytorch"; }
  std::vector<std::string> plain_file_names() const override { return {"model.pt"}; }

  StatusOr<std::unique_ptr<runtime::Model>> LoadFile(
      const fs::path& path, const runtime::LoadOptions& options) const override {
    ASSIGN_OR_RETURN(fs::path file, ModelFile(path));
    RETURN_IF_ERROR(CheckTorchScript(file));
    const std::string origin = "TorchScript module " + file.string();
    torch::jit::Module module;
    try {
      module = torch::jit::load(file.string());
    } catch (const std::exception& e) {
      return InvalidArgumentError(file.string() + " could not be loaded by libtorch " +
                                  std::string(TORCH_VERSION) + ": " + TorchMessage(e) +
                                  " (was it saved by a newer PyTorch? re-export it with "
                                  "torch.jit.save from PyTorch 1.13)");
    }
    module.eval();
    ASSIGN_OR_RETURN(ForwardSchema fwd, ReadForward(module, origin));
    const protocol::DataType param_type = ParameterType(module);
    ASSIGN_OR_RETURN(std::vector<TorchInput> inputs, Inputs(fwd, options, param_type, origin));
    ASSIGN_OR_RETURN(std::vector<TorchOutput> outputs,
                     Outputs(fwd, options, param_type, origin));

    runtime::ModelInfo info;
    info.framework = "pytorch";
    int64_t params = 0;
    for (const at::Tensor& p : module.parameters()) {
      params += p.numel();
    }
    const std::string type_name =
        module.type()->name().has_value() ? module.type()->name()->name() : "Module";
    info.description = "TorchScript " + type_name + ", " + std::to_string(params) +
                       " parameters";
    info.tensor_io = true;
    info.methods = {runtime::PredictMethod::kPredict};
    for (const auto& in : inputs) {
      info.tensor_inputs.push_back(in.spec);
    }
    for (const auto& o : outputs) {
      info.tensor_outputs.push_back(o.spec);
    }
    info.output_datatype = outputs.empty() ? param_type : outputs[0].spec.datatype;
    info.n_features = inputs.size() == 1 && inputs[0].spec.shape.size() == 2
                          ? inputs[0].spec.shape[1]
                          : -1;
    if (options.declared_inputs.empty()) {
      info.warnings.push_back(
          origin + ": input shapes are not recorded in TorchScript, so V2 metadata lists them "
                   "as [-1]; serve it in Triton's layout (config.pbtxt) to declare them");
    }
    return std::unique_ptr<runtime::Model>(std::make_unique<TorchModel>(
        std::move(module), std::move(inputs), std::move(outputs), std::move(info),
        file.string()));
  }
};

}  // namespace

std::unique_ptr<runtime::FormatRuntime> NewTorchRuntime() {
  return std::make_unique<TorchRuntime>();
}

}  // namespace ferry::pytorch
