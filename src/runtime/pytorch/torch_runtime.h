// The PyTorch FormatRuntime: serves TorchScript modules (`torch.jit.save`)
// through libtorch, in libferry_pytorch.so (backend_entry.cc).
//
// KServe's `pytorch` model format: a plain `model.pt`; Triton's layout
// (config.pbtxt + 1/model.pt, read by runtime/triton_loader.h, which passes
// the declared tensors in LoadOptions); MLflow's pytorch flavor
// (`data/model.pth`, when the logged module was TorchScript). A file
// `torch.save` wrote — a pickled Python module or a state_dict, either as a
// zip holding data.pkl but no TorchScript code, or in the legacy pickle
// format — needs Python to run and is refused with the one-line export to
// TorchScript. Every other unreadable file is refused naming the file and
// what libtorch said. See torch_model.h for inputs, outputs and predict.
// Stateless and thread-safe.
#pragma once

#include <memory>

#include "runtime/format_runtime.h"

namespace ferry::pytorch {

// name "pytorch", mlflow_flavor "pytorch", plain file model.pt.
std::unique_ptr<runtime::FormatRuntime> NewTorchRuntime();

}  // namespace ferry::pytorch
