// JWT parsing/verification: every supported algorithm round-trips, and the
// classic attacks fail with jwt_verify_lib's exact status strings.
#include "gateway/jwt.h"

#include <gtest/gtest.h>

#include "gateway/jwks.h"
#include "gateway/test_util.h"

namespace ferry::gateway {
namespace {

using nlohmann::json;
using testing::TestKey;

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestKey(testing::MakeRsaKey("rsa1"));
    other_rsa_ = new TestKey(testing::MakeRsaKey("rsa1"));  // same kid, different key
  }
  static TestKey* rsa_;
  static TestKey* other_rsa_;

  JwtStatus Verify(const std::string& token, const std::string& jwks_text) {
    ParsedJwt p;
    JwtStatus s = ParseJwt(token, &p);
    if (s != JwtStatus::kOk) {
      return s;
    }
    JwtStatus js;
    auto jwks = Jwks::Parse(jwks_text, &js);
    EXPECT_TRUE(jwks) << JwtStatusString(js);
    return VerifySignature(p, *jwks);
  }
  json Payload() { return {{"iss", "X"}, {"sub", "u1"}, {"exp", 4102444800}}; }
};
TestKey* JwtTest::rsa_ = nullptr;
TestKey* JwtTest::other_rsa_ = nullptr;

TEST_F(JwtTest, AllAlgorithmsVerify) {
  struct Case {
    TestKey key;
    std::vector<std::string> algs;
  };
  std::vector<Case> cases;
  cases.push_back({*rsa_, {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}});
  cases.push_back({testing::MakeEcKey("ec256", "P-256"), {"ES256"}});
  cases.push_back({testing::MakeEcKey("ec384", "P-384"), {"ES384"}});
  cases.push_back({testing::MakeEcKey("ec521", "P-521"), {"ES512"}});
  cases.push_back({testing::MakeEd25519Key("ed"), {"EdDSA"}});
  for (const auto& c : cases) {
    std::string jwks = testing::JwksJson({&c.key});
    for (const auto& alg : c.algs) {
      std::string token = testing::SignJwt(c.key, alg, Payload());
      EXPECT_EQ(Verify(token, jwks), JwtStatus::kOk) << alg;
      // Flip one signature character: must fail as a bad signature.
      std::string bad = token;
      char& last = bad[bad.size() - 5];
      last = last == 'A' ? 'B' : 'A';
      JwtStatus s = Verify(bad, jwks);
      EXPECT_TRUE(s == JwtStatus::kVerificationFail || s == JwtStatus::kSignatureBadBase64) << alg;
    }
  }
}

TEST_F(JwtTest, HmacWithOctKey) {
  std::string token = testing::HmacJwt("s3cret-s3cret-s3cret", "HS256", Payload());
  std::string jwks =
      json{{"keys", {{{"kty", "oct"}, {"k", Base64UrlEncode("s3cret-s3cret-s3cret")}}}}}.dump();
  EXPECT_EQ(Verify(token, jwks), JwtStatus::kOk);
  std::string wrong = json{{"keys", {{{"kty", "oct"}, {"k", Base64UrlEncode("other")}}}}}.dump();
  EXPECT_EQ(Verify(token, wrong), JwtStatus::kVerificationFail);
}

TEST_F(JwtTest, Attacks) {
  std::string jwks = testing::JwksJson({rsa_});
  // alg none.
  std::string none = testing::UnsignedJwt({{"alg", "none"}}, Payload()) + ".";
  EXPECT_EQ(Verify(none, jwks), JwtStatus::kHeaderAlgNotSupported);
  EXPECT_EQ(JwtStatusString(JwtStatus::kHeaderAlgNotSupported),
            "Jwt header [alg] is not supported");
  // HS256 signed with the RSA public key PEM as secret: no oct key exists.
  std::string confused = testing::HmacJwt(rsa_->PublicPem(), "HS256", Payload());
  EXPECT_EQ(Verify(confused, jwks), JwtStatus::kKidAlgMismatch);
  EXPECT_EQ(JwtStatusString(JwtStatus::kKidAlgMismatch),
            "Jwks doesn't have key to match kid or alg from Jwt");
  // Unknown kid.
  std::string unknown = testing::SignJwt(*rsa_, "RS256", Payload(), {{"kid", "nope"}});
  EXPECT_EQ(Verify(unknown, jwks), JwtStatus::kKidAlgMismatch);
  // Signed by another key with the same kid.
  std::string forged = testing::SignJwt(*other_rsa_, "RS256", Payload());
  EXPECT_EQ(Verify(forged, jwks), JwtStatus::kVerificationFail);
  EXPECT_EQ(JwtStatusString(JwtStatus::kVerificationFail), "Jwt verification fails");
  // Signature stripped.
  std::string good = testing::SignJwt(*rsa_, "RS256", Payload());
  std::string stripped = good.substr(0, good.rfind('.') + 1);
  EXPECT_EQ(Verify(stripped, jwks), JwtStatus::kVerificationFail);
  // Payload tampered (sub changed), original signature kept.
  json p2 = Payload();
  p2["sub"] = "admin";
  size_t d1 = good.find('.'), d2 = good.rfind('.');
  std::string tampered = good.substr(0, d1 + 1) + Base64UrlEncode(p2.dump()) + good.substr(d2);
  EXPECT_EQ(Verify(tampered, jwks), JwtStatus::kVerificationFail);
  EXPECT_EQ(Verify(good, jwks), JwtStatus::kOk);
}

