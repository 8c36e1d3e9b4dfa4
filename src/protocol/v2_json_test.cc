#include "protocol/v2_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace ferry::protocol {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::string_view kSeedRequest =
    R"({"parameters": {"content_type": "np"}, "inputs": [{"name": "features", "shape": [2, 4],)"
    R"( "datatype": "FP64", "data": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}]})";

InferRequest MustParse(std::string_view json, std::string_view tail = {}) {
  auto r = ParseV2Request(json, tail);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\nbody: " << json;
  return r.ok() ? std::move(r).value() : InferRequest{};
}

std::string ParseError(std::string_view json, std::string_view tail = {}) {
  auto r = ParseV2Request(json, tail);
  EXPECT_FALSE(r.ok()) << "expected an error for: " << json;
  if (r.ok()) {
    return "";
  }
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

std::string OneInput(std::string_view dtype, std::string_view shape, std::string_view data) {
  return R"({"inputs":[{"name":"x","datatype":")" + std::string(dtype) + R"(","shape":)" +
         std::string(shape) + R"(,"data":)" + std::string(data) + "}]}";
}

std::vector<double> Values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    v.push_back(t.AsDouble(i));
  }
  return v;
}

TEST(ParseV2Request, SeedRequestNestedData) {
  InferRequest req = MustParse(kSeedRequest);
  ASSERT_EQ(req.inputs.size(), 1u);
  const Tensor& t = req.inputs[0];
  EXPECT_EQ(t.name, "features");
  EXPECT_EQ(t.datatype, DataType::kFp64);
  EXPECT_EQ(t.shape, (Shape{2, 4}));
  EXPECT_EQ(Values(t), (std::vector<double>{6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6}));
  EXPECT_EQ(req.parameters.GetString("content_type"), "np");
  EXPECT_FALSE(req.id.has_value());
}

TEST(ParseV2Request, FlatAndNestedGiveTheSameTensor) {
  Tensor flat = MustParse(OneInput("FP64", "[2,2]", "[1,2,3,4]")).inputs[0];
  Tensor nested = MustParse(OneInput("FP64", "[2,2]", "[[1,2],[3,4]]")).inputs[0];
  Tensor other = MustParse(OneInput("FP64", "[4]", "[[1,2],[3,4]]")).inputs[0];
  EXPECT_EQ(flat.raw, nested.raw);
  EXPECT_EQ(flat.raw, other.raw);
  Tensor deep = MustParse(OneInput("INT32", "[1,2,2]", "[[[1,2],[3,4]]]")).inputs[0];
  EXPECT_EQ(Values(deep), (std::vector<double>{1, 2, 3, 4}));
}

TEST(ParseV2Request, RaggedDataIsRejected) {
  EXPECT_THAT(ParseError(OneInput("FP64", "[2,2]", "[[1,2],[3]]")), HasSubstr("ragged"));
  EXPECT_THAT(ParseError(OneInput("FP64", "[3]", "[1,[2,3]]")), HasSubstr("ragged"));
  EXPECT_THAT(ParseError(OneInput("FP64", "[3]", "[[1,2],3]")), HasSubstr("ragged"));
}

TEST(ParseV2Request, ElementCountMismatchNamesInputAndCounts) {
  std::string body =
      R"({"inputs":[{"name":"features","shape":[2,4],"datatype":"FP64","data":[1,2,3,4,5,6]}]})";
  EXPECT_EQ(ParseError(body), "input 'features': shape [2, 4] needs 8 elements but data has 6");
  EXPECT_THAT(ParseError(OneInput("FP64", "[1]", "[1,2]")),
              HasSubstr("shape [1] needs 1 elements but data has 2"));
}

TEST(ParseV2Request, HugeShapeDoesNotAllocate) {
  EXPECT_THAT(ParseError(OneInput("FP64", "[1000000000, 1000]", "[1]")),
              HasSubstr("needs 1000000000000 elements but data has 1"));
}

