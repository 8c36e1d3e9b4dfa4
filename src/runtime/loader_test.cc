// LoadModelDir over temporary directories, with a fake FormatRuntime standing in
// for scikit-learn (fakes over mocks: it "loads" any file whose text is not "bad").
#include "runtime/loader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "runtime/mlflow_loader.h"

namespace ferry::runtime {
namespace {

namespace fs = std::filesystem;
using protocol::DataType;

struct Seen {
  fs::path file;
  LoadOptions options;
};

class FakeModel : public Model {
 public:
  explicit FakeModel(ModelInfo info) : info_(std::move(info)) {}
  const ModelInfo& info() const override { return info_; }
  StatusOr<protocol::Tensor> Predict(const protocol::Frame& x, PredictMethod) const override {
    return protocol::Tensor::FromInt64s(std::vector<int64_t>(x.rows, 0),
                                        {static_cast<int64_t>(x.rows)});
  }

 private:
  ModelInfo info_;
};

class FakeRuntime : public FormatRuntime {
 public:
  FakeRuntime(std::string name, std::vector<std::string> files, Seen* seen, ModelInfo info)
      : name_(std::move(name)), files_(std::move(files)), seen_(seen), info_(std::move(info)) {}
  std::string_view name() const override { return name_; }
  std::string_view mlflow_flavor() const override { return name_; }
  std::vector<std::string> plain_file_names() const override { return files_; }
  StatusOr<std::unique_ptr<Model>> LoadFile(const fs::path& file,
                                            const LoadOptions& options) const override {
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text == "bad") return InvalidArgumentError("fake cannot load " + file.string());
    if (seen_ != nullptr) *seen_ = {file, options};
    return std::unique_ptr<Model>(std::make_unique<FakeModel>(info_));
  }

 private:
  std::string name_;
  std::vector<std::string> files_;
  Seen* seen_;
  ModelInfo info_;
};

ModelInfo IrisInfo() {
  ModelInfo info;
  info.framework = "sklearn";
  info.description = "LogisticRegression";
  info.n_features = 4;
  info.output_datatype = DataType::kInt64;
  info.methods = {PredictMethod::kPredict, PredictMethod::kPredictProba};
  return info;
}

constexpr char kTensorSig[] =
    "signature:\n"
    "  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float64\", \"shape\": "
    "[-1, 4]}}]'\n"
    "  outputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"int64\", \"shape\": "
    "[-1]}}]'\n"
    "  params: null\n";

std::string SklearnMlmodel(const std::string& predict_fn = "predict",
                           const std::string& extra = kTensorSig) {
  return "artifact_path: iris_model\nflavors:\n  python_function:\n"
         "    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n"
         "    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
         "    predict_fn: " +
         predict_fn +
         "\n    python_version: 3.10.12\n"
         "  sklearn:\n    code: null\n    pickled_model: model.pkl\n"
         "    serialization_format: cloudpickle\n    sklearn_version: 1.2.1\n"
         "mlflow_version: 2.10.1\n"
         "saved_input_example_info:\n  artifact_path: input_example.json\n"
         "  pandas_orient: split\n  type: ndarray\n" +
         extra;
}

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(FERRY_BINARY_DIR) / "runtime_loader_test" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    registry_.Register(std::make_unique<FakeRuntime>(
        "sklearn", std::vector<std::string>{"model.joblib", "model.pkl", "model.pickle"}, &seen_,
        IrisInfo()));
  }
  void Write(const fs::path& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  StatusOr<std::unique_ptr<ServedModel>> Load(const fs::path& rel = "") {
    return LoadModelDir(registry_, rel.empty() ? dir_ : dir_ / rel, "iris");
  }
  void WriteIris(const std::string& mlmodel) {
    Write("MLmodel", mlmodel);
    Write("model.pkl", "pickle");
    Write("input_example.json", "[[5.1, 3.5, 1.4, 0.2]]");
  }

  fs::path dir_;
  Seen seen_;
  RuntimeRegistry registry_;
};

