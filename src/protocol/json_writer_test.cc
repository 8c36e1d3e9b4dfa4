// AppendJsonString against a byte-at-a-time reference: the writer scans eight bytes at a time
// for characters to escape, so every such character is tried at every offset of a word, in
// strings of every length around the word size, and next to bytes >= 0x80.
#include "protocol/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace ferry::protocol {
namespace {

// JSON escaping of ASCII text as RFC 8259 requires it, one byte at a time.
std::string Reference(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string Written(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonWriterTest, EveryEscapedCharacterAtEveryOffset) {
  std::string specials = "\"\\";
  for (int c = 0; c < 0x20; ++c) specials += static_cast<char>(c);
  // Up to 70: past the 64-byte one-append path for short plain strings, too.
  for (size_t len = 1; len <= 70; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (char special : specials) {
        std::string s(len, 'a');
        s[pos] = special;
        ASSERT_EQ(Written(s), Reference(s)) << "len " << len << " pos " << pos << " char "
                                            << static_cast<int>(special);
      }
    }
  }
}

TEST(JsonWriterTest, PlainTextAndBoundaryBytesPassThrough) {
  // ' ' (0x20), '!' (one past '"'), '[' and ']' around '\\', '~' and DEL: none is escaped.
  std::string s = " !#[]~\x7f 0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGH";
  EXPECT_EQ(Written(s), "\"" + s + "\"");
  EXPECT_EQ(Written(""), "\"\"");
  EXPECT_EQ(Written("7f4f2d00-1d9e-4e2d-a172-5ac2b357f766"),
            "\"7f4f2d00-1d9e-4e2d-a172-5ac2b357f766\"");
  // Either side of the 64-byte limit of the one-append path.
  for (size_t len = 58; len <= 68; ++len) {
    std::string plain(len, 'p');
    EXPECT_EQ(Written(plain), "\"" + plain + "\"") << len;
    EXPECT_EQ(Written(plain), Reference(plain)) << len;
  }
}

TEST(JsonWriterTest, Utf8KeptAndInvalidBytesEscapedAtEveryOffset) {
  for (size_t pos = 0; pos < 17; ++pos) {
    std::string valid(17, 'x');
    valid.replace(pos, 1, "\xc3\xa9");  // é
    EXPECT_EQ(Written(valid), "\"" + valid + "\"") << pos;
    std::string invalid(17, 'x');
    invalid[pos] = static_cast<char>(0xff);
    std::string want = "\"" + invalid.substr(0, pos) + "\\u00ff" + invalid.substr(pos + 1) + "\"";
    EXPECT_EQ(Written(invalid), want) << pos;
  }
}


TEST(JsonWriterTest, ShortStringsOfEveryLengthWithUtf8AndInvalidBytes) {
  // 1..16 bytes take the two-overlapping-loads path: every length, a byte >= 0x80 anywhere.
  for (size_t len = 1; len <= 18; ++len) {
    for (size_t pos = 0; pos + 1 < len; ++pos) {
      std::string valid(len, 'y');
      valid.replace(pos, 2, "\xc3\xa9");
      EXPECT_EQ(Written(valid), "\"" + valid + "\"") << len << " " << pos;
    }
    for (size_t pos = 0; pos < len; ++pos) {
      std::string invalid(len, 'y');
      invalid[pos] = static_cast<char>(0x80);
      EXPECT_EQ(Written(invalid),
                "\"" + invalid.substr(0, pos) + "\\u0080" + invalid.substr(pos + 1) + "\"")
          << len << " " << pos;
    }
  }
}

TEST(JsonWriterTest, NumbersAsPythonWritesThem) {
  auto dbl = [](double v) {
    std::string s;
    AppendDouble(&s, v);
    return s;
  };
  auto flt = [](float v) {
    std::string s;
    AppendFloat(&s, v);
    return s;
  };
  auto integer = [](int64_t v) {
    std::string s;
    AppendInt(&s, v);
    return s;
  };
  EXPECT_EQ(dbl(5.0), "5.0");
  EXPECT_EQ(dbl(-0.0), "-0.0");
  EXPECT_EQ(dbl(0.1), "0.1");
  EXPECT_EQ(dbl(1e22), "1e+22");
  EXPECT_EQ(dbl(123456789012345680000.0), "123456789012345683968.0");  // exact digits
  EXPECT_EQ(dbl(-2.2250738585072014e-308), "-2.2250738585072014e-308");
  EXPECT_EQ(dbl(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(dbl(-std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(flt(0.1f), "0.1");
  EXPECT_EQ(flt(3.0f), "3.0");
  EXPECT_EQ(integer(0), "0");
  EXPECT_EQ(integer(9), "9");
  EXPECT_EQ(integer(10), "10");
  EXPECT_EQ(integer(-1), "-1");
  EXPECT_EQ(integer(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  std::string u;
  AppendUint(&u, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(u, "18446744073709551615");
}

TEST(JsonWriterTest, PiecesAppendToWhatTheStringHolds) {
  std::string out = "prefix:";
  Parameters params;
  params.Set("a\"b", std::string("x\ny"));
  params.Set("n", int64_t{12});
  params.Set("d", 2.0);
  params.Set("t", true);
  AppendParameters(&out, params);
  AppendShape(&out, {});
  AppendShape(&out, {2, 40});
  EXPECT_EQ(out, "prefix:{\"a\\\"b\":\"x\\ny\",\"n\":12,\"d\":2.0,\"t\":true}[][2,40]");
  EXPECT_EQ(JsonEscape(""), "\"\"");
}

TEST(JsonWriterTest, DataOfEveryDatatypeFlatAndNested) {
  Tensor f64 = Tensor::FromDoubles({1.0, 0.5, std::nan(""), -3e-7}, {2, 2});
  std::string out;
  AppendFlatData(&out, f64);
  AppendNestedData(&out, f64);
  EXPECT_EQ(out, "[1.0,0.5,null,-3e-07][[1.0,0.5],[null,-3e-07]]");
  Tensor i32;
  i32.datatype = DataType::kInt32;
  i32.shape = {3};
  const int32_t v[3] = {-7, 0, 2147483647};
  i32.raw.assign(reinterpret_cast<const uint8_t*>(v), reinterpret_cast<const uint8_t*>(v + 3));
  out.clear();
  AppendFlatData(&out, i32);
  EXPECT_EQ(out, "[-7,0,2147483647]");
  Tensor s = Tensor::FromStrings({"a", "b\"", ""}, {3});
  s.null_mask = {0, 0, 1};
  out.clear();
  AppendFlatData(&out, s);
  EXPECT_EQ(out, "[\"a\",\"b\\\"\",null]");
  Tensor b;
  b.datatype = DataType::kBool;
  b.raw = {1, 0};
  out.clear();
  AppendFlatData(&out, b);
  EXPECT_EQ(out, "[true,false]");
}

TEST(JsonWriterTest, TextPastTheInternalBufferIsWhole) {
  // 300 values: the list outgrows the writer's own buffer part way through.
  std::vector<double> values;
  std::string want = "[";
  for (int i = 0; i < 300; ++i) {
    values.push_back(i * 1.25 - 7);
    if (i != 0) want += ",";
    AppendDouble(&want, values.back());
  }
  want += "]";
  std::string out = "head";
  AppendFlatData(&out, Tensor::FromDoubles(values, {300}));
  EXPECT_EQ(out, "head" + want);
}

TEST(JsonWriterTest, LongStringGrowsTheBufferOnce) {
  std::string big(100000, 'q');
  big[77777] = '\t';
  std::string out = "x";
  AppendJsonString(&out, big);
  EXPECT_EQ(out, "x" + Reference(big));
}

}  // namespace
}  // namespace ferry::protocol
