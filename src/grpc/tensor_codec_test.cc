#include "grpc/tensor_codec.h"

#include <cstring>

#include <gtest/gtest.h>

namespace ferry::grpc {
namespace {

using protocol::DataType;

inference::ModelInferRequest TypedRequest() {
  inference::ModelInferRequest req;
  req.set_model_name("m");
  req.set_id("abc");
  (*req.mutable_parameters())["content_type"].set_string_param("np");
  auto* in = req.add_inputs();
  in->set_name("x");
  in->set_datatype("FP64");
  in->add_shape(2);
  in->add_shape(2);
  for (double v : {1.0, 2.0, 3.0, 4.0}) in->mutable_contents()->add_fp64_contents(v);
  return req;
}

TEST(TensorCodec, TypedContents) {
  auto r = FromProto(TypedRequest());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "abc");
  EXPECT_EQ(r->parameters.GetString("content_type"), "np");
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(r->inputs[0].datatype, DataType::kFp64);
  EXPECT_EQ(r->inputs[0].shape, (protocol::Shape{2, 2}));
  EXPECT_EQ(r->inputs[0].data<double>()[3], 4.0);
}

TEST(TensorCodec, CountMismatchNamesTensorAndField) {
  auto req = TypedRequest();
  req.mutable_inputs(0)->mutable_contents()->add_fp64_contents(5);
  auto r = FromProto(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'x'"), std::string::npos);
  EXPECT_NE(r.status().message().find("fp64_contents"), std::string::npos);
}

TEST(TensorCodec, Int8RangeChecked) {
  inference::ModelInferRequest req;
  auto* in = req.add_inputs();
  in->set_name("b");
  in->set_datatype("INT8");
  in->add_shape(1);
  in->mutable_contents()->add_int_contents(300);
  EXPECT_FALSE(FromProto(req).ok());
  in->mutable_contents()->set_int_contents(0, -7);
  auto r = FromProto(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inputs[0].data<int8_t>()[0], -7);
}

TEST(TensorCodec, RawContents) {
  auto req = TypedRequest();
  req.mutable_inputs(0)->clear_contents();
  double vals[4] = {1, 2, 3, 4};
  req.add_raw_input_contents(std::string(reinterpret_cast<char*>(vals), sizeof(vals)));
  auto r = FromProto(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data<double>()[2], 3.0);
  req.set_raw_input_contents(0, "short");
  EXPECT_FALSE(FromProto(req).ok());
}

TEST(TensorCodec, RawWithContentsIsRejected) {
  auto req = TypedRequest();
  req.add_raw_input_contents(std::string(32, '\0'));
  auto r = FromProto(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("raw_input_contents"), std::string::npos);
}

TEST(TensorCodec, RawBytesLengthPrefixed) {
  inference::ModelInferRequest req;
  auto* in = req.add_inputs();
  in->set_name("s");
  in->set_datatype("BYTES");
  in->add_shape(2);
  std::string raw;
  for (std::string s : {"ab", "xyz"}) {
    uint32_t n = s.size();
    raw.append(reinterpret_cast<char*>(&n), 4);
    raw += s;
  }
  req.add_raw_input_contents(raw);
  auto r = FromProto(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].bytes, (std::vector<std::string>{"ab", "xyz"}));
  req.set_raw_input_contents(0, raw.substr(0, raw.size() - 1));
  EXPECT_FALSE(FromProto(req).ok());
}

TEST(TensorCodec, ResponseTypedAndRaw) {
  protocol::InferResponse resp;
  resp.model_name = "m";
  resp.id = "i";
  resp.parameters.Set("content_type", std::string("np"));
  resp.outputs.push_back(protocol::Tensor::FromInt64s({1, 2}, {2, 1}));
  resp.outputs[0].name = "output-1";
  inference::ModelInferResponse typed;
  ToProto(resp, false, &typed);
  EXPECT_EQ(typed.outputs(0).datatype(), "INT64");
  EXPECT_EQ(typed.outputs(0).contents().int64_contents_size(), 2);
  EXPECT_EQ(typed.raw_output_contents_size(), 0);
  EXPECT_EQ(typed.parameters().at("content_type").string_param(), "np");
  inference::ModelInferResponse raw;
  ToProto(resp, true, &raw);
  ASSERT_EQ(raw.raw_output_contents_size(), 1);
  int64_t second = 0;
  std::memcpy(&second, raw.raw_output_contents(0).data() + 8, 8);
  EXPECT_EQ(second, 2);
  EXPECT_EQ(raw.outputs(0).contents().int64_contents_size(), 0);
}

}  // namespace
}  // namespace ferry::grpc
