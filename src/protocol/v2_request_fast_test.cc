// The one-pass V2 decoder against the simdjson path: what it takes it reads identically, and
// every body it declines still gets the full path's answer from ParseV2Request.
#include "protocol/v2_request_fast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "protocol/v2_json.h"

namespace ferry::protocol {
namespace {

using internal::ParseV2RequestFast;
using internal::ParseV2RequestFull;
using internal::SameInferRequest;

std::string OneInput(std::string_view dtype, std::string_view shape, std::string_view data,
                     std::string_view extra = "") {
  return R"({"inputs":[{"name":"x","datatype":")" + std::string(dtype) + R"(","shape":)" +
         std::string(shape) + R"(,"data":)" + std::string(data) + std::string(extra) + "}]}";
}

// Taken by the fast path, with the full path's result.
void ExpectFast(const std::string& json) {
  InferRequest fast;
  ASSERT_TRUE(ParseV2RequestFast(json, &fast)) << json;
  StatusOr<InferRequest> full = ParseV2RequestFull(json, {});
  ASSERT_TRUE(full.ok()) << full.status().ToString() << "\n" << json;
  EXPECT_TRUE(SameInferRequest(fast, *full)) << json;
}

// Declined by the fast path; ParseV2Request answers as the full path does.
void ExpectDeclined(const std::string& json) {
  InferRequest fast;
  EXPECT_FALSE(ParseV2RequestFast(json, &fast)) << json;
  StatusOr<InferRequest> full = ParseV2RequestFull(json, {});
  StatusOr<InferRequest> got = ParseV2Request(json, {});
  ASSERT_EQ(full.ok(), got.ok()) << json;
  if (full.ok()) {
    EXPECT_TRUE(SameInferRequest(*got, *full)) << json;
  } else {
    EXPECT_EQ(got.status().message(), full.status().message()) << json;
  }
}

TEST(ParseV2RequestFast, SeedRequestAsPythonSendsIt) {
  ExpectFast(
      R"({"parameters": {"content_type": "np"}, "inputs": [{"name": "features", "shape": [1, 4],)"
      R"( "datatype": "FP64", "data": [[6.8, 2.8, 4.8, 1.4]]}]})");
}

TEST(ParseV2RequestFast, NumbersNullsAndNesting) {
  ExpectFast(OneInput("FP64", "[4]", "[1, -2, 0, 3.5]"));
  ExpectFast(OneInput("FP64", "[2,2]", "[[1e3, -2.5E-2], [0.1, 123456789012345678]]"));
  ExpectFast(OneInput("FP64", "[2,1,2]", "[[[1,2]],[[3,4]]]"));
  ExpectFast(OneInput("FP64", "[1,2]", "[[null, 4.9e-324]]"));
  ExpectFast(OneInput("FP64", "[3]", "[0.1000000000000000055511151231257827, 1.7976931348623157e308, "
                                     "-0.0]"));
  ExpectFast(OneInput("FP32", "[3]", "[3.4028235e38, 1e-45, null]"));
  ExpectFast(OneInput("FP32", "[2]", "[0.1, 16777217]"));
  ExpectFast(OneInput("FP64", "[]", "[7]"));
}

TEST(ParseV2RequestFast, KeysInAnyOrderIdParametersAndWhitespace) {
  ExpectFast(" \r\n\t{ \"id\" : \"abc-1\" , \"inputs\" : [ { \"data\" : [ 1 , 2 ] , "
             "\"shape\" : [ 2 ] , \"parameters\" : { \"content_type\" : \"np\" } , "
             "\"datatype\" : \"FP32\" , \"name\" : \"a\" } , {\"name\":\"b\",\"shape\":[1],"
             "\"datatype\":\"FP64\",\"data\":[3]} ] , \"parameters\" : { \"s\" : \"x\", "
             "\"t\" : true, \"f\" : false, \"n\" : null, \"i\" : -12, \"d\" : 2.5e1 } } \n");
  ExpectFast(R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1],)"
             R"("parameters":{}}],"parameters":{}})");
}

