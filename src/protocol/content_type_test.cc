#include "protocol/content_type.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "protocol/v2_json.h"

namespace ferry::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<std::string> kIrisColumns = {"sepal length (cm)", "sepal width (cm)",
                                               "petal length (cm)", "petal width (cm)"};

InferRequest Parse(std::string_view json) {
  auto r = ParseV2Request(json, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : InferRequest{};
}

Frame MustDecode(std::string_view json, const ModelMetadata& md = {}) {
  auto f = RequestToFrame(Parse(json), md);
  EXPECT_TRUE(f.ok()) << f.status().ToString() << "\nbody: " << json;
  return f.ok() ? std::move(f).value() : Frame{};
}

std::string DecodeError(std::string_view json, const ModelMetadata& md = {}) {
  auto f = RequestToFrame(Parse(json), md);
  EXPECT_FALSE(f.ok()) << "expected an error for " << json;
  return f.ok() ? "" : f.status().message();
}

// Iris example A: column signature, model content type pd.
ModelMetadata ColumnSignature(DataType type = DataType::kFp64) {
  ModelMetadata md;
  md.name = "iris";
  md.content_type = "pd";
  for (const std::string& c : kIrisColumns) {
    md.inputs.push_back({c, type, {-1, 1}, "np"});
  }
  md.outputs.push_back({"output-0", DataType::kInt64, {-1}, "np"});
  return md;
}

// Iris example C: unnamed tensor signature float64 [-1, 4], content type np.
ModelMetadata TensorSignature() {
  ModelMetadata md;
  md.name = "iris";
  md.content_type = "np";
  md.inputs.push_back({"input-0", DataType::kFp64, {-1, 4}, "np"});
  md.outputs.push_back({"output-0", DataType::kInt64, {-1}, "np"});
  return md;
}

std::string ColumnarRequest(const std::string& params, const std::string& dtype = "FP64") {
  const char* data[] = {"[5.1,6.7]", "[3.5,3.0]", "[1.4,5.2]", "[0.2,2.3]"};
  std::string s = "{" + params + "\"inputs\":[";
  for (size_t i = 0; i < 4; ++i) {
    s += std::string(i ? "," : "") + R"({"name":")" + kIrisColumns[i] +
         R"(","shape":[2],"datatype":")" + dtype + R"(","data":)" + data[i] + "}";
  }
  return s + "]}";
}

std::vector<double> Row(const Frame& f, size_t r) {
  return std::vector<double>(f.numeric.begin() + r * f.cols, f.numeric.begin() + (r + 1) * f.cols);
}

TEST(RequestToFrame, SeedRequestIsTwoRowsOfFour) {
  Frame f = MustDecode(
      R"({"parameters": {"content_type": "np"}, "inputs": [{"name": "features", "shape": [2, 4],)"
      R"( "datatype": "FP64", "data": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}]})",
      TensorSignature());
  EXPECT_EQ(f.rows, 2u);
  EXPECT_EQ(f.cols, 4u);
  EXPECT_FALSE(f.has_strings());
  EXPECT_THAT(Row(f, 0), ElementsAre(6.8, 2.8, 4.8, 1.4));
  EXPECT_THAT(Row(f, 1), ElementsAre(6.0, 3.4, 4.5, 1.6));
}

TEST(RequestToFrame, IrisExampleAColumnSignature) {
  Frame f = MustDecode(ColumnarRequest(""), ColumnSignature());
  EXPECT_EQ(f.rows, 2u);
  EXPECT_EQ(f.names, kIrisColumns);
  EXPECT_THAT(Row(f, 0), ElementsAre(5.1, 3.5, 1.4, 0.2));
  EXPECT_THAT(Row(f, 1), ElementsAre(6.7, 3.0, 5.2, 2.3));
  // KServe's e2e form: FP32 columns of shape [1] with an explicit pd.
  Frame f32 = MustDecode(ColumnarRequest(R"("parameters":{"content_type":"pd"},)", "FP32"),
                         ColumnSignature());
  EXPECT_EQ(f32.at(0, 0), static_cast<double>(5.1f));
}

