// String patterns, path templates, CIDRs and BASE path normalization.
#include <gtest/gtest.h>

#include "gateway/match.h"
#include "gateway/path.h"

namespace ferry::gateway {
namespace {

TEST(StringPattern, IstioForms) {
  EXPECT_TRUE(StringPattern::Parse("abc").Matches("abc"));
  EXPECT_FALSE(StringPattern::Parse("abc").Matches("abcd"));
  EXPECT_TRUE(StringPattern::Parse("abc*").Matches("abc"));
  EXPECT_TRUE(StringPattern::Parse("abc*").Matches("abcd"));
  EXPECT_FALSE(StringPattern::Parse("abc*").Matches("xabc"));
  EXPECT_TRUE(StringPattern::Parse("*abc").Matches("xabc"));
  EXPECT_TRUE(StringPattern::Parse("*abc").Matches("abc"));
  EXPECT_TRUE(StringPattern::Parse("*").Matches("x"));
  EXPECT_FALSE(StringPattern::Parse("*").Matches(""));
  EXPECT_TRUE(StringPattern::Parse("a*b").Matches("a*b"));  // literal in the middle
  EXPECT_FALSE(StringPattern::Parse("a*b").Matches("axb"));
  EXPECT_FALSE(StringPattern::Parse("ABC").Matches("abc"));
  EXPECT_TRUE(StringPattern::Parse("A.com", true).Matches("a.COM"));
  EXPECT_FALSE(StringPattern::Parse("a.com", true).Matches("a.com:8080"));
  EXPECT_TRUE(StringPattern::Parse("a.com:*", true).Matches("A.com:8080"));
  // "/dex/**" is not a template: one trailing '*' stripped -> prefix "/dex/*".
  EXPECT_TRUE(StringPattern::Parse("/dex/**").Matches("/dex/*x"));
  EXPECT_FALSE(StringPattern::Parse("/dex/**").Matches("/dex/auth"));
}

TEST(PathTemplate, Matching) {
  auto one = PathTemplate::Parse("/foo/{*}");
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->Matches("/foo/bar"));
  EXPECT_FALSE(one->Matches("/foo/bar/baz"));
  EXPECT_FALSE(one->Matches("/foo/"));
  auto rest = PathTemplate::Parse("/foo/{*}/bar/{**}");
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->Matches("/foo/buzz/bar/"));
  EXPECT_TRUE(rest->Matches("/foo/buzz/bar/baz"));
  EXPECT_TRUE(rest->Matches("/foo/buzz/bar/baz/qux"));
  EXPECT_FALSE(rest->Matches("/foo/buzz/bar"));
  EXPECT_FALSE(rest->Matches("/foo/a/b/bar/x"));
  auto all = PathTemplate::Parse("/{**}");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Matches("/"));
  EXPECT_TRUE(all->Matches("/a/b"));
  EXPECT_FALSE(PathTemplate::Parse("/foo/{*}.txt").ok());
  EXPECT_FALSE(PathTemplate::Parse("/foo/{**}/bar").ok());
  EXPECT_FALSE(PathTemplate::Parse("/foo/*/{*}").ok());
  EXPECT_FALSE(PathTemplate::Parse("foo/{*}").ok());
  EXPECT_TRUE(PathTemplate::IsTemplate("/a/{*}"));
  EXPECT_FALSE(PathTemplate::IsTemplate("/a/*"));
}

TEST(Cidr, V4AndV6) {
  auto c = Cidr::Parse("10.0.0.0/8");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->Contains("10.1.2.3"));
  EXPECT_FALSE(c->Contains("192.168.1.1"));
  EXPECT_FALSE(c->Contains("::1"));
  EXPECT_FALSE(c->Contains(""));
  auto single = Cidr::Parse("1.2.3.4");
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(single->Contains("1.2.3.4"));
  EXPECT_FALSE(single->Contains("1.2.3.5"));
  auto odd = Cidr::Parse("192.168.0.0/23");
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd->Contains("192.168.1.200"));
  EXPECT_FALSE(odd->Contains("192.168.2.1"));
  auto v6 = Cidr::Parse("fd00::/8");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->Contains("fd12::1"));
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(Cidr::Parse("nope").ok());
  // Found by gateway_policypath_fuzz: a long digit string overflowed int
  // while the prefix length was read (UBSan).
  auto long_prefix = Cidr::Parse("10.0.0.0/5555555555550");
  ASSERT_FALSE(long_prefix.ok());
  EXPECT_NE(long_prefix.status().message().find("prefix length above 32"), std::string::npos);
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/").ok());
  EXPECT_FALSE(Cidr::Parse("fd00::/1x9").ok());
  EXPECT_TRUE(Cidr::Parse("fd00::/128").ok());
}