TEST(ParseV2Request, EveryIntegerDatatype) {
  struct Case {
    const char* dtype;
    const char* data;
    std::vector<double> want;
  };
  const Case cases[] = {
      {"UINT8", "[0,255]", {0, 255}},
      {"UINT16", "[0,65535]", {0, 65535}},
      {"UINT32", "[0,4294967295]", {0, 4294967295.0}},
      {"UINT64", "[0,18446744073709551615]", {0, 18446744073709551615.0}},
      {"INT8", "[-128,127]", {-128, 127}},
      {"INT16", "[-32768,32767]", {-32768, 32767}},
      {"INT32", "[-2147483648,2147483647]", {-2147483648.0, 2147483647.0}},
      {"INT64",
       "[-9223372036854775808,9223372036854775807]",
       {-9223372036854775808.0, 9223372036854775807.0}},
  };
  for (const Case& c : cases) {
    Tensor t = MustParse(OneInput(c.dtype, "[2]", c.data)).inputs[0];
    EXPECT_EQ(DataTypeName(t.datatype), c.dtype);
    EXPECT_EQ(t.raw.size(), 2 * ElementSize(t.datatype));
    EXPECT_EQ(Values(t), c.want) << c.dtype;
  }
  Tensor big = MustParse(OneInput("UINT64", "[1]", "[18446744073709551615]")).inputs[0];
  EXPECT_EQ(big.data<uint64_t>()[0], std::numeric_limits<uint64_t>::max());
  Tensor min64 = MustParse(OneInput("INT64", "[1]", "[-9223372036854775808]")).inputs[0];
  EXPECT_EQ(min64.data<int64_t>()[0], std::numeric_limits<int64_t>::min());
}

TEST(ParseV2Request, OutOfRangeIntegersAreRejected) {
  const std::pair<const char*, const char*> cases[] = {
      {"UINT8", "[256]"},         {"UINT8", "[-1]"},
      {"INT8", "[128]"},          {"INT8", "[-129]"},
      {"UINT16", "[65536]"},      {"INT16", "[-32769]"},
      {"UINT32", "[4294967296]"}, {"INT32", "[2147483648]"},
      {"UINT64", "[-1]"},         {"INT64", "[9223372036854775808]"},
      {"INT64", "[1e19]"},        {"UINT64", "[1e20]"},
  };
  for (const auto& [dtype, data] : cases) {
    EXPECT_THAT(ParseError(OneInput(dtype, "[1]", data)),
                HasSubstr("out of range for " + std::string(dtype)))
        << dtype << " " << data;
  }
  EXPECT_EQ(ParseError(OneInput("UINT8", "[3]", "[1,2,300]")),
            "input 'x': element 2 (300) is out of range for UINT8 [0, 255]");
}

TEST(ParseV2Request, IntegralFloatsAreIntegersFractionsAreNot) {
  Tensor t = MustParse(OneInput("INT64", "[2]", "[2.0,-3.0]")).inputs[0];
  EXPECT_EQ(Values(t), (std::vector<double>{2, -3}));
  EXPECT_THAT(ParseError(OneInput("INT64", "[1]", "[1.5]")), HasSubstr("not a whole number"));
}