TEST_F(LoaderTest, MlflowSklearnWithTensorSignature) {
  WriteIris(SklearnMlmodel());
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  const ServedModel& m = **served;
  EXPECT_EQ(m.name, "iris");
  EXPECT_EQ(m.format, "mlflow");
  EXPECT_EQ(m.output_style, protocol::OutputStyle::kMlserver);
  EXPECT_EQ(m.mlflow_version, "2.10.1");
  EXPECT_EQ(m.default_method, PredictMethod::kPredict);
  EXPECT_TRUE(m.has_signature);
  EXPECT_EQ(m.source,
            "MLflow model (sklearn flavor, MLflow 2.10.1) at " + (dir_ / "MLmodel").string());
  EXPECT_EQ(m.metadata.name, "iris");
  EXPECT_EQ(m.metadata.content_type, "np");
  ASSERT_EQ(m.metadata.inputs.size(), 1u);
  EXPECT_EQ(m.metadata.inputs[0].name, "input-0");
  EXPECT_EQ(m.metadata.inputs[0].datatype, DataType::kFp64);
  EXPECT_EQ(m.metadata.inputs[0].shape, (protocol::Shape{-1, 4}));
  ASSERT_EQ(m.metadata.outputs.size(), 1u);
  EXPECT_EQ(m.metadata.outputs[0].name, "output-0");
  EXPECT_EQ(m.metadata.outputs[0].datatype, DataType::kInt64);
  EXPECT_EQ(m.input_example_json, "[[5.1, 3.5, 1.4, 0.2]]");
  EXPECT_EQ(m.input_example_type, "ndarray");
  EXPECT_EQ(seen_.file, dir_ / "model.pkl");
  EXPECT_EQ(seen_.options.serialization_format, "cloudpickle");
  EXPECT_GE(m.load_seconds, 0.0);
}

TEST_F(LoaderTest, ColumnSignatureGivesPandasColumns) {
  WriteIris(SklearnMlmodel("predict",
                           "signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"sepal "
                           "length (cm)\", \"required\": true}, {\"type\": \"double\", \"name\": "
                           "\"petal width (cm)\", \"required\": true}]'\n  outputs: null\n"));
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ((*served)->metadata.content_type, "pd");
  ASSERT_EQ((*served)->metadata.inputs.size(), 2u);
  EXPECT_EQ((*served)->metadata.inputs[1].name, "petal width (cm)");
  EXPECT_EQ((*served)->metadata.inputs[1].shape, (protocol::Shape{-1, 1}));
  EXPECT_TRUE((*served)->metadata.outputs.empty());
}

// Each signature string is parsed once and its error reported where it was before: a column
// signature's outputs are only read after the model loads, so a model that fails to load is
// reported first.
TEST_F(LoaderTest, SignatureErrorsKeepTheirPlace) {
  const std::string bad_outputs =
      "signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"a\"}]'\n"
      "  outputs: '[{\"type\": \"nope\"}]'\n";
  WriteIris(SklearnMlmodel("predict", bad_outputs));
  auto served = Load();
  ASSERT_FALSE(served.ok());
  EXPECT_NE(served.status().message().find("signature.outputs"), std::string::npos)
      << served.status().ToString();
  Write("model.pkl", "bad");
  served = Load();
  ASSERT_FALSE(served.ok());
  EXPECT_NE(served.status().message().find("fake cannot load"), std::string::npos)
      << served.status().ToString();
  // Bad tensor inputs are refused before the model loads.
  WriteIris(SklearnMlmodel("predict", "signature:\n  inputs: '[{\"type\": \"tensor\"}]'\n"));
  Write("model.pkl", "bad");
  served = Load();
  ASSERT_FALSE(served.ok());
  EXPECT_NE(served.status().message().find("signature.inputs"), std::string::npos)
      << served.status().ToString();
}