TEST(RequestToFrame, ColumnsAreReorderedExtrasDroppedMissingReported) {
  std::string shuffled =
      R"j({"inputs":[{"name":"petal width (cm)","shape":[1,1],"datatype":"FP64","data":[[4]]},)j"
      R"({"name":"extra","shape":[1],"datatype":"BYTES","data":["x"]},)"
      R"j({"name":"sepal width (cm)","shape":[1],"datatype":"FP64","data":[2]},)j"
      R"j({"name":"petal length (cm)","shape":[1],"datatype":"INT64","data":[3]},)j"
      R"j({"name":"sepal length (cm)","shape":[1],"datatype":"FP64","data":[1]}]})j";
  Frame f = MustDecode(shuffled, ColumnSignature());
  EXPECT_EQ(f.names, kIrisColumns);
  EXPECT_FALSE(f.has_strings());
  EXPECT_THAT(Row(f, 0), ElementsAre(1, 2, 3, 4));

  std::string missing =
      R"j({"inputs":[{"name":"sepal length (cm)","shape":[1],"datatype":"FP64","data":[1]},)j"
      R"j({"name":"sepal width (cm)","shape":[1],"datatype":"FP64","data":[2]},)j"
      R"j({"name":"petal length (cm)","shape":[1],"datatype":"FP64","data":[3]}]})j";
  EXPECT_THAT(DecodeError(missing, ColumnSignature()),
              HasSubstr("model is missing inputs ['petal width (cm)']"));
}

TEST(RequestToFrame, SignatureAllowsOnlySafeCasts) {
  EXPECT_THAT(DecodeError(ColumnarRequest("", "FP64"), ColumnSignature(DataType::kInt64)),
              HasSubstr("input 'sepal length (cm)' is FP64 but the model signature declares "
                        "column 'sepal length (cm)' as INT64"));
  MustDecode(ColumnarRequest("", "FP32"), ColumnSignature(DataType::kFp64));
  std::string ints = R"({"inputs":[{"name":"input-0","shape":[1,4],"datatype":"INT32",)"
                     R"("data":[1,2,3,4]}]})";
  MustDecode(ints, TensorSignature());
  std::string strings = R"({"inputs":[{"name":"input-0","shape":[1,4],"datatype":"BYTES",)"
                        R"("data":["1","2","3","4"]}]})";
  // Strings are left to the model (metadata without a signature says FP64).
  MustDecode(strings, TensorSignature());
  ModelMetadata bool_sig = TensorSignature();
  bool_sig.inputs[0].datatype = DataType::kBool;
  EXPECT_THAT(DecodeError(strings, bool_sig), HasSubstr("BYTES cannot be converted to BOOL"));
  std::string bools = R"({"inputs":[{"name":"input-0","shape":[1,4],"datatype":"BOOL",)"
                      R"("data":[true,false,true,true]}]})";
  MustDecode(bools, TensorSignature());
}

TEST(RequestToFrame, IrisExampleBNoSignatureExplicitNp) {
  Frame f =
      MustDecode(R"({"parameters":{"content_type":"np"},"inputs":[{"name":"input-0","shape":[2,4],)"
                 R"("datatype":"FP64","data":[5.1,3.5,1.4,0.2,6.7,3.0,5.2,2.3]}]})");
  EXPECT_EQ(f.rows, 2u);
  EXPECT_EQ(f.cols, 4u);
  EXPECT_TRUE(f.names.empty());
  EXPECT_THAT(Row(f, 1), ElementsAre(6.7, 3.0, 5.2, 2.3));
}