TEST(ParseV2Request, BoolAndTypeMismatches) {
  Tensor b = MustParse(OneInput("BOOL", "[3]", "[true,false,true]")).inputs[0];
  EXPECT_EQ(b.raw, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_THAT(ParseError(OneInput("BOOL", "[1]", "[1]")),
              HasSubstr("is a number but datatype BOOL needs true/false"));
  EXPECT_THAT(ParseError(OneInput("INT32", "[1]", "[true]")),
              HasSubstr("is a boolean but datatype INT32 needs integers"));
  EXPECT_THAT(ParseError(OneInput("FP32", "[1]", R"(["1.5"])")),
              HasSubstr("is a string but datatype FP32 needs numbers"));
  EXPECT_THAT(ParseError(OneInput("BYTES", "[1]", "[1]")),
              HasSubstr("is a number but datatype BYTES needs strings"));
  EXPECT_THAT(ParseError(OneInput("INT64", "[1]", "[null]")), HasSubstr("is null"));
  EXPECT_THAT(ParseError(OneInput("FP64", "[1]", R"([{"a":1}])")), HasSubstr("is an object"));
}

TEST(ParseV2Request, FloatsAndNullAsNaN) {
  Tensor t64 = MustParse(OneInput("FP64", "[3]", "[0.1,null,7]")).inputs[0];
  EXPECT_EQ(t64.data<double>()[0], 0.1);
  EXPECT_TRUE(std::isnan(t64.data<double>()[1]));
  EXPECT_EQ(t64.data<double>()[2], 7.0);
  Tensor t32 = MustParse(OneInput("FP32", "[2]", "[0.1,null]")).inputs[0];
  EXPECT_EQ(t32.raw.size(), 8u);
  EXPECT_EQ(t32.data<float>()[0], 0.1f);
  EXPECT_TRUE(std::isnan(t32.data<float>()[1]));
}

TEST(ParseV2Request, BytesWithNulls) {
  Tensor t = MustParse(OneInput("BYTES", "[3]", R"(["a\u00e9\"", null, ""])")).inputs[0];
  ASSERT_EQ(t.bytes.size(), 3u);
  EXPECT_EQ(t.bytes[0], "a\xc3\xa9\"");
  EXPECT_EQ(t.null_mask, (std::vector<uint8_t>{0, 1, 0}));
  Tensor plain = MustParse(OneInput("BYTES", "[1]", R"(["x"])")).inputs[0];
  EXPECT_TRUE(plain.null_mask.empty());
}

TEST(ParseV2Request, HalfPrecisionOnlyViaBinary) {
  EXPECT_THAT(ParseError(OneInput("FP16", "[1]", "[1.0]")),
              HasSubstr("FP16 data via JSON is not supported"));
  EXPECT_THAT(ParseError(OneInput("BF16", "[1]", "[1.0]")), HasSubstr("binary tensor extension"));
  const uint8_t half_one[] = {0x00, 0x3c, 0x00, 0xc0};  // 1.0, -2.0
  std::string tail(reinterpret_cast<const char*>(half_one), 4);
  InferRequest req = MustParse(
      R"({"inputs":[{"name":"h","datatype":"FP16","shape":[2],"parameters":{"binary_data_size":4}}]})",
      tail);
  EXPECT_EQ(Values(req.inputs[0]), (std::vector<double>{1.0, -2.0}));
}

TEST(ParseV2Request, DatatypeNamesAreExact) {
  EXPECT_THAT(ParseError(OneInput("FLOAT64", "[1]", "[1]")),
              HasSubstr("unknown datatype \"FLOAT64\""));
  EXPECT_THAT(ParseError(OneInput("fp64", "[1]", "[1]")), HasSubstr("upper case"));
}

TEST(ParseV2Request, MissingAndMalformedFields) {
  EXPECT_THAT(ParseError("{\"inputs\": [1,2"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseError("[1,2]"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(ParseError("{}"), HasSubstr("no \"inputs\" list"));
  EXPECT_THAT(ParseError(R"({"inputs": {"name": "x"}})"), HasSubstr("V1"));
  EXPECT_THAT(ParseError(R"({"inputs": "x"})"), HasSubstr("\"inputs\" must be a list"));
  EXPECT_THAT(ParseError(R"({"inputs": [{"shape":[1],"datatype":"FP64","data":[1]}]})"),
              HasSubstr("inputs[0] has no \"name\""));
  EXPECT_THAT(ParseError(R"({"inputs": [{"name":"x","datatype":"FP64","data":[1]}]})"),
              HasSubstr("input 'x': missing \"shape\""));
  EXPECT_THAT(ParseError(R"({"inputs": [{"name":"x","shape":[1],"data":[1]}]})"),
              HasSubstr("input 'x': missing \"datatype\""));
  EXPECT_THAT(ParseError(R"({"inputs": [{"name":"x","shape":[1],"datatype":"FP64"}]})"),
              HasSubstr("input 'x': missing \"data\""));
  EXPECT_THAT(ParseError(OneInput("FP64", "[-1, 4]", "[1]")), HasSubstr("non-negative integers"));
  EXPECT_THAT(ParseError(OneInput("FP64", "[1.5]", "[1]")), HasSubstr("non-negative integers"));
  EXPECT_THAT(ParseError(OneInput("FP64", "4", "[1]")), HasSubstr("\"shape\" must be a list"));
  EXPECT_THAT(ParseError(R"({"id": 42, "inputs": [])"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseError(R"({"id": 42, "inputs": []})"), HasSubstr("\"id\" must be a string"));
}

TEST(ParseV2Request, IdParametersAndOutputs) {
  InferRequest req =
      MustParse(R"({"id":"42","parameters":{"content_type":"pd","n":3,"f":0.5,)"
                R"("b":true,"skip":null},"inputs":[{"name":"a","shape":[1],)"
                R"("datatype":"FP32","parameters":{"content_type":"np"},"data":[1]}],)"
                R"("outputs":[{"name":"out","parameters":{"binary_data":true}}]})");
  EXPECT_EQ(req.id, "42");
  EXPECT_EQ(req.parameters.GetString("content_type"), "pd");
  EXPECT_EQ(req.parameters.GetInt("n"), 3);
  EXPECT_EQ(std::get<double>(*req.parameters.Find("f")), 0.5);
  EXPECT_EQ(req.parameters.GetBool("b"), true);
  EXPECT_EQ(req.parameters.Find("skip"), nullptr);
  EXPECT_EQ(req.inputs[0].parameters.GetString("content_type"), "np");
  ASSERT_EQ(req.outputs.size(), 1u);
  EXPECT_EQ(req.outputs[0].name, "out");
  EXPECT_EQ(req.outputs[0].parameters.GetBool("binary_data"), true);
  EXPECT_THAT(ParseError(R"({"parameters":{"x":[1]},"inputs":[]})"),
              HasSubstr("request: parameter 'x' is a list"));
  EXPECT_THAT(ParseError(R"({"outputs":[{"x":1}],"inputs":[]})"), HasSubstr("\"outputs\""));
}

TEST(ParseV2Request, V1BodyIsRecognised) {
  std::string v1 = R"({"instances": [[6.8, 2.8, 4.8, 1.4]]})";
  std::string msg = ParseError(v1);
  EXPECT_THAT(msg, StartsWith(kV1BodyOnV2Message));
  EXPECT_THAT(msg, HasSubstr("/v1/models/<name>:predict"));
  EXPECT_TRUE(LooksLikeV1Body(v1));
  EXPECT_TRUE(LooksLikeV1Body(R"({"inputs": [[1, 2]]})"));
  EXPECT_THAT(ParseError(R"({"inputs": [[1, 2]]})"), StartsWith(kV1BodyOnV2Message));
  EXPECT_FALSE(LooksLikeV1Body(kSeedRequest));
  EXPECT_FALSE(LooksLikeV1Body("not json"));
  EXPECT_EQ(V1BodyOnV2Message("iris"),
            "this is a KServe V1 request body; the V2 endpoint expects {\"inputs\": [...]}; "
            "send it to /v1/models/iris:predict or convert it");
  EXPECT_THAT(ParseError(R"({"dataframe_split": {"columns": ["a"], "data": [[1]]}})"),
              HasSubstr("/invocations"));
}

// --- binary tensor extension ---------------------------------------------

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) {
    s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  return s;
}

TEST(ParseV2Request, BinaryInputsFromTheSpecExample) {
  std::string tail;
  for (uint32_t v : {1u, 2u, 3u, 4u}) {
    tail += Le32(v);
  }
  tail += std::string("\x01\x00\x01", 3);
  std::string json =
      R"({"inputs":[{"name":"input0","shape":[2,2],"datatype":"UINT32",)"
      R"("parameters":{"binary_data_size":16}},{"name":"input1","shape":[3],"datatype":"BOOL",)"
      R"("parameters":{"binary_data_size":3}}]})";
  InferRequest req = MustParse(json, tail);
  EXPECT_EQ(Values(req.inputs[0]), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(Values(req.inputs[1]), (std::vector<double>{1, 0, 1}));
  EXPECT_THAT(ParseError(json, tail + "x"), HasSubstr("add up to 19 bytes but the body has 20"));
  EXPECT_THAT(ParseError(json, tail.substr(0, 18)), HasSubstr("runs past the end"));
  EXPECT_THAT(ParseError(kSeedRequest, "junk"), HasSubstr("add up to 0 bytes"));
}

TEST(ParseV2Request, BinarySizeMustMatchShape) {
  std::string json =
      R"({"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":4}}]})";
  EXPECT_THAT(ParseError(json, "abcd"),
              HasSubstr("binary_data_size is 4 but shape [2] of FP32 needs 8 bytes"));
  std::string both =
      R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"parameters":{"binary_data_size":4}}]})";
  EXPECT_THAT(ParseError(both, "abcd"), HasSubstr("both \"data\" and"));
}

TEST(ParseV2Request, BinaryBytesUseLengthPrefixes) {
  std::string tail = Le32(2) + "ab" + Le32(0) + Le32(3) + std::string("x\0y", 3);
  std::string json = R"({"inputs":[{"name":"s","shape":[3],"datatype":"BYTES",)"
                     R"("parameters":{"binary_data_size":)" +
                     std::to_string(tail.size()) + "}}]}";
  Tensor t = MustParse(json, tail).inputs[0];
  ASSERT_EQ(t.bytes.size(), 3u);
  EXPECT_EQ(t.bytes[0], "ab");
  EXPECT_EQ(t.bytes[1], "");
  EXPECT_EQ(t.bytes[2], std::string("x\0y", 3));

  std::string truncated = Le32(5) + "ab";
  std::string json2 = R"({"inputs":[{"name":"s","shape":[1],"datatype":"BYTES",)"
                      R"("parameters":{"binary_data_size":6}}]})";
  EXPECT_THAT(ParseError(json2, truncated), HasSubstr("declares 5 bytes but only 2 remain"));
  std::string json3 = R"({"inputs":[{"name":"s","shape":[2],"datatype":"BYTES",)"
                      R"("parameters":{"binary_data_size":6}}]})";
  EXPECT_THAT(ParseError(json3, Le32(2) + "ab"), HasSubstr("needs 2 elements but the binary"));
  std::string json4 = R"({"inputs":[{"name":"s","shape":[1],"datatype":"BYTES",)"
                      R"("parameters":{"binary_data_size":2}}]})";
  EXPECT_THAT(ParseError(json4, "ab"), HasSubstr("inside a 4-byte length prefix"));
}

// --- responses -------------------------------------------------------------

InferResponse IrisResponse() {
  InferResponse resp;
  resp.model_name = "iris";
  resp.id = "abc";
  Tensor out = Tensor::FromInt64s({1, 1}, {2});
  out.name = "output-0";
  resp.outputs.push_back(std::move(out));
  return resp;
}

TEST(WriteV2Response, PlainJson) {
  V2Encoded enc = WriteV2Response(IrisResponse(), InferRequest{});
  EXPECT_EQ(enc.body,
            R"({"model_name":"iris","id":"abc","outputs":[{"name":"output-0","datatype":"INT64",)"
            R"("shape":[2],"data":[1,1]}]})");
  EXPECT_EQ(enc.json_size, enc.body.size());
}

TEST(WriteV2Response, VersionIdAndParameters) {
  InferResponse resp = IrisResponse();
  resp.id.clear();
  resp.model_version = "3";
  resp.parameters.Set("content_type", std::string("np"));
  resp.outputs[0].parameters.Set("content_type", std::string("np"));
  InferRequest req;
  req.id = "from-request";
  nlohmann::json j = nlohmann::json::parse(WriteV2Response(resp, req).body);
  EXPECT_EQ(j["model_version"], "3");
  EXPECT_EQ(j["id"], "from-request");
  EXPECT_EQ(j["parameters"]["content_type"], "np");
  EXPECT_EQ(j["outputs"][0]["parameters"]["content_type"], "np");
  InferResponse no_id = IrisResponse();
  no_id.id.clear();
  EXPECT_FALSE(nlohmann::json::parse(WriteV2Response(no_id, {}).body).contains("id"));
}

TEST(WriteV2Response, NumbersRoundTripAndNaNIsNull) {
  const std::vector<double> values = {
      0.1,   1.0 / 3.0, 5.0,          -0.0,
      1e300, 5e-324,    std::nan(""), std::numeric_limits<double>::infinity()};
  InferResponse resp;
  resp.model_name = "m";
  resp.outputs.push_back(Tensor::FromDoubles(values, {8}));
  resp.outputs[0].name = "o";
  std::string body = WriteV2Response(resp, {}).body;
  EXPECT_THAT(body, HasSubstr("[0.1,0.3333333333333333,5.0,-0.0,1e+300,5e-324,null,null]"));
  nlohmann::json j = nlohmann::json::parse(body);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(j["outputs"][0]["data"][i].get<double>(), values[i]) << i;
  }
  Tensor f32;
  f32.name = "f";
  f32.datatype = DataType::kFp32;
  f32.shape = {1};
  float tenth = 0.1f;
  f32.raw.resize(4);
  std::memcpy(f32.raw.data(), &tenth, 4);
  resp.outputs = {f32};
  EXPECT_THAT(WriteV2Response(resp, {}).body, HasSubstr("\"data\":[0.1]"));
}

