// AppendJsonString against a byte-at-a-time reference: the writer scans eight bytes at a time
// for characters to escape, so every such character is tried at every offset of a word, in
// strings of every length around the word size, and next to bytes >= 0x80.
#include "protocol/json_writer.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace ferry::protocol
