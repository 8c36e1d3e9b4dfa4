// Parity of Ferry's PyTorch runtime with python3-torch 1.13 on TorchScript
// models written by tests/fixtures/pytorch/gen_pytorch.py (into the build
// dir), the Triton and MLflow layouts, and every malformed-file and
// wrong-input case the backend must refuse with a clear error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/loader.h"
#include "runtime/pytorch/torch_runtime.h"
#include "runtime/registry.h"

namespace ferry::pytorch {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using protocol::DataType;
using protocol::Tensor;
using runtime::PredictMethod;
using runtime::ServedModel;

const fs::path kFixtures = fs::path(FERRY_BINARY_DIR) / "fixtures" / "pytorch";

const Json& Expected() {
  static const Json j = [] {
    std::ifstream in(kFixtures / "expected.json");
    EXPECT_TRUE(in.good()) << "missing fixtures; build target pytorch_fixtures";
    return in.good() ? Json::parse(in) : Json::object();
  }();
  return j;
}

runtime::RuntimeRegistry Registry() {
  runtime::RuntimeRegistry r;
  r.Register(NewTorchRuntime());
  return r;
}

StatusOr<std::unique_ptr<ServedModel>> Load(const std::string& rel) {
  runtime::RuntimeRegistry r = Registry();
  return runtime::LoadModelDir(r, kFixtures / rel, "m");
}

template <typename T>
void Append(std::vector<uint8_t>& raw, T v) {
  const size_t at = raw.size();
  raw.resize(at + sizeof(T));
  std::memcpy(raw.data() + at, &v, sizeof(T));
}

Tensor FromJson(const Json& in, const std::string& name = "") {
  Tensor t;
  t.name = name.empty() ? in["name"].get<std::string>() : name;
  t.datatype = *protocol::ParseDataType(in["datatype"].get<std::string>());
  t.shape = in["shape"].get<protocol::Shape>();
  for (const Json& v : in["data"]) {
    switch (t.datatype) {
      case DataType::kFp32: Append<float>(t.raw, v.get<float>()); break;
      case DataType::kFp64: Append<double>(t.raw, v.get<double>()); break;
      case DataType::kInt64: Append<int64_t>(t.raw, v.get<int64_t>()); break;
      default: ADD_FAILURE() << "unexpected datatype";
    }
  }
  return t;
}

// 1e-6 relative (1e-7 absolute near zero, below float32 resolution there).
void ExpectClose(const Tensor& got, const Json& want, const std::string& what) {
  ASSERT_EQ(got.shape, want["shape"].get<protocol::Shape>()) << what;
  const Json& data = want["data"];
  ASSERT_EQ(got.num_elements(), static_cast<int64_t>(data.size())) << what;
  for (size_t i = 0; i < data.size(); ++i) {
    const double w = data[i].get<double>();
    const double g = got.AsDouble(static_cast<int64_t>(i));
    EXPECT_LE(std::fabs(g - w), std::max(1e-6 * std::fabs(w), 1e-7))
        << what << " element " << i << ": " << g << " vs " << w;
  }
}

std::vector<Tensor> Inputs(const Json& c) {
  std::vector<Tensor> out;
  for (const Json& in : c["inputs"]) {
    out.push_back(FromJson(in));
  }
  return out;
}

TEST(PytorchParity, EveryModelMatchesPythonAtOneAndFiveRows) {
  for (const char* name : {"mlp", "cnn", "two_io", "ids"}) {
    auto served = Load(name);
    ASSERT_TRUE(served.ok()) << name << ": " << served.status().ToString();
    const runtime::Model& model = *(*served)->model;
    ASSERT_TRUE(model.info().tensor_io);
    for (const Json& c : Expected()[name]) {
      auto out = model.PredictTensors(Inputs(c), PredictMethod::kPredict);
      ASSERT_TRUE(out.ok()) << name << ": " << out.status().ToString();
      ASSERT_EQ(out->size(), c["outputs"].size()) << name;
      for (size_t i = 0; i < out->size(); ++i) {
        EXPECT_EQ((*out)[i].name, "output-" + std::to_string(i));
        ExpectClose((*out)[i], c["outputs"][i], std::string(name) + " output " +
                                                    std::to_string(i) + " rows " +
                                                    c["rows"].dump());
      }
    }
  }
}

TEST(PytorchParity, MetadataListsForwardArgumentsInOrder) {
  auto served = Load("two_io");
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  const auto& md = (*served)->metadata;
  ASSERT_EQ(md.inputs.size(), 2u);
  EXPECT_EQ(md.inputs[0].name, "a");
  EXPECT_EQ(md.inputs[1].name, "b");
  EXPECT_EQ(md.inputs[0].datatype, DataType::kFp64);  // the module's parameters are float64
  ASSERT_EQ(md.outputs.size(), 2u);
  EXPECT_EQ(md.outputs[0].name, "output-0");
  EXPECT_EQ(md.outputs[1].name, "output-1");
  EXPECT_EQ((*served)->format, "pytorch");
}

TEST(PytorchParity, InputsMatchByNameInAnyOrderOrByPosition) {
  auto served = Load("two_io");
  ASSERT_TRUE(served.ok());
  const Json& c = Expected()["two_io"][1];
  std::vector<Tensor> reversed = {FromJson(c["inputs"][1]), FromJson(c["inputs"][0])};
  auto out = (*served)->model->PredictTensors(reversed, PredictMethod::kPredict);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectClose((*out)[0], c["outputs"][0], "by name");
  std::vector<Tensor> positional = {FromJson(c["inputs"][1], "input-1"),
                                    FromJson(c["inputs"][0], "input-0")};
  out = (*served)->model->PredictTensors(positional, PredictMethod::kPredict);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectClose((*out)[1], c["outputs"][1], "by position");
}

TEST(PytorchParity, FrameRouteAndFp64ToFloat32) {
  auto served = Load("mlp");
  ASSERT_TRUE(served.ok());
  const Json& c = Expected()["mlp"][1];
  protocol::Frame f = protocol::Frame::Numeric(5, 4);
  for (size_t i = 0; i < 20; ++i) {
    f.numeric[i] = c["inputs"][0]["data"][i].get<float>();
  }
  auto pred = (*served)->model->Predict(f, PredictMethod::kPredict);
  ASSERT_TRUE(pred.ok()) << pred.status().ToString();
  ExpectClose(*pred, c["outputs"][0], "frame");
  // A JSON client's FP64 for a float32 model is converted (no declared type).
  Tensor fp64;
  fp64.name = "x";
  fp64.datatype = DataType::kFp64;
  fp64.shape = {5, 4};
  for (size_t i = 0; i < 20; ++i) Append<double>(fp64.raw, f.numeric[i]);
  auto out = (*served)->model->PredictTensors({fp64}, PredictMethod::kPredict);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectClose((*out)[0], c["outputs"][0], "fp64");
  EXPECT_EQ((*out)[0].datatype, DataType::kFp32);
}

TEST(PytorchParity, ConcurrentPredictsAgree) {
  auto served = Load("cnn");
  ASSERT_TRUE(served.ok());
  const Json& c = Expected()["cnn"][1];
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto out = (*served)->model->PredictTensors(Inputs(c), PredictMethod::kPredict);
        if (!out.ok() || (*out)[0].raw.size() != c["outputs"][0]["data"].size() * 4) {
          ++bad;
          continue;
        }
        for (size_t k = 0; k < c["outputs"][0]["data"].size(); ++k) {
          const double w = c["outputs"][0]["data"][k].get<double>();
          if (std::fabs((*out)[0].AsDouble(static_cast<int64_t>(k)) - w) >
              std::max(1e-6 * std::fabs(w), 1e-7)) {
            ++bad;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(PytorchLayouts, TritonConfigNamesShapesAndVersionWin) {
  auto served = Load("triton");  // a model repository holding one model, mlp/
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  const auto& md = (*served)->metadata;
  ASSERT_EQ(md.inputs.size(), 1u);
  EXPECT_EQ(md.inputs[0].name, "INPUT__0");
  EXPECT_EQ(md.inputs[0].shape, (protocol::Shape{-1, 4}));
  EXPECT_EQ(md.outputs[0].name, "OUTPUT__0");
  EXPECT_EQ(md.outputs[0].shape, (protocol::Shape{-1, 3}));
  EXPECT_EQ(md.versions, std::vector<std::string>{"1"});  // specific: [1, 2]; 3/ is a CNN
  EXPECT_EQ(md.platform, "pytorch_libtorch");
  const Json& c = Expected()["mlp"][1];
  auto out = (*served)->model->PredictTensors({FromJson(c["inputs"][0], "INPUT__0")},
                                              PredictMethod::kPredict);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].name, "OUTPUT__0");
  ExpectClose((*out)[0], c["outputs"][0], "triton");
}

TEST(PytorchLayouts, TritonMapsArgumentNamesAndOutputIndices) {
  auto served = Load("triton_two/m");
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  const auto& md = (*served)->metadata;
  EXPECT_EQ(md.inputs[0].name, "b");  // config order
  EXPECT_EQ(md.outputs[0].name, "s__1");
  const Json& c = Expected()["two_io"][1];
  auto out = (*served)->model->PredictTensors(Inputs(c), PredictMethod::kPredict);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].name, "s__1");
  ExpectClose((*out)[0], c["outputs"][1], "s");
  ExpectClose((*out)[1], c["outputs"][0], "y");
}