TEST(RequestToFrame, IrisExampleCTensorSignature) {
  std::string body = R"({"inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP64",)"
                     R"("data":[5.1,3.5,1.4,0.2,6.7,3.0,5.2,2.3]}]})";
  Frame f = MustDecode(body, TensorSignature());
  EXPECT_EQ(f.rows, 2u);
  EXPECT_EQ(f.cols, 4u);
  std::string three = R"({"inputs":[{"name":"input-0","shape":[1,3],"datatype":"FP64",)"
                      R"("data":[5.1,3.5,1.4]}]})";
  EXPECT_EQ(DecodeError(three, TensorSignature()),
            "input 'input-0' has 3 values per row but the model signature expects shape "
            "[-1, 4] (4 per row); send shape [N, 4]");
}

TEST(RequestToFrame, TensorSignatureCastsEveryColumnOnce) {
  ModelMetadata fp32 = TensorSignature();
  fp32.inputs[0].datatype = DataType::kFp32;
  const std::string fp64 = R"({"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64",)"
                           R"("data":[5.1,3.5,1.4,0.2]}]})";
  EXPECT_EQ(DecodeError(fp64, fp32),
            "input 'input-0' is FP64 but the model signature declares tensor 'input-0' as FP32; "
            "FP64 cannot be converted to FP32 without loss. Send datatype FP32 (see GET "
            "/v2/models/<name> for the expected inputs)");
  const std::string ints = R"({"inputs":[{"name":"input-0","shape":[1,4],"datatype":"INT32",)"
                           R"("data":[5,3,1,0]}]})";
  EXPECT_EQ(MustDecode(ints, TensorSignature()).cols, 4u);  // INT32 -> FP64 is safe
  EXPECT_EQ(MustDecode(fp64, TensorSignature()).cols, 4u);
}

TEST(RequestToFrame, CodecPrecedence) {
  // Request-level np beats the model's pd: one [N, 4] input against a column
  // signature is taken positionally.
  std::string np = R"({"parameters":{"content_type":"np"},"inputs":[{"name":"x","shape":[1,4],)"
                   R"("datatype":"FP64","data":[1,2,3,4]}]})";
  Frame f = MustDecode(np, ColumnSignature());
  EXPECT_EQ(f.names, kIrisColumns);
  EXPECT_THAT(Row(f, 0), ElementsAre(1, 2, 3, 4));
  // Request-level pd beats the model's np.
  ModelMetadata np_model;
  np_model.content_type = "np";
  std::string two = R"({"parameters":{"content_type":"pd"},"inputs":[)"
                    R"({"name":"a","shape":[2],"datatype":"FP64","data":[1,2]},)"
                    R"({"name":"b","shape":[2],"datatype":"FP64","data":[3,4]}]})";
  Frame pd = MustDecode(two, np_model);
  EXPECT_THAT(pd.names, ElementsAre("a", "b"));
  EXPECT_THAT(Row(pd, 1), ElementsAre(2, 4));
  // The model default applies when the request says nothing.
  std::string two_plain = R"({"inputs":[)"
                          R"({"name":"a","shape":[2],"datatype":"FP64","data":[1,2]},)"
                          R"({"name":"b","shape":[2],"datatype":"FP64","data":[3,4]}]})";
  // Without an explicit content type the request's shape decides: several
  // inputs are columns even when the model default is np...
  EXPECT_THAT(MustDecode(two_plain, np_model).names, ElementsAre("a", "b"));
  // ...but an explicit np is obeyed.
  std::string two_np = R"({"parameters":{"content_type":"np"},"inputs":[)"
                       R"({"name":"a","shape":[2],"datatype":"FP64","data":[1,2]},)"
                       R"({"name":"b","shape":[2],"datatype":"FP64","data":[3,4]}]})";
  EXPECT_THAT(DecodeError(two_np), HasSubstr("decodes exactly one input"));
  // A single [N, 4] input against a pd model (iris B sent to model A) is np,
  // taken positionally; a single column-shaped input follows the pd default.
  Frame b_on_a = MustDecode(R"({"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32",)"
                            R"("data":[1,2,3,4]}]})",
                            ColumnSignature());
  EXPECT_EQ(b_on_a.names, kIrisColumns);
  ModelMetadata one_col;
  one_col.content_type = "pd";
  one_col.inputs.push_back({"x", DataType::kFp64, {-1, 1}, "np"});
  EXPECT_THAT(DecodeError(R"({"inputs":[{"name":"y","shape":[2],"datatype":"FP64","data":[1,2]}]})",
                          one_col),
              HasSubstr("model is missing inputs ['x']"));
  // Nothing says: several inputs → pd, one → np.
  EXPECT_THAT(MustDecode(two_plain).names, ElementsAre("a", "b"));
  EXPECT_EQ(MustDecode(R"({"inputs":[{"name":"a","shape":[2,3],"datatype":"INT64",)"
                       R"("data":[1,2,3,4,5,6]}]})")
                .cols,
            3u);
}