TEST(ParseV2RequestFast, DeclinesWhatItDoesNotReadLikeSimdjson) {
  // Escapes, non-ASCII and control bytes in strings.
  ExpectDeclined(R"({"id":"a\"b","inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]})");
  ExpectDeclined("{\"id\":\"caf\xc3\xa9\",\"inputs\":[{\"name\":\"x\",\"shape\":[1],"
                 "\"datatype\":\"FP64\",\"data\":[1]}]}");
  ExpectDeclined("{\"id\":\"a\tb\",\"inputs\":[{\"name\":\"x\",\"shape\":[1],"
                 "\"datatype\":\"FP64\",\"data\":[1]}]}");
  // Numbers: -0 (a double in simdjson), 19-digit integers, out of range, not JSON.
  ExpectDeclined(OneInput("FP64", "[1]", "[-0]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[1234567890123456789]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[1e400]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[01]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[1.]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[.5]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[+1]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[1e]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[true]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[\"1\"]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[nul]"));
  // Other datatypes, shapes and data layouts.
  ExpectDeclined(OneInput("INT64", "[1]", "[1]"));
  ExpectDeclined(OneInput("FP16", "[1]", "[1]"));
  ExpectDeclined(OneInput("fp64", "[1]", "[1]"));
  ExpectDeclined(OneInput("FP64", "[-1]", "[1]"));
  ExpectDeclined(OneInput("FP64", "[1.0]", "[1]"));
  ExpectDeclined(OneInput("FP64", "[0]", "[]"));
  ExpectDeclined(OneInput("FP64", "[1]", "1"));
  ExpectDeclined(OneInput("FP64", "[2,2]", "[[1,2],[3]]"));
  ExpectDeclined(OneInput("FP64", "[3]", "[[1,2],3]"));
  ExpectDeclined(OneInput("FP64", "[3]", "[1,[2],3]"));
  ExpectDeclined(OneInput("FP64", "[2]", "[1,2,3]"));
  ExpectDeclined(OneInput("FP64", "[1099511627776,2]", "[1]"));
  ExpectDeclined(OneInput("FP64", "[1]", "[[[[[[[[[1]]]]]]]]]"));
  // Keys: repeated, unknown, missing; the binary extension.
  ExpectDeclined(OneInput("FP64", "[1]", "[1]", R"(,"name":"y")"));
  ExpectDeclined(OneInput("FP64", "[1]", "[1]", R"(,"extra":1)"));
  ExpectDeclined(R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP64"}]})");
  ExpectDeclined(R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}],)"
                 R"("outputs":[{"name":"predict_proba"}]})");
  ExpectDeclined(R"({"inputs":[],"id":"x"})");
  ExpectDeclined(R"({"instances":[[1,2]]})");
  ExpectDeclined(R"({"inputs":[[1,2]]})");
  ExpectDeclined(R"({"id":"a","id":"b","inputs":[{"name":"x","shape":[1],"datatype":"FP64",)"
                 R"("data":[1]}]})");
  ExpectDeclined(R"({"parameters":{"a":1,"a":2},"inputs":[{"name":"x","shape":[1],)"
                 R"("datatype":"FP64","data":[1]}]})");
  ExpectDeclined(R"({"parameters":{"a":[1]},"inputs":[{"name":"x","shape":[1],)"
                 R"("datatype":"FP64","data":[1]}]})");
  ExpectDeclined(OneInput("FP64", "[1]", "[1]", R"(,"parameters":{"binary_data_size":8})"));
  // Not one JSON value.
  ExpectDeclined(OneInput("FP64", "[1]", "[1]") + " x");
  ExpectDeclined(OneInput("FP64", "[1]", "[1]").substr(1));
  ExpectDeclined("");
  ExpectDeclined("[]");
}

TEST(ParseV2RequestFast, KeysAsWrittenAndTheBodysLastBrace) {
  // A key spelled with an escape is the same key to simdjson: declined, not misread.
  ExpectDeclined(R"({"inputs":[{"n\u0061me":"x","shape":[1],"datatype":"FP64","data":[1]}]})");
  ExpectDeclined(R"({"\u0069nputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]})");
  ExpectDeclined(OneInput(R"(FP\u0036\u0034)", "[1]", "[1]"));
  ExpectDeclined(OneInput("FP64 ", "[1]", "[1]"));
  ExpectDeclined(R"({"inputs":[{"names":"x","shape":[1],"datatype":"FP64","data":[1]}]})");
  ExpectDeclined(R"({"inputs":[{"nam":"x","shape":[1],"datatype":"FP64","data":[1]}]})");
  // The last '}' closes the root, never an inner object; truncations at every byte.
  const std::string body = OneInput("FP64", "[2]", "[1.5, 2]", R"(,"parameters":{"k":"v"})");
  ExpectFast(body);
  ExpectFast(body + " \n\t\r ");
  for (size_t n = 0; n < body.size(); ++n) {
    ExpectDeclined(body.substr(0, n));
    if (n + 1 < body.size()) ExpectDeclined(body.substr(0, n) + "}");
  }
  ExpectDeclined(body + "}");
  ExpectDeclined(R"({"parameters":{}})");
  ExpectDeclined("}");
  ExpectDeclined("{}");
}

TEST(ParseV2RequestFast, StringsOfEveryLengthAndSpecialBytesAtEveryOffset) {
  // Space, '!', '#', '[', ']', '~' and JSON punctuation are plain, '}' at the end included.
  ExpectFast(R"({"inputs":[{"shape":[1],"datatype":"FP64","data":[1],"name":" !#[]~{}:,"}],)"
             R"("id":"}}}}}}}}}}"})");
  // Up to 40: two 16-byte steps, then the 8-byte and byte-at-a-time tails.
  for (size_t len = 0; len <= 40; ++len) {
    std::string name(len, 'n');
    ExpectFast(R"({"inputs":[{"shape":[1],"datatype":"FP64","data":[1],"name":")" + name +
               R"("}],"id":")" + name + R"("})");
    for (size_t pos = 0; pos < len; ++pos) {
      for (const char* special : {"\\\"", "\\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xff"}) {
        std::string odd = name;
        odd.replace(pos, 1, special);
        const std::string json = R"({"inputs":[{"shape":[1],"datatype":"FP64","data":[1],)"
                                 R"("name":")" + odd + R"("}],"id":")" + odd + R"("})";
        ExpectDeclined(json);  // DEL too: the reader takes printable ASCII only
        // Only the id, the body's last string: its bytes run up to the closing '}'.
        ExpectDeclined(R"({"inputs":[{"shape":[1],"datatype":"FP64","data":[1],"name":"x"}],)"
                       R"("id":")" + odd + R"("})");
      }
    }
  }
}