TEST(PytorchLayouts, MlflowPytorchFlavor) {
  auto served = Load("mlflow_pytorch");
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_TRUE((*served)->has_signature);
  EXPECT_EQ((*served)->metadata.inputs[0].shape, (protocol::Shape{-1, 4}));
  const Json& c = Expected()["mlp"][0];
  auto out = (*served)->model->PredictTensors({FromJson(c["inputs"][0], "input-0")},
                                              PredictMethod::kPredict);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectClose((*out)[0], c["outputs"][0], "mlflow");
}

struct BadCase {
  const char* dir;
  StatusCode code;
  const char* says;
};

TEST(PytorchErrors, MalformedFilesAreRefusedClearly) {
  const BadCase cases[] = {
      {"bad/pickled_module", StatusCode::kFailedPrecondition, "torch.jit.script(model)"},
      {"bad/state_dict", StatusCode::kFailedPrecondition, "pickled Python object"},
      {"bad/legacy_pickle", StatusCode::kFailedPrecondition, "torch.jit.save"},
      {"bad/mlflow_pickled", StatusCode::kFailedPrecondition, "torch.jit.script(model)"},
      {"bad/garbage", StatusCode::kInvalidArgument, "not a TorchScript file"},
      {"bad/empty", StatusCode::kInvalidArgument, "not a TorchScript file"},
      {"bad/truncated", StatusCode::kInvalidArgument, "is the file complete?"},
      {"bad/other_zip", StatusCode::kInvalidArgument, "not a TorchScript module"},
  };
  for (const BadCase& b : cases) {
    auto served = Load(b.dir);
    ASSERT_FALSE(served.ok()) << b.dir;
    EXPECT_EQ(served.status().code(), b.code) << b.dir << ": " << served.status().ToString();
    EXPECT_NE(served.status().message().find(b.says), std::string::npos)
        << b.dir << ": " << served.status().message();
    EXPECT_NE(served.status().message().find("model.pt"), std::string::npos)
        << b.dir << " names the file: " << served.status().message();
  }
}