TEST(RequestToFrame, NpShapes) {
  Frame one_d =
      MustDecode(R"({"inputs":[{"name":"a","shape":[3],"datatype":"FP32","data":[1,2,3]}]})");
  EXPECT_EQ(one_d.rows, 3u);
  EXPECT_EQ(one_d.cols, 1u);
  Frame three_d = MustDecode(
      R"({"inputs":[{"name":"a","shape":[2,2,2],"datatype":"UINT8","data":[1,2,3,4,5,6,7,8]}]})");
  EXPECT_EQ(three_d.rows, 2u);
  EXPECT_EQ(three_d.cols, 4u);
  EXPECT_THAT(Row(three_d, 1), ElementsAre(5, 6, 7, 8));
  Frame scalar =
      MustDecode(R"({"inputs":[{"name":"a","shape":[],"datatype":"BOOL","data":[true]}]})");
  EXPECT_EQ(scalar.rows, 1u);
  EXPECT_EQ(scalar.at(0, 0), 1.0);
  Frame nan =
      MustDecode(R"({"inputs":[{"name":"a","shape":[2],"datatype":"FP64","data":[null,1]}]})");
  EXPECT_TRUE(nan.is_missing(0, 0));
}

TEST(RequestToFrame, PdShapeAndLengthErrors) {
  std::string wide = R"({"parameters":{"content_type":"pd"},"inputs":[)"
                     R"({"name":"a","shape":[2,2],"datatype":"FP64","data":[1,2,3,4]}]})";
  EXPECT_THAT(DecodeError(wide), HasSubstr("shape [2, 2] is not a column"));
  std::string uneven = R"({"inputs":[{"name":"a","shape":[2],"datatype":"FP64","data":[1,2]},)"
                       R"({"name":"b","shape":[3],"datatype":"FP64","data":[1,2,3]}]})";
  EXPECT_THAT(DecodeError(uneven), HasSubstr("input 'b': has 3 rows but input 'a' has 2"));
  std::string dup = R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP64","data":[1]},)"
                    R"({"name":"a","shape":[1],"datatype":"FP64","data":[2]}]})";
  EXPECT_THAT(DecodeError(dup), HasSubstr("appears twice"));
  EXPECT_THAT(DecodeError(R"({"parameters":{"content_type":"bogus"},"inputs":[)"
                          R"({"name":"a","shape":[1],"datatype":"FP64","data":[1]}]})"),
              HasSubstr("unsupported content_type \"bogus\""));
  EXPECT_THAT(DecodeError(R"({"inputs":[]})"), HasSubstr("no inputs"));
}