TEST(WriteV2Response, BytesAreAlwaysValidJson) {
  InferResponse resp;
  resp.model_name = "m";
  Tensor s = Tensor::FromStrings({"caf\xc3\xa9", "q\"b\\n\n", "\xff\xfe", std::string("\x01\0", 2),
                                  "\xe2\x82", "\xed\xa0\x80"},
                                 {6});
  s.name = "s";
  s.null_mask = {0, 0, 0, 0, 0, 0};
  resp.outputs.push_back(s);
  std::string body = WriteV2Response(resp, {}).body;
  EXPECT_THAT(
      body,
      HasSubstr(
          R"(["café","q\"b\\n\n","\u00ff\u00fe","\u0001\u0000","\u00e2\u0082","\u00ed\u00a0\u0080"])"));
  nlohmann::json j = nlohmann::json::parse(body);  // throws on invalid JSON / UTF-8
  EXPECT_EQ(j["outputs"][0]["data"][0], "caf\xc3\xa9");
  resp.outputs[0].null_mask[1] = 1;
  EXPECT_THAT(WriteV2Response(resp, {}).body, HasSubstr("\"café\",null,"));
}

TEST(WriteV2Response, BinaryOutputs) {
  InferResponse resp = IrisResponse();
  Tensor s = Tensor::FromStrings({"ab", "c"}, {2});
  s.name = "labels";
  resp.outputs.push_back(s);
  InferRequest req;
  req.parameters.Set("binary_data_output", true);
  V2Encoded enc = WriteV2Response(resp, req);
  ASSERT_LT(enc.json_size, enc.body.size());
  nlohmann::json j = nlohmann::json::parse(enc.body.substr(0, enc.json_size));
  EXPECT_EQ(j["outputs"][0]["parameters"]["binary_data_size"], 16);
  EXPECT_FALSE(j["outputs"][0].contains("data"));
  EXPECT_EQ(j["outputs"][1]["parameters"]["binary_data_size"], 11);
  std::string tail = enc.body.substr(enc.json_size);
  ASSERT_EQ(tail.size(), 27u);
  int64_t first;
  std::memcpy(&first, tail.data(), 8);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(tail.substr(16), Le32(2) + "ab" + Le32(1) + "c");

  // A per-output binary_data overrides the request-level default.
  req.outputs.push_back({"labels", {}});
  req.outputs[0].parameters.Set("binary_data", false);
  enc = WriteV2Response(resp, req);
  j = nlohmann::json::parse(enc.body.substr(0, enc.json_size));
  EXPECT_EQ(j["outputs"][1]["data"], nlohmann::json({"ab", "c"}));
  EXPECT_EQ(enc.body.size() - enc.json_size, 16u);

  InferRequest only_one;
  only_one.outputs.push_back({"labels", {}});
  only_one.outputs[0].parameters.Set("binary_data", true);
  enc = WriteV2Response(resp, only_one);
  EXPECT_EQ(enc.body.size() - enc.json_size, 11u);
}