Tensor Floats(const std::string& name, protocol::Shape shape) {
  Tensor t;
  t.name = name;
  t.datatype = DataType::kFp32;
  t.shape = shape;
  int64_t n = *protocol::ElementCount(shape);
  for (int64_t i = 0; i < n; ++i) Append<float>(t.raw, 0.5f);
  return t;
}

void ExpectRefused(const runtime::Model& m, std::vector<Tensor> in, const std::string& says) {
  auto out = m.PredictTensors(in, PredictMethod::kPredict);
  ASSERT_FALSE(out.ok()) << says;
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << out.status().ToString();
  EXPECT_NE(out.status().message().find(says), std::string::npos) << out.status().message();
}

TEST(PytorchErrors, WrongShapesTypesAndNames) {
  auto mlp = Load("mlp");
  ASSERT_TRUE(mlp.ok());
  // No declared shape: libtorch's own message, first line only, with what was sent.
  ExpectRefused(*(*mlp)->model, {Floats("x", {2, 3})}, "x FP32 [2, 3]");
  ExpectRefused(*(*mlp)->model, {Floats("x", {2, 3})}, "mat1 and mat2 shapes cannot be multiplied");
  ExpectRefused(*(*mlp)->model, {Floats("x", {1, 4}), Floats("y", {1, 4})}, "takes 1 input");
  Tensor text;
  text.name = "x";
  text.datatype = DataType::kBytes;
  text.shape = {1};
  text.bytes = {"a"};
  ExpectRefused(*(*mlp)->model, {text}, "takes numbers");

  auto triton = Load("triton/mlp");
  ASSERT_TRUE(triton.ok());
  ExpectRefused(*(*triton)->model, {Floats("INPUT__0", {2, 3})}, "declares shape [-1, 4]");
  Tensor fp64;
  fp64.name = "INPUT__0";
  fp64.datatype = DataType::kFp64;
  fp64.shape = {1, 4};
  fp64.raw.resize(32);
  ExpectRefused(*(*triton)->model, {fp64}, "declares FP32");

  auto two = Load("two_io");
  ASSERT_TRUE(two.ok());
  ExpectRefused(*(*two)->model, {Floats("a", {1, 3}), Floats("c", {1, 2})}, "none of the model's");
  ExpectRefused(*(*two)->model, {Floats("a", {1, 3}), Floats("a", {1, 2})}, "two tensors");
  auto frame = (*two)->model->Predict(protocol::Frame::Numeric(1, 5), PredictMethod::kPredict);
  ASSERT_FALSE(frame.ok());
  EXPECT_NE(frame.status().message().find("naming each"), std::string::npos);
  auto proba = (*two)->model->PredictTensors(Inputs(Expected()["two_io"][0]),
                                             PredictMethod::kPredictProba);
  EXPECT_EQ(proba.status().code(), StatusCode::kUnimplemented);
}

