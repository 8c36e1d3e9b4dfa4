// base64, constant-time compare and the ASCII string helpers.
#include "common/strings.h"

#include <gtest/gtest.h>

#include <string>

#include "common/base64.h"
#include "common/constant_time.h"

namespace ferry {
namespace {

TEST(Base64, StandardAlphabetWithPadding) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("m"), "bQ==");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64Encode("minio"), "bWluaW8=");
  EXPECT_EQ(Base64Encode("\xfb\xff\xfe"), "+//+");
  std::string out;
  ASSERT_TRUE(Base64Decode("bWluaW8=", &out));
  EXPECT_EQ(out, "minio");
  ASSERT_TRUE(Base64Decode("bWluaW8", &out));  // padding is optional
  EXPECT_EQ(out, "minio");
  ASSERT_TRUE(Base64Decode("+//+", &out));
  EXPECT_EQ(out, "\xfb\xff\xfe");
}

TEST(Base64, UrlAlphabetWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlEncode("ab"), "YWI");
  std::string out;
  ASSERT_TRUE(Base64UrlDecode("-_8", &out));
  EXPECT_EQ(out, "\xfb\xff");
  ASSERT_TRUE(Base64UrlDecode("YWI=", &out));
  EXPECT_EQ(out, "ab");
}

TEST(Base64, RefusesWhatIsNotItsAlphabet) {
  std::string out;
  EXPECT_FALSE(Base64Decode("-_8", &out));     // URL-safe letters in standard text
  EXPECT_FALSE(Base64UrlDecode("+/8", &out));  // and the other way round
  EXPECT_FALSE(Base64Decode("bW lu", &out));   // whitespace
  EXPECT_FALSE(Base64Decode("bWlua", &out));   // 5 symbols cannot end a quantum
  EXPECT_FALSE(Base64Decode("bW=luaW8", &out));
  EXPECT_FALSE(Base64Decode("a", &out));
  EXPECT_FALSE(Base64Decode("ab$d", &out));
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string part = all.substr(0, n), out;
    ASSERT_TRUE(Base64Decode(Base64Encode(part), &out));
    EXPECT_EQ(out, part);
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(part), &out));
    EXPECT_EQ(out, part);
  }
}

TEST(ConstantTimeEquals, ComparesWholeValues) {
  EXPECT_TRUE(ConstantTimeEquals("token", "token"));
  EXPECT_FALSE(ConstantTimeEquals("token", "tokeN"));
  EXPECT_FALSE(ConstantTimeEquals("token", "token2"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(Strings, AsciiCaseAndWhitespace) {
  EXPECT_EQ(AsciiLower("Content-Type: ÄB"), "content-type: Äb");
  EXPECT_TRUE(EqualsIgnoreCase("Transfer-Encoding", "transfer-encoding"));
  EXPECT_FALSE(EqualsIgnoreCase("gzip", "gzip "));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));  // '[' + 32 is '{': only letters fold
  // Eight bytes at a time, then the tail: the same answers as byte by byte.
  EXPECT_TRUE(EqualsIgnoreCase("CONTENT-LENGTH", "content-length"));
  EXPECT_TRUE(EqualsIgnoreCase("Content-LengtH", "cONTENT-lENGTh"));
  EXPECT_FALSE(EqualsIgnoreCase("content-length", "content-lengti"));
  EXPECT_FALSE(EqualsIgnoreCase("xontent-length", "content-length"));
  EXPECT_FALSE(EqualsIgnoreCase("@@@@@@@@[[[[", "````````{{{{"));  // the bytes around A-Z
  EXPECT_TRUE(EqualsIgnoreCase("AZAZAZAZaz", "azazazazAZ"));
  // Non-ASCII bytes never fold, even those whose low seven bits are a letter.
  EXPECT_FALSE(EqualsIgnoreCase("\xc1\xc1\xc1\xc1\xc1\xc1\xc1\xc1", "\xe1\xe1\xe1\xe1\xe1\xe1\xe1\xe1"));
  EXPECT_FALSE(EqualsIgnoreCase("abcdefg\xc1", "abcdefg\xe1"));
  EXPECT_TRUE(EqualsIgnoreCase("ABCDEFG\xc1", "abcdefg\xc1"));
  for (int c = 0; c < 256; ++c) {  // every byte in a word against its byte-wise fold
    for (int d = 0; d < 256; ++d) {
      const std::string x(8, static_cast<char>(c)), y(8, static_cast<char>(d));
      const bool same = c == d || (c >= 'A' && c <= 'Z' && d == c + 32) ||
                        (d >= 'A' && d <= 'Z' && c == d + 32);
      ASSERT_EQ(EqualsIgnoreCase(x, y), same) << c << " " << d;
    }
  }
  EXPECT_EQ(TrimWhitespace(" \t gzip;q=1 \r\n"), "gzip;q=1");
  EXPECT_EQ(TrimWhitespace("   "), "");
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(LowerHex(bytes, sizeof(bytes)), "000fa5ff");
}

}  // namespace
}  // namespace ferry