TEST(RequestToFrame, BytesBecomeStringColumns) {
  std::string body =
      R"({"inputs":[{"name":"n","shape":[3],"datatype":"FP64","data":[1,2,3]},)"
      R"({"name":"s","shape":[3,1],"datatype":"BYTES","parameters":{"content_type":"str"},)"
      R"("data":["a",null,"c"]},)"
      R"({"name":"b","shape":[3],"datatype":"BYTES","parameters":{"content_type":"base64"},)"
      R"("data":["aGVsbG8=","","AP8"]}]})";
  Frame f = MustDecode(body);
  EXPECT_THAT(f.names, ElementsAre("n", "s", "b"));
  EXPECT_FALSE(f.is_string_col(0));
  EXPECT_TRUE(f.is_string_col(1));
  EXPECT_TRUE(f.is_string_col(2));
  EXPECT_EQ(f.at(2, 0), 3.0);
  EXPECT_EQ(f.str_at(0, 1), "a");
  EXPECT_TRUE(f.is_missing(1, 1));
  EXPECT_EQ(f.str_at(0, 2), "hello");
  EXPECT_EQ(f.str_at(1, 2), "");
  EXPECT_EQ(f.str_at(2, 2), std::string("\0\xff", 2));
  std::string bad = R"({"inputs":[{"name":"b","shape":[1],"datatype":"BYTES",)"
                    R"("parameters":{"content_type":"base64"},"data":["!!"]}]})";
  EXPECT_THAT(DecodeError(bad), HasSubstr("input 'b': element 0 is not valid base64"));
  Frame str = MustDecode(R"({"parameters":{"content_type":"str"},"inputs":[{"name":"t",)"
                         R"("shape":[2],"datatype":"BYTES","data":["x","y"]}]})");
  EXPECT_EQ(str.str_at(1, 0), "y");
}

TEST(RequestToFrame, DictCodec) {
  ModelMetadata dict;
  dict.content_type = "dict";
  EXPECT_EQ(MustDecode(R"({"inputs":[{"name":"t","shape":[2,3],"datatype":"FP64",)"
                       R"("data":[1,2,3,4,5,6]}]})",
                       dict)
                .cols,
            3u);
  Frame two = MustDecode(R"({"inputs":[{"name":"a","shape":[2],"datatype":"FP64","data":[1,2]},)"
                         R"({"name":"b","shape":[2,1],"datatype":"FP64","data":[3,4]}]})",
                         dict);
  EXPECT_THAT(two.names, ElementsAre("a", "b"));
}

TEST(PredictionToOutputs, MlserverStyle) {
  ModelMetadata md = TensorSignature();
  auto outs = PredictionToOutputs(Tensor::FromInt64s({0, 2}, {2}), OutputStyle::kMlserver, md);
  ASSERT_TRUE(outs.ok());
  ASSERT_EQ(outs->size(), 1u);
  const Tensor& t = (*outs)[0];
  EXPECT_EQ(t.name, "output-1");
  EXPECT_EQ(t.shape, (Shape{2, 1}));
  EXPECT_EQ(t.parameters.GetString("content_type"), "np");
  md.outputs[0].name = "label";
  EXPECT_EQ(
      (*PredictionToOutputs(Tensor::FromInt64s({0}, {1}), OutputStyle::kMlserver, md))[0].name,
      "label");
  auto proba =
      PredictionToOutputs(Tensor::FromDoubles({0.1, 0.9}, {1, 2}), OutputStyle::kMlserver, {});
  EXPECT_EQ((*proba)[0].shape, (Shape{1, 2}));
}

TEST(PredictionToOutputs, KserveStyle) {
  auto outs = PredictionToOutputs(Tensor::FromInt64s({1, 1}, {2}), OutputStyle::kKserve, {});
  ASSERT_TRUE(outs.ok());
  EXPECT_EQ((*outs)[0].name, "output-0");
  EXPECT_EQ((*outs)[0].shape, (Shape{2}));
  EXPECT_TRUE((*outs)[0].parameters.empty());
}

TEST(SelectOutputs, FiltersByName) {
  std::vector<Tensor> outs(2);
  outs[0].name = "a";
  outs[1].name = "b";
  InferRequest req;
  EXPECT_TRUE(SelectOutputs(req, &outs).ok());
  EXPECT_EQ(outs.size(), 2u);
  req.outputs.push_back({"b", {}});
  ASSERT_TRUE(SelectOutputs(req, &outs).ok());
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].name, "b");
  req.outputs[0].name = "zzz";
  Status s = SelectOutputs(req, &outs);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr("requested output 'zzz' does not exist; this model returns ['b']"));
}

