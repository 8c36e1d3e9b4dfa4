#include "runtime/mlmodel.h"

#include <gtest/gtest.h>

namespace ferry::runtime {
namespace {

// The sklearn MLmodel of the reference (MLflow 2.x), abbreviated signature.
constexpr char kSklearnMlmodel[] = R"j(artifact_path: model
flavors:
  python_function:
    env: {conda: conda.yaml, virtualenv: python_env.yaml}
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.10.12
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.0
mlflow_version: 2.22.0
model_size_bytes: 1234
model_uuid: af380c2cbc4844b1b31cc4a40c085c43
run_id: 97ee9e6938aa4ea7a1ef9fef30f634db
saved_input_example_info: {artifact_path: input_example.json, pandas_orient: split, type: dataframe,
                           serving_input_path: serving_input_example.json}
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2024-07-04 10:00:00.000000'
)j";

TEST(ParseMlModel, ReadsFlavorsSignatureAndExample) {
  auto mm = ParseMlModel(kSklearnMlmodel, "MLmodel at /m/MLmodel");
  ASSERT_TRUE(mm.ok()) << mm.status().ToString();
  EXPECT_EQ(mm->FlavorNames(), "python_function, sklearn");
  EXPECT_EQ(mm->mlflow_version, "2.22.0");
  EXPECT_EQ(mm->run_id, "97ee9e6938aa4ea7a1ef9fef30f634db");
  EXPECT_EQ(mm->utc_time_created, "2024-07-04 10:00:00.000000");
  const MlflowFlavor* pyfunc = mm->FindFlavor("python_function");
  ASSERT_NE(pyfunc, nullptr);
  EXPECT_EQ(pyfunc->Get("loader_module"), "mlflow.sklearn");
  EXPECT_EQ(pyfunc->Get("env.conda"), "conda.yaml");
  EXPECT_EQ(pyfunc->Get("predict_fn"), "predict");
  const MlflowFlavor* sk = mm->FindFlavor("sklearn");
  ASSERT_NE(sk, nullptr);
  EXPECT_EQ(sk->Get("pickled_model"), "model.pkl");
  EXPECT_EQ(sk->Get("serialization_format"), "cloudpickle");
  EXPECT_FALSE(sk->Has("code")) << "YAML null is omitted";
  EXPECT_TRUE(mm->has_signature);
  ASSERT_TRUE(mm->signature_inputs.has_value());
  EXPECT_EQ(*mm->signature_inputs,
            R"j([{"type": "double", "name": "sepal length (cm)", "required": true}])j");
  ASSERT_TRUE(mm->signature_outputs.has_value());
  EXPECT_FALSE(mm->signature_params.has_value());
  ASSERT_TRUE(mm->input_example.has_value());
  EXPECT_EQ(mm->input_example->artifact_path, "input_example.json");
  EXPECT_EQ(mm->input_example->type, "dataframe");
  EXPECT_EQ(mm->input_example->serving_input_path, "serving_input_example.json");
}

TEST(ParseMlModel, OldStyleEnvStringAndTimeCreated) {
  auto mm = ParseMlModel(
      "flavors:\n  python_function:\n    env: conda.yaml\n    loader_module: mlflow.sklearn\n"
      "time_created: '2020-01-01'\n",
      "MLmodel");
  ASSERT_TRUE(mm.ok()) << mm.status().ToString();
  EXPECT_EQ(mm->FindFlavor("python_function")->Get("env"), "conda.yaml");
  EXPECT_EQ(mm->utc_time_created, "2020-01-01");
  EXPECT_FALSE(mm->has_signature);
  EXPECT_FALSE(mm->input_example.has_value());
}

TEST(ParseMlModel, BadYamlNamesTheFile) {
  auto mm = ParseMlModel("flavors: [unclosed\n  : :", "MLmodel at /x/MLmodel");
  ASSERT_FALSE(mm.ok());
  EXPECT_EQ(mm.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mm.status().message().find("MLmodel at /x/MLmodel"), std::string::npos);
  EXPECT_NE(mm.status().message().find("not valid YAML"), std::string::npos);
}

TEST(ParseMlModel, RejectsNonMappingsAndMissingFlavors) {
  EXPECT_EQ(ParseMlModel("- a\n- b\n", "M").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMlModel("", "M").status().code(), StatusCode::kInvalidArgument);
  auto no_flavors = ParseMlModel("mlflow_version: 2.10.1\n", "M");
  ASSERT_FALSE(no_flavors.ok());
  EXPECT_NE(no_flavors.status().message().find("flavors"), std::string::npos);
  EXPECT_FALSE(ParseMlModel("flavors: 3\n", "M").ok());
  EXPECT_FALSE(ParseMlModel("flavors: {}\n", "M").ok());
  EXPECT_FALSE(ParseMlModel("flavors: {a: {}}\nsignature: 5\n", "M").ok());
}

// Aliases repeating a map ten times per level would be walked into 10^5
// entries per flavor (and more with wider maps): the walk stops after 1,000
// entries.
TEST(ParseMlModel, AliasExpansionInAFlavorIsBounded) {
  std::string text = "l0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}\n";
  for (int i = 1; i <= 5; ++i) {
    std::string p = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " {";
    for (int j = 0; j < 10; ++j) text += (j ? ", k" : "k") + std::to_string(j) + ": " + p;
    text += "}\n";
  }
  text += "flavors:\n  sklearn: *l3\n  python_function: *l5\n";
  auto mm = ParseMlModel(text, "MLmodel");
  ASSERT_TRUE(mm.ok()) << mm.status().ToString();
  // l3 holds 10^4 scalars at depth 3; 1,000 entries visited (maps included).
  size_t n = mm->FindFlavor("sklearn")->fields.size();
  EXPECT_GT(n, 800u);
  EXPECT_LT(n, 1000u);
}

// The block reader (block_yaml.h) and yaml-cpp must agree on every file the reader takes; it
// must take MLflow's own block style, wrapped single-quoted signatures included, and leave
// everything else to yaml-cpp.
void ExpectSameAsYamlCpp(const std::string& text) {
  auto fast = ParseMlModel(text, "MLmodel");
  auto full = ParseMlModelWithYamlCpp(text, "MLmodel");
  ASSERT_EQ(fast.ok(), full.ok()) << text;
  if (fast.ok()) {
    EXPECT_TRUE(*fast == *full) << text;
  } else {
    EXPECT_EQ(fast.status().message(), full.status().message()) << text;
  }
}

TEST(ParseMlModel, BlockReaderTakesMlflowsBlockStyle) {
  // What MLflow 2.x writes (PyYAML safe_dump, default_flow_style=False), with a signature
  // long enough that PyYAML wrapped it.
  const std::string written =
      "artifact_path: model\n"
      "flavors:\n"
      "  python_function:\n"
      "    env:\n"
      "      conda: conda.yaml\n"
      "      virtualenv: python_env.yaml\n"
      "    loader_module: mlflow.sklearn\n"
      "    model_path: model.pkl\n"
      "    predict_fn: predict\n"
      "    python_version: 3.11.2\n"
      "  sklearn:\n"
      "    code: null\n"
      "    pickled_model: model.pkl\n"
      "    serialization_format: cloudpickle\n"
      "    sklearn_version: 1.2.1\n"
      "mlflow_version: 2.10.1\n"
      "model_uuid: ebb8ae9b1057545ba498d8bd4ce8ae8c\n"
      "run_id: d9a3dd7164bd423b9482ab8a77316c33\n"
      "saved_input_example_info:\n"
      "  artifact_path: input_example.json\n"
      "  pandas_orient: split\n"
      "  type: dataframe\n"
      "signature:\n"
      "  inputs: '[{\"type\": \"double\", \"name\": \"sepal length (cm)\", \"required\": true},\n"
      "    {\"type\": \"double\", \"name\": \"sepal width (cm)\", \"required\": true}]'\n"
      "  outputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"int64\", \"shape\": "
      "[-1]}}]'\n"
      "  params: null\n"
      "utc_time_created: '2024-09-30 08:15:42.123456'\n"
      "x: 'it''s'\n";
  EXPECT_TRUE(MlModelFastPath(written));
  ExpectSameAsYamlCpp(written);
  auto mm = ParseMlModel(written, "MLmodel");
  ASSERT_TRUE(mm.ok());
  EXPECT_EQ(*mm->signature_inputs,
            "[{\"type\": \"double\", \"name\": \"sepal length (cm)\", \"required\": true}, "
            "{\"type\": \"double\", \"name\": \"sepal width (cm)\", \"required\": true}]");
  EXPECT_EQ(mm->FindFlavor("python_function")->Get("env.conda"), "conda.yaml");
  EXPECT_FALSE(mm->signature_params.has_value());
}

// A scalar wrapped over many lines, each ending in an escaped quote, is read in linear time
// (re-scanning the joined text per line took minutes for a 1 MB MLmodel).
TEST(ParseMlModel, BlockReaderFoldsLongScalarsOnce) {
  std::string text = "flavors:\n  sklearn:\n    pickled_model: model.pkl\nrun_id: 'a''\n";
  for (int i = 0; i < 150000; ++i) text += "  b''\n";
  text += "  c'\n";
  ASSERT_TRUE(MlModelFastPath(text));
  auto mm = ParseMlModel(text, "MLmodel");
  ASSERT_TRUE(mm.ok()) << mm.status().ToString();
  EXPECT_EQ(mm->run_id.size(), 2 + 150000 * 3 + 2);  // "a'" + " b'" per line + " c"
  EXPECT_EQ(mm->run_id.substr(0, 8), "a' b' b'");
  ExpectSameAsYamlCpp(text);
}

TEST(ParseMlModel, BlockReaderLeavesOtherYamlToYamlCpp) {
  const std::string base = "flavors:\n  sklearn:\n    pickled_model: model.pkl\n";
  // Each is valid or invalid YAML the reader does not read itself.
  for (const std::string& odd : {
           base + "run_id: abc # a comment\n",
           base + "# a comment\nrun_id: abc\n",
           base + "tags:\n- a\n- b\n",
           base + "env: {conda: conda.yaml}\n",
           base + "run_id: &a abc\nother: *a\n",
           base + "run_id: !!str 12\n",
           base + "run_id: |\n  abc\n",
           base + "run_id: abc\n  def\n",
           base + "run_id: \"a\\tb\"\n",
           base + "run_id:\tabc\n",
           base + "run_id: abc\r\n",
           base + "run_id: 'unclosed\n",
           base + "run_id: 'a' b\n",
           base + "run_id: 'a\n\n  b'\n",
           base + "run_id: a\nrun_id: b\n",
           base + "null: x\n",
           "---\n" + base,
           "  " + base,
           base + "run_id: a: b\n",
           base + "run_id: abc:\n",
           base + "run_id: caf\xc3\xa9\n",
           base + "flavors2:\n    deep: 1\n  shallow: 2\n",
           std::string(""),
       }) {
    EXPECT_FALSE(MlModelFastPath(odd)) << odd;
    ExpectSameAsYamlCpp(odd);
  }
  // And these it does read, the same way yaml-cpp does.
  for (const std::string& plain : {
           base + "run_id: -1\n",
           base + "run_id: ~\n",
           base + "run_id: \"double quoted\"\n",
           base + "run_id: a#b\n",
           base + "run_id: it's\n",
           base + "signature:\n",
           base + "signature:\n  inputs: null\n",
           base + "signature: x\n",
           base + "mlflow_version:    2.0   \n",
           std::string("flavors:\n"),
           std::string("flavors: {}\n"),
       }) {
    ExpectSameAsYamlCpp(plain);
  }
}

// The block reader's own tree goes through the same rules as yaml-cpp's: nulls, nesting past
// the flattening depth, missing sections and each error.
TEST(ParseMlModel, BlockReaderTreeMatchesYamlCppTree) {
  const std::string base = "flavors:\n  sklearn:\n    pickled_model: model.pkl\n";
  std::string many = "flavors:\n  sklearn:\n";
  for (int i = 0; i < 1100; ++i) many += "    k" + std::to_string(i) + ": v\n";
  for (const std::string& text : {
           base + "signature:\n  inputs:\n  outputs: x\n",
           base + "signature:\n  inputs: ~\n  outputs: '[]'\n  params: '{}'\n",
           base + "saved_input_example_info:\n  artifact_path: x.json\n  type:\n",
           base + "saved_input_example_info: x\n",
           base + "time_created: yesterday\n",
           base + "utc_time_created:\ntime_created: yesterday\n",
           std::string("flavors:\n  a:\n  b:\n    c:\n      d:\n        e:\n          f:\n"
                       "            g: deep\n          h: 1\n    i: 2\n"),
           std::string("flavors:\n  a: 1\n  b: ~\n"),
           std::string("flavors: x\n"),
           std::string("flavors: null\n"),
           std::string("run_id: a\n"),
           base + "signature: x\n",
           many,
       }) {
    ASSERT_TRUE(MlModelFastPath(text)) << text;
    ExpectSameAsYamlCpp(text);
  }
  auto mm = ParseMlModel(many, "MLmodel");
  ASSERT_TRUE(mm.ok());
  EXPECT_EQ(mm->FindFlavor("sklearn")->fields.size(), 1000u);
}

}  // namespace
}  // namespace ferry::runtime