TEST_F(LoaderTest, ReadSmallFileReadsBytesExactly) {
  const std::string bytes("a\0b\xff\r\n", 6);
  std::ofstream(dir_ / "bin", std::ios::binary) << bytes;
  auto text = ReadSmallFile(dir_ / "bin", 6);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, bytes);
  std::string big(100000, 'x');
  std::ofstream(dir_ / "big", std::ios::binary) << big;
  EXPECT_EQ(*ReadSmallFile(dir_ / "big", 100000), big);
  std::ofstream(dir_ / "empty", std::ios::binary).close();
  EXPECT_EQ(*ReadSmallFile(dir_ / "empty", 10), "");
  auto over = ReadSmallFile(dir_ / "bin", 5);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("is 6 bytes, more than the 5"), std::string::npos);
  EXPECT_EQ(ReadSmallFile(dir_ / "missing", 10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadSmallFile(dir_, 10).status().code(), StatusCode::kNotFound);
  // A file whose size says 0 but which reads longer (as one that grows while read): refused at
  // the limit, not read to its end.
  auto grew = ReadSmallFile("/proc/self/maps", 16);
  ASSERT_FALSE(grew.ok());
  EXPECT_EQ(grew.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(grew.status().message().find("grew past the 16 bytes"), std::string::npos)
      << grew.status().ToString();
}

TEST_F(LoaderTest, NoSignatureDerivesMetadataFromModel) {
  WriteIris(SklearnMlmodel("predict", ""));
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_FALSE((*served)->has_signature);
  ASSERT_EQ((*served)->metadata.inputs.size(), 1u);
  EXPECT_EQ((*served)->metadata.inputs[0].shape, (protocol::Shape{-1, 4}));
  EXPECT_EQ((*served)->metadata.outputs[0].datatype, DataType::kInt64);
  EXPECT_FALSE((*served)->warnings.empty());
}

TEST_F(LoaderTest, PredictFnIsHonoured) {
  WriteIris(SklearnMlmodel("predict_proba"));
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ((*served)->default_method, PredictMethod::kPredictProba);
}

TEST_F(LoaderTest, UnsupportedOrMissingPredictFn) {
  WriteIris(SklearnMlmodel("score"));
  auto score = Load();
  EXPECT_EQ(score.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(score.status().message().find("predict_fn: score"), std::string::npos);
  WriteIris(SklearnMlmodel("decision_function"));
  auto lacking = Load();
  EXPECT_EQ(lacking.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(lacking.status().message().find("LogisticRegression"), std::string::npos);
}

TEST_F(LoaderTest, MissingModelFileNamesKeyAndPath) {
  Write("MLmodel", SklearnMlmodel());
  auto served = Load();
  ASSERT_EQ(served.status().code(), StatusCode::kNotFound);
  EXPECT_NE(served.status().message().find("flavors.sklearn.pickled_model"), std::string::npos)
      << served.status().message();
  EXPECT_NE(served.status().message().find((dir_ / "model.pkl").string()), std::string::npos);
}

TEST_F(LoaderTest, ModelFileOutsideDirIsRefused) {
  Write("MLmodel", "flavors:\n  sklearn:\n    pickled_model: ../../etc/passwd\n");
  EXPECT_EQ(Load().status().code(), StatusCode::kInvalidArgument);
  Write("MLmodel", "flavors:\n  sklearn:\n    pickled_model: /etc/passwd\n");
  EXPECT_EQ(Load().status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LoaderTest, InputExampleOutsideDirIsRefusedNamingTheField) {
  Write("secret.json", "[[1, 2, 3, 4]]");  // readable, but outside the model directory
  Write("model/model.pkl", "pickle");
  for (const char* path : {"../secret.json", "../../users", "/etc/hostname"}) {
    std::string mlmodel = SklearnMlmodel();
    mlmodel.replace(mlmodel.find("artifact_path: input_example.json"),
                    std::string("artifact_path: input_example.json").size(),
                    std::string("artifact_path: ") + path);
    Write("model/MLmodel", mlmodel);
    auto served = Load("model");
    ASSERT_EQ(served.status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_NE(served.status().message().find("saved_input_example_info.artifact_path is \"" +
                                             std::string(path) + "\""),
              std::string::npos)
        << served.status().message();
  }
}

TEST_F(LoaderTest, MetadataPathsThroughSymlinksMustStayInside) {
  Write("outside.pkl", "pickle");
  Write("secret.json", "[[1, 2, 3, 4]]");
  Write("model/MLmodel", SklearnMlmodel());
  Write("model/data/real.pkl", "pickle");
  fs::create_symlink("../secret.json", dir_ / "model" / "input_example.json");
  fs::create_symlink("data/real.pkl", dir_ / "model" / "model.pkl");
  auto example = Load("model");
  ASSERT_EQ(example.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(example.status().message().find("saved_input_example_info.artifact_path"),
            std::string::npos)
      << example.status().message();
  EXPECT_EQ(example.status().message().find((dir_ / "secret.json").string()), std::string::npos);
  fs::remove(dir_ / "model" / "input_example.json");
  auto inside = Load("model");  // a link that stays inside is fine
  ASSERT_TRUE(inside.ok()) << inside.status().ToString();
  fs::remove(dir_ / "model" / "model.pkl");
  fs::create_symlink(dir_ / "outside.pkl", dir_ / "model" / "model.pkl");
  auto model = Load("model");
  ASSERT_EQ(model.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(model.status().message().find("flavors.sklearn.pickled_model"), std::string::npos);
}

TEST_F(LoaderTest, CustomPyfuncIsRefusedWithFlavorsNamed) {
  Write("MLmodel",
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
        "    python_model: python_model.pkl\n  tensorflow:\n    saved_model_dir: tfmodel\n");
  auto served = Load();
  ASSERT_EQ(served.status().code(), StatusCode::kUnimplemented);
  const std::string& msg = served.status().message();
  EXPECT_NE(msg.find("python_function (a custom mlflow.pyfunc.PythonModel"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("tensorflow"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sklearn"), std::string::npos) << msg;
}

TEST_F(LoaderTest, MissingRuntimeIsNamed) {
  RuntimeRegistry empty;
  Write("MLmodel", SklearnMlmodel());
  Write("model.pkl", "pickle");
  auto served = LoadModelDir(empty, dir_, "iris");
  ASSERT_EQ(served.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(served.status().message().find("scikit-learn models need the sklearn runtime"),
            std::string::npos)
      << served.status().message();
  fs::remove(dir_ / "MLmodel");
  auto plain = LoadModelDir(empty, dir_, "iris");
  ASSERT_EQ(plain.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(plain.status().message().find("model.pkl"), std::string::npos);
}

TEST_F(LoaderTest, BadYamlAndRuntimeErrorsPropagate) {
  Write("MLmodel", "flavors: [\n");
  auto bad = Load();
  ASSERT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find((dir_ / "MLmodel").string()), std::string::npos);
  Write("MLmodel", SklearnMlmodel());
  Write("model.pkl", "bad");
  EXPECT_EQ(Load().status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LoaderTest, MlflowDirOneLevelDown) {
  Write("iris_model/MLmodel", SklearnMlmodel());
  Write("iris_model/model.pkl", "pickle");
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ(seen_.file, dir_ / "iris_model" / "model.pkl");
  ASSERT_FALSE((*served)->warnings.empty());
  EXPECT_NE((*served)->warnings[0].find("iris_model/"), std::string::npos);
  Write("model.joblib", "x");
  auto both = Load();
  ASSERT_EQ(both.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(both.status().message().find("model.joblib) and an MLflow model (iris_model/)"),
            std::string::npos)
      << both.status().message();
  fs::remove(dir_ / "model.joblib");
  Write("other/MLmodel", SklearnMlmodel());
  auto two = Load();
  ASSERT_EQ(two.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(two.status().message().find("iris_model/ and an MLflow model in other/"), std::string::npos)
      << two.status().message();
}

TEST_F(LoaderTest, PlainLayouts) {
  Write("model.joblib", "x");
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ((*served)->format, "sklearn");
  EXPECT_EQ((*served)->output_style, protocol::OutputStyle::kKserve);
  EXPECT_FALSE((*served)->has_signature);
  EXPECT_EQ((*served)->metadata.inputs[0].shape, (protocol::Shape{-1, 4}));
  EXPECT_NE((*served)->source.find("KServe plain layout"), std::string::npos);

  Write("model.pkl", "x");
  auto two = Load();
  ASSERT_EQ(two.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(two.status().message().find("model.joblib and model.pkl"), std::string::npos)
      << two.status().message();

  auto file = Load("model.pkl");  // DIR is the file itself
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(seen_.file, dir_ / "model.pkl");
}

TEST_F(LoaderTest, SingleFileByExtension) {
  Write("iris.pickle", "x");
  Write("README.md", "notes");
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ(seen_.file, dir_ / "iris.pickle");
}

TEST_F(LoaderTest, UnknownLayoutListsWhatWasFound) {
  for (int i = 0; i < 12; ++i) Write("f" + std::to_string(10 + i) + ".txt", "x");
  auto served = Load();
  ASSERT_EQ(served.status().code(), StatusCode::kInvalidArgument);
  const std::string& msg = served.status().message();
  EXPECT_NE(msg.find("f10.txt, f11.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("and 2 more"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.joblib"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.bst"), std::string::npos) << msg;  // known even without the runtime
  EXPECT_NE(msg.find("MLmodel"), std::string::npos) << msg;
}

TEST_F(LoaderTest, EmptyAndMissingDirs) {
  auto empty = Load();
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
  auto missing = Load("nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(LoaderTest, ModelRepositoryOnlyWhereOneModelIsRefused) {
  // One MLflow model one level down stays that one model (rule 3), whatever else is beside it.
  Write("one/MLmodel", SklearnMlmodel());
  Write("one/model.pkl", "pickle");
  Write("two/model.joblib", "x");
  EXPECT_FALSE(IsModelRepository(registry_, dir_));
  EXPECT_TRUE(Load().ok());
  // Two MLflow models: refused as one model today, so a repository.
  Write("three/MLmodel", SklearnMlmodel());
  Write("three/model.pkl", "pickle");
  EXPECT_FALSE(Load().ok());
  EXPECT_TRUE(IsModelRepository(registry_, dir_));
  fs::remove_all(dir_ / "three");
  fs::remove_all(dir_ / "one");
  // Plain model directories only: no model at the top level, so a repository.
  Write("one/model.pkl", "x");
  EXPECT_FALSE(Load().ok());
  EXPECT_TRUE(IsModelRepository(registry_, dir_));
  // A model file of its own makes DIR a (refused) single model again, never a repository.
  Write("model.pkl", "x");
  EXPECT_FALSE(IsModelRepository(registry_, dir_));
  fs::remove(dir_ / "model.pkl");
  Write("MLmodel", SklearnMlmodel());
  EXPECT_FALSE(IsModelRepository(registry_, dir_));
  fs::remove(dir_ / "MLmodel");
  // Other files (README) do not matter; no model subdirectory at all is no repository.
  Write("README.md", "notes");
  EXPECT_TRUE(IsModelRepository(registry_, dir_));
  EXPECT_FALSE(IsModelRepository(registry_, dir_ / "two"));  // a model itself
  EXPECT_FALSE(IsModelRepository(registry_, dir_ / "two" / "model.joblib"));  // a file
  fs::remove_all(dir_ / "one");
  fs::remove_all(dir_ / "two");
  Write("notes/a.txt", "x");
  EXPECT_FALSE(IsModelRepository(registry_, dir_));
  EXPECT_FALSE(IsModelRepository(registry_, dir_ / "missing"));
}

}  // namespace
}  // namespace ferry::runtime