// Binary response bytes fed back as a binary request give the same tensors.
TEST(WriteV2Response, BinaryRoundTrip) {
  InferResponse resp;
  resp.model_name = "m";
  resp.outputs.push_back(Tensor::FromDoubles({1.5, std::nan(""), -2}, {3, 1}));
  resp.outputs[0].name = "a";
  resp.outputs.push_back(Tensor::FromStrings({"x", "", std::string("\0\xff", 2)}, {3}));
  resp.outputs[1].name = "b";
  InferRequest binary;
  binary.parameters.Set("binary_data_output", true);
  V2Encoded enc = WriteV2Response(resp, binary);
  nlohmann::json j = nlohmann::json::parse(enc.body.substr(0, enc.json_size));
  j["inputs"] = j["outputs"];
  j.erase("outputs");
  InferRequest back = MustParse(j.dump(), std::string_view(enc.body).substr(enc.json_size));
  ASSERT_EQ(back.inputs.size(), 2u);
  EXPECT_EQ(back.inputs[0].raw, resp.outputs[0].raw);
  EXPECT_EQ(back.inputs[0].shape, (Shape{3, 1}));
  EXPECT_EQ(back.inputs[1].bytes, resp.outputs[1].bytes);
}

TEST(WriteV2Metadata, MatchesMlserverIrisExampleA) {
  ModelMetadata md;
  md.name = "iris";
  md.content_type = "pd";
  for (const char* col :
       {"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"}) {
    md.inputs.push_back({col, DataType::kFp64, {-1, 1}, "np"});
  }
  md.outputs.push_back({"output-0", DataType::kInt64, {-1}, "np"});
  auto want = nlohmann::json::parse(R"json({"name":"iris","platform":"","versions":[],
 "inputs":[{"name":"sepal length (cm)","datatype":"FP64","shape":[-1,1],"parameters":{"content_type":"np"}},
           {"name":"sepal width (cm)","datatype":"FP64","shape":[-1,1],"parameters":{"content_type":"np"}},
           {"name":"petal length (cm)","datatype":"FP64","shape":[-1,1],"parameters":{"content_type":"np"}},
           {"name":"petal width (cm)","datatype":"FP64","shape":[-1,1],"parameters":{"content_type":"np"}}],
 "outputs":[{"name":"output-0","datatype":"INT64","shape":[-1],"parameters":{"content_type":"np"}}],
 "parameters":{"content_type":"pd"}})json");
  EXPECT_EQ(nlohmann::json::parse(WriteV2Metadata(md)), want);
}

