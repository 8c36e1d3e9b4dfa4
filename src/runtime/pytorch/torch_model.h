// TorchModel: one TorchScript module served as a tensor-native runtime::Model
// (ModelInfo::tensor_io), built by the PyTorch runtime (torch_runtime.h).
//
// Inputs are the Tensor arguments of `forward` after `self`, in its order.
// Each has a TensorSpec: declared (Triton config.pbtxt or an MLflow tensor
// signature: name, datatype and shape win, and a request must match them as
// Triton requires) or derived (the argument's name, the datatype of the
// module's floating parameters — FP32 for most models —, shape [-1] since
// TorchScript does not record ranks). A request tensor finds its input by
// name; a single-input model takes its one tensor whatever its name, and
// `input-0`, `input-1`, ... select inputs by position. A floating tensor sent
// to a derived floating input is converted to the input's datatype (a JSON
// client's FP64 for a float32 model); everything else must match.
// Outputs: every tensor `forward` returns, a tuple or list flattened, named
// by the declared outputs (Triton's `NAME__<i>` picks the i-th) or
// `output-0`, `output-1`, ....
//
// Predict(Frame) serves V1 and MLflow requests of single-input models: the
// frame becomes one [rows, cols] tensor (reshaped to a declared shape whose
// other dimensions are all known), the first output is the answer.
//
// Thread-safety: forward runs under c10::InferenceMode on the calling
// thread; TorchScript's interpreter is re-entrant and the module is never
// mutated after load, so any number of threads may predict at once (the
// intra-op thread pool is shared and bounded at backend start).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

#include "runtime/model.h"

namespace ferry::pytorch {

struct TorchInput {
  protocol::TensorSpec spec;
  int position = 0;           // index among forward's tensor arguments
  bool declared = false;      // spec from config.pbtxt / a signature: enforced
};

struct TorchOutput {
  protocol::TensorSpec spec;
  int index = 0;  // which returned tensor
};

class TorchModel : public runtime::Model {
 public:
  // `inputs` ordered as metadata lists them; `outputs` empty = named
  // output-<i> as returned.
  TorchModel(torch::jit::Module module, std::vector<TorchInput> inputs,
             std::vector<TorchOutput> outputs, runtime::ModelInfo info, std::string file);

  const runtime::ModelInfo& info() const override { return info_; }

  StatusOr<protocol::Tensor> Predict(const protocol::Frame& x,
                                     runtime::PredictMethod method) const override;

  StatusOr<std::vector<protocol::Tensor>> PredictTensors(
      const std::vector<protocol::Tensor>& inputs,
      runtime::PredictMethod method) const override;

 private:
  StatusOr<std::vector<protocol::Tensor>> Run(const std::vector<const protocol::Tensor*>& by_input,
                                              runtime::PredictMethod method) const;
  // Request tensors in this model's input order (by name / position).
  StatusOr<std::vector<const protocol::Tensor*>> Match(
      const std::vector<protocol::Tensor>& inputs) const;

  mutable torch::jit::Module module_;  // forward is const in effect; the API is not
  std::vector<TorchInput> inputs_;
  std::vector<TorchOutput> outputs_;
  runtime::ModelInfo info_;
  std::string file_;
  int forward_args_ = 0;
};

// at::ScalarType <-> V2 datatype; nullopt when the other side has none.
std::optional<at::ScalarType> ToScalarType(protocol::DataType t);
std::optional<protocol::DataType> ToDataType(at::ScalarType t);

// The cause in an exception out of libtorch, one line: a c10::Error without
// its C++ backtrace, or the last `RuntimeError:` line of the TorchScript
// interpreter's traceback (which it throws as a plain std::runtime_error).
std::string TorchMessage(const std::exception& e);

}  // namespace ferry::pytorch