TEST(ParseV2RequestFast, ManyValuesAndNumbersNearTheExactLimits) {
  std::string data = "[";
  for (int i = 0; i < 100; ++i) data += (i ? "," : "") + std::to_string(i) + ".25";
  ExpectFast(OneInput("FP64", "[100]", data + "]"));
  ExpectFast(OneInput("FP64", "[25,4]", data + "]"));
  // 15 and 16 significant digits, powers of ten to 22 and past it, exponents both ways.
  ExpectFast(OneInput("FP64", "[6]",
                      "[123456789012345, 1234567890123456, 0.123456789012345, 9007199254740993,"
                      " 1.7976931348623157e308, 2.2250738585072014e-308]"));
  ExpectFast(OneInput("FP64", "[6]", "[1e22, 1e23, 1e-22, 1e-23, 123e20, 4.5e-21]"));
  ExpectFast(OneInput("FP64", "[4]", "[0.3, 2.675, 8.2, 999999999999999.9]"));
  ExpectFast(OneInput("FP64", "[3]", "[1E5, 1e+5, -7e-0]"));
}

// Short decimals of every digit count around the 15-digit exact limit, both signs, with and
// without a fraction or exponent: each decoded as simdjson does (ExpectFast compares bytes).
TEST(ParseV2RequestFast, GeneratedDecimalsMatchTheFullPath) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int batch = 0; batch < 200; ++batch) {
    std::string data = "[";
    for (int i = 0; i < 16; ++i) {
      const int int_digits = 1 + static_cast<int>(next() % 10);
      const int frac_digits = static_cast<int>(next() % 10);
      std::string num = next() % 2 ? "-" : "";
      num += std::to_string(1 + next() % 9);
      for (int d = 1; d < int_digits; ++d) num += std::to_string(next() % 10);
      if (next() % 5 == 0) num = num.substr(0, num[0] == '-' ? 1 : 0) + "0";
      if (frac_digits > 0) {
        num += ".";
        for (int d = 0; d < frac_digits; ++d) num += std::to_string(next() % 10);
      }
      if (next() % 7 == 0) num += "e" + std::to_string(static_cast<int>(next() % 40) - 20);
      if (num == "-0") num = "-0.0";
      data += (i ? "," : "") + num;
    }
    ExpectFast(OneInput("FP64", "[16]", data + "]"));
    ExpectFast(OneInput("FP32", "[4,4]", data + "]"));
  }
}

TEST(ParseV2RequestFast, Fp32NullIsNaNAndNegativeZeroStaysNegative) {
  InferRequest r;
  ASSERT_TRUE(ParseV2RequestFast(OneInput("FP32", "[2]", "[null, -0.0]"), &r));
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_TRUE(std::isnan(r.inputs[0].data<float>()[0]));
  EXPECT_TRUE(std::signbit(r.inputs[0].data<float>()[1]));
}

// Decoding into a request that holds an earlier one (the router's per-thread scratch): the
// result is the fresh decode's, field for field, whichever path (fast or full) decodes either.
TEST(ParseV2Request, ReusedRequestKeepsNothingOfTheEarlierOne) {
  const std::string rich =
      R"({"id":"first","parameters":{"content_type":"pd","flag":true},"inputs":[)"
      R"({"name":"a","shape":[2],"datatype":"FP64","parameters":{"content_type":"np"},)"
      R"("data":[1.5,2]},{"name":"b","shape":[2,1],"datatype":"FP32","data":[[3],[4]]},)"
      R"({"name":"c","shape":[1],"datatype":"FP64","data":[null]}]})";
  const std::string plain = OneInput("FP64", "[1,4]", "[[6.8,2.8,4.8,1.4]]");
  const std::string bytes =  // the full path: BYTES, outputs
      R"({"inputs":[{"name":"s","shape":[2],"datatype":"BYTES","data":["x",null]}],)"
      R"("outputs":[{"name":"o","parameters":{"binary_data":true}}]})";
  const std::string ints = OneInput("INT64", "[3]", "[1,2,3]");  // the full path
  InferRequest reused;
  for (const std::string* json : {&rich, &plain, &bytes, &plain, &rich, &ints, &rich, &plain}) {
    StatusOr<InferRequest> fresh = ParseV2Request(*json, {});
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString() << "\n" << *json;
    Status s = ParseV2Request(*json, {}, &reused);
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << *json;
    EXPECT_TRUE(SameInferRequest(reused, *fresh)) << *json;
  }
}

}  // namespace
}  // namespace ferry::protocol