TEST(IsSafeCast, Table) {
  EXPECT_TRUE(IsSafeCast(DataType::kInt64, DataType::kFp64));
  EXPECT_TRUE(IsSafeCast(DataType::kFp32, DataType::kFp64));
  EXPECT_TRUE(IsSafeCast(DataType::kInt32, DataType::kInt64));
  EXPECT_TRUE(IsSafeCast(DataType::kUint32, DataType::kInt64));
  EXPECT_TRUE(IsSafeCast(DataType::kInt16, DataType::kFp32));
  EXPECT_FALSE(IsSafeCast(DataType::kFp64, DataType::kInt64));
  EXPECT_FALSE(IsSafeCast(DataType::kFp64, DataType::kFp32));
  EXPECT_FALSE(IsSafeCast(DataType::kInt64, DataType::kInt32));
  EXPECT_FALSE(IsSafeCast(DataType::kInt8, DataType::kUint64));
  EXPECT_FALSE(IsSafeCast(DataType::kUint64, DataType::kInt64));
  EXPECT_FALSE(IsSafeCast(DataType::kInt32, DataType::kFp32));
  EXPECT_TRUE(IsSafeCast(DataType::kBool, DataType::kInt64));
  EXPECT_FALSE(IsSafeCast(DataType::kInt64, DataType::kBool));
  EXPECT_FALSE(IsSafeCast(DataType::kBytes, DataType::kFp64));
  EXPECT_TRUE(IsSafeCast(DataType::kBytes, DataType::kBytes));
}

// Framing into a Frame that holds an earlier request's (the router's per-thread scratch): the
// result is the fresh one's, nothing of the earlier frame left (names, string columns, cells).
TEST(RequestToFrame, ReusedFrameKeepsNothingOfTheEarlierOne) {
  const std::string strings =
      R"({"inputs":[{"name":"n","shape":[3],"datatype":"FP64","data":[1,2,3]},)"
      R"({"name":"s","shape":[3,1],"datatype":"BYTES","data":["a",null,"c"]}]})";
  const std::string np = R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64",)"
                         R"("data":[6.8,2.8,4.8,1.4]}]})";
  const std::string columns = ColumnarRequest("");
  struct Case {
    const std::string* json;
    ModelMetadata md;
  };
  const Case cases[] = {{&strings, {}}, {&np, TensorSignature()}, {&columns, ColumnSignature()},
                        {&np, {}},      {&strings, {}},           {&np, TensorSignature()}};
  Frame reused;
  for (const Case& c : cases) {
    InferRequest req = Parse(*c.json);
    Frame fresh = MustDecode(*c.json, c.md);
    Status s = RequestToFrame(req, c.md, &reused);
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << *c.json;
    EXPECT_EQ(reused.rows, fresh.rows) << *c.json;
    EXPECT_EQ(reused.cols, fresh.cols) << *c.json;
    EXPECT_EQ(reused.names, fresh.names) << *c.json;
    ASSERT_EQ(reused.numeric.size(), fresh.numeric.size()) << *c.json;
    for (size_t i = 0; i < fresh.numeric.size(); ++i) {
      EXPECT_TRUE(reused.numeric[i] == fresh.numeric[i] ||
                  (std::isnan(reused.numeric[i]) && std::isnan(fresh.numeric[i])))
          << *c.json << " cell " << i;
    }
    EXPECT_EQ(reused.string_cols, fresh.string_cols) << *c.json;
    EXPECT_EQ(reused.strings, fresh.strings) << *c.json;
    EXPECT_EQ(reused.missing, fresh.missing) << *c.json;
  }
}

}  // namespace
}  // namespace ferry::protocol