TEST(PytorchErrors, TritonConfigThatDoesNotFitTheModel) {
  const fs::path dir = fs::path(testing::TempDir()) / "ferry_triton_bad" / "m";
  fs::remove_all(dir.parent_path());
  fs::create_directories(dir / "1");
  fs::copy_file(kFixtures / "mlp" / "model.pt", dir / "1" / "model.pt");
  runtime::RuntimeRegistry r = Registry();
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "config.pbtxt") << text;
    return runtime::LoadModelDir(r, dir, "m");
  };
  auto two_inputs = write(
      "platform: \"pytorch_libtorch\"\ninput [ { name: \"a\" data_type: TYPE_FP32 dims: [4] },"
      " { name: \"b\" data_type: TYPE_FP32 dims: [4] } ]\n");
  ASSERT_FALSE(two_inputs.ok());
  EXPECT_NE(two_inputs.status().message().find("declares 2 input(s), but forward"),
            std::string::npos) << two_inputs.status().message();
  auto onnx = write("platform: \"onnxruntime_onnx\"\n");
  ASSERT_FALSE(onnx.ok());
  EXPECT_EQ(onnx.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(onnx.status().message().find("onnxruntime_onnx"), std::string::npos);
  auto strings = write(
      "platform: \"pytorch_libtorch\"\ninput [ { name: \"x\" data_type: TYPE_STRING dims: [1] } ]\n");
  ASSERT_FALSE(strings.ok());
  EXPECT_NE(strings.status().message().find("TYPE_STRING"), std::string::npos);
  auto syntax = write("platform: \"pytorch_libtorch\"\ninput [ { name: \"x\" \n");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("config.pbtxt at"), std::string::npos);
  fs::remove(dir / "1" / "model.pt");
  auto missing = write("platform: \"pytorch_libtorch\"\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("version 1 has no model.pt"), std::string::npos)
      << missing.status().message();
  fs::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace ferry::pytorch