TEST(WriteV2Metadata, NoSignatureNoParameters) {
  ModelMetadata md;
  md.name = "iris";
  md.versions = {"1"};
  EXPECT_EQ(WriteV2Metadata(md),
            R"({"name":"iris","versions":["1"],"platform":"","inputs":[],"outputs":[]})");
}

TEST(WriteJsonError, Escapes) {
  EXPECT_EQ(WriteJsonError("bad \"x\"\n"), R"({"error":"bad \"x\"\n"})");
  EXPECT_EQ(JsonEscape("a\tb"), R"("a\tb")");
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kTimingMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kTimingMeaningful = false;
#else
constexpr bool kTimingMeaningful = true;
#endif
#else
constexpr bool kTimingMeaningful = true;
#endif

TEST(ParseV2Request, OneRowIrisIsCheap) {
#ifndef NDEBUG
  GTEST_SKIP() << "timing is only meaningful in optimised builds";
#endif
  if (!kTimingMeaningful) {
    GTEST_SKIP() << "timing is not meaningful under AddressSanitizer";
  }
  const std::string body =
      R"({"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[[5.1,3.5,1.4,0.2]]}]})";
  constexpr int kIters = 20000;
  MustParse(body);  // warm the thread-local parser
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kIters; ++i) {
    auto r = ParseV2Request(body, {});
    ASSERT_TRUE(r.ok());
  }
  double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kIters;
  RecordProperty("parse_us", std::to_string(us));
  std::printf("ParseV2Request one-row iris: %.3f us\n", us);
}

}  // namespace
}  // namespace ferry::protocol