TEST(Glob, Namespaces) {
  EXPECT_TRUE(GlobMatch("*/ns/foo/*", "cluster.local/ns/foo/sa/x"));
  EXPECT_FALSE(GlobMatch("*/ns/foo/*", "cluster.local/ns/foobar/sa/x"));
  EXPECT_TRUE(GlobMatch("*/ns/foo*/*", "cluster.local/ns/foobar/sa/x"));
  EXPECT_FALSE(GlobMatch("*/ns/foo/*", ""));
}

std::string Norm(std::string_view raw, bool* ok = nullptr) {
  std::string scratch;
  NormalizedPath n = NormalizePath(raw, &scratch);
  if (ok) {
    *ok = n.ok;
  }
  return std::string(n.path);
}

TEST(NormalizePath, Base) {
  EXPECT_EQ(Norm("/public/./data/abc/../xyz"), "/public/data/xyz");
  EXPECT_EQ(Norm("/public/../admin"), "/admin");
  EXPECT_EQ(Norm("/a/b/.."), "/a/");
  EXPECT_EQ(Norm("/.."), "/");
  EXPECT_EQ(Norm("/../../x"), "/x");
  EXPECT_EQ(Norm("/a//b"), "/a//b");  // no slash merging in BASE
  EXPECT_EQ(Norm("/a\\b"), "/a/b");
  EXPECT_EQ(Norm("/%61dmin"), "/admin");
  EXPECT_EQ(Norm("/%7Euser/%2e%2e/x"), "/x");
  EXPECT_EQ(Norm("/a%2fb"), "/a%2fb");  // %2f only with DECODE_AND_MERGE_SLASHES
  EXPECT_EQ(Norm("/a%255"), "/a%255");  // single decode, '%' not unreserved
  EXPECT_EQ(Norm("/info/a?x=1"), "/info/a");
  EXPECT_EQ(Norm("/.hidden/x"), "/.hidden/x");
  EXPECT_EQ(Norm("/a/.b"), "/a/.b");
  bool ok = true;
  Norm("/a%00b", &ok);
  EXPECT_FALSE(ok);
  std::string scratch;
  auto n = NormalizePath("/x/../y?q=/../", &scratch);
  EXPECT_EQ(n.path, "/y");
  EXPECT_EQ(n.query, "?q=/../");
}

std::string NormAs(PathNormalization mode, std::string_view raw) {
  std::string scratch;
  NormalizedPath n = NormalizePath(raw, mode, &scratch);
  return n.ok ? std::string(n.path) + std::string(n.query) : "<400>";
}

// MeshConfig pathNormalization: each mode on the same inputs.
TEST(NormalizePath, EveryMeshConfigMode) {
  using M = PathNormalization;
  struct {
    std::string_view raw;
    std::string_view none, base, merge, decode_merge;
  } cases[] = {
      {"/v2/models/%6d/infer?a=%6d", "/v2/models/%6d/infer?a=%6d", "/v2/models/m/infer?a=%6d",
       "/v2/models/m/infer?a=%6d", "/v2/models/m/infer?a=%6d"},
      {"//a//b/", "//a//b/", "//a//b/", "/a/b/", "/a/b/"},
      {"/a%2Fb%2f/c", "/a%2Fb%2f/c", "/a%2Fb%2f/c", "/a%2Fb%2f/c", "/a/b/c"},
      {"/a%5Cb", "/a%5Cb", "/a%5Cb", "/a%5Cb", "/a/b"},
      {"/a/%2e%2e%2fx", "/a/%2e%2e%2fx", "/a/..%2fx", "/a/..%2fx", "/x"},
      {"/a/b/..//c", "/a/b/..//c", "/a//c", "/a/c", "/a/c"},
      {"/x%00", "/x%00", "<400>", "<400>", "<400>"},
      {"/a%252F", "/a%252F", "/a%252F", "/a%252F", "/a%252F"},  // decoded once at most
  };
  for (const auto& c : cases) {
    EXPECT_EQ(NormAs(M::kNone, c.raw), c.none) << c.raw;
    EXPECT_EQ(NormAs(M::kBase, c.raw), c.base) << c.raw;
    EXPECT_EQ(NormAs(M::kMergeSlashes, c.raw), c.merge) << c.raw;
    EXPECT_EQ(NormAs(M::kDecodeAndMergeSlashes, c.raw), c.decode_merge) << c.raw;
  }
  EXPECT_EQ(ParsePathNormalization("MERGE_SLASHES"), M::kMergeSlashes);
  EXPECT_EQ(ParsePathNormalization("DEFAULT"), M::kBase);
  EXPECT_FALSE(ParsePathNormalization("base").has_value());
  EXPECT_EQ(PathNormalizationName(M::kDecodeAndMergeSlashes), "DECODE_AND_MERGE_SLASHES");
}

}  // namespace
}  // namespace ferry::gateway