TEST_F(JwtTest, ParseErrorsAreExact) {
  ParsedJwt p;
  EXPECT_EQ(ParseJwt("abc", &p), JwtStatus::kBadFormat);
  EXPECT_EQ(JwtStatusString(JwtStatus::kBadFormat),
            "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
  EXPECT_EQ(ParseJwt("a.b.c.d", &p), JwtStatus::kBadFormat);
  EXPECT_EQ(ParseJwt("!!.e30.", &p), JwtStatus::kHeaderBadBase64);
  EXPECT_EQ(ParseJwt(Base64UrlEncode("{nojson") + ".e30.", &p), JwtStatus::kHeaderBadJson);
  EXPECT_EQ(ParseJwt(Base64UrlEncode("{}") + ".e30.", &p), JwtStatus::kHeaderBadAlg);
  EXPECT_EQ(ParseJwt(Base64UrlEncode(R"({"alg":"RS256","kid":1})") + ".e30.", &p),
            JwtStatus::kHeaderBadKid);
  std::string h = Base64UrlEncode(R"({"alg":"RS256"})") + ".";
  EXPECT_EQ(ParseJwt(h + "@@.", &p), JwtStatus::kPayloadBadBase64);
  EXPECT_EQ(ParseJwt(h + Base64UrlEncode("[1]") + ".", &p), JwtStatus::kPayloadBadJson);
  EXPECT_EQ(ParseJwt(h + Base64UrlEncode(R"({"iss":1})") + ".", &p), JwtStatus::kIssNotString);
  EXPECT_EQ(ParseJwt(h + Base64UrlEncode(R"({"exp":"x"})") + ".", &p), JwtStatus::kExpNotInteger);
  EXPECT_EQ(ParseJwt(h + Base64UrlEncode(R"({"exp":-5})") + ".", &p), JwtStatus::kExpNotPositive);
  EXPECT_EQ(ParseJwt(h + Base64UrlEncode(R"({"aud":[1]})") + ".", &p), JwtStatus::kAudNotString);
  EXPECT_EQ(ParseJwt(h + "e30.###", &p), JwtStatus::kSignatureBadBase64);
  EXPECT_EQ(JwtStatusString(JwtStatus::kAudNotString),
            "Jwt payload [aud] field is not a string or string list");
}

TEST(JwtTime, SkewAndAudience) {
  EXPECT_EQ(CheckJwtTime(0, 1000, 1060), JwtStatus::kOk);
  EXPECT_EQ(CheckJwtTime(0, 1000, 1061), JwtStatus::kExpired);
  EXPECT_EQ(CheckJwtTime(2000, 0, 1940), JwtStatus::kOk);
  EXPECT_EQ(CheckJwtTime(2000, 0, 1939), JwtStatus::kNotYetValid);
  EXPECT_TRUE(AudienceAllowed({}, {}));
  EXPECT_TRUE(AudienceAllowed({"https://a.com/"}, {"a.com"}));
  EXPECT_FALSE(AudienceAllowed({"a.com"}, {"b.com"}));
  EXPECT_FALSE(AudienceAllowed({"a.com"}, {}));
}

TEST(JwksParse, Errors) {
  JwtStatus s;
  EXPECT_FALSE(Jwks::Parse("nope", &s));
  EXPECT_EQ(s, JwtStatus::kJwksBadJson);
  EXPECT_FALSE(Jwks::Parse("{}", &s));
  EXPECT_EQ(s, JwtStatus::kJwksNoKeys);
  EXPECT_FALSE(Jwks::Parse(R"({"keys":1})", &s));
  EXPECT_EQ(s, JwtStatus::kJwksKeysNotArray);
  EXPECT_FALSE(Jwks::Parse(R"({"keys":[{"kty":"RSA","n":"AQAB"}]})", &s));
  EXPECT_EQ(s, JwtStatus::kJwksNoValidKeys);
}

class CountingFetcher : public JwksFetcher {
 public:
  StatusOr<std::string> Fetch(const std::string& url, std::chrono::milliseconds) override {
    urls.push_back(url);
    if (fail) {
      return UnavailableError("down");
    }
    if (url.find("openid-configuration") != std::string::npos) {
      return std::string(R"({"jwks_uri":"http://idp/keys"})");
    }
    return body;
  }
  std::vector<std::string> urls;
  std::string body;
  bool fail = false;
};

TEST(JwksCacheTest, DiscoveryRefreshAndFailClosed) {
  auto fetcher = std::make_shared<CountingFetcher>();
  TestKey k = testing::MakeEcKey("k", "P-256");
  fetcher->body = testing::JwksJson({&k});
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  JwksCache::Options o;
  o.refresh_interval = std::chrono::seconds(60);
  o.clock = [&] { return now; };
  o.background = false;  // RunDue() below is the refresher's pass
  JwksCache cache(fetcher, o);
  auto keys = cache.Get("http://idp/", "", std::chrono::seconds(1));
  ASSERT_EQ(keys->keys().size(), 1u);
  ASSERT_EQ(fetcher->urls.size(), 2u);
  EXPECT_EQ(fetcher->urls[0], "http://idp/.well-known/openid-configuration");
  EXPECT_EQ(fetcher->urls[1], "http://idp/keys");
  cache.Get("http://idp/", "", std::chrono::seconds(1));
  EXPECT_EQ(fetcher->urls.size(), 2u);  // cached
  now += std::chrono::seconds(61);
  fetcher->fail = true;
  cache.RunDue();  // the refresh is due and fails
  EXPECT_EQ(fetcher->urls.size(), 3u);
  keys = cache.Get("http://idp/", "", std::chrono::seconds(1));
  EXPECT_EQ(keys->keys().size(), 1u);  // keeps the last good set
  EXPECT_NE(cache.LastError("http://idp/", ""), "");
  // A URI that never worked fails closed with an empty key set.
  auto empty = cache.Get("x", "http://down/keys", std::chrono::seconds(1));
  EXPECT_TRUE(empty->keys().empty());
}

}  // namespace
}  // namespace ferry::gateway
