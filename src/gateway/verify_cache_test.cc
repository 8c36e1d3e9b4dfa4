// The verification cache and the per-workload policy selection: a cached JWT
// verdict still honours exp at use time, is dropped when a JWKS refresh
// changes the keys, and is never reused across snapshots; Select() results
// are stable per workload and agree with uncached evaluation.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>

#include "gateway/engine.h"
#include "gateway/kubeflow_defaults.h"
#include "gateway/test_util.h"

namespace ferry::gateway {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1700000000;
constexpr char kIssuer[] = "https://iss.example";

// Serves whatever key set the test puts in `jwks`.
class SwitchableFetcher : public JwksFetcher {
 public:
  StatusOr<std::string> Fetch(const std::string&, std::chrono::milliseconds) override {
    std::lock_guard<std::mutex> lock(mu);
    return jwks;
  }
  void Set(std::string j) {
    std::lock_guard<std::mutex> lock(mu);
    jwks = std::move(j);
  }
  std::mutex mu;
  std::string jwks;
};

json Ra(const std::string& jwks_field, const std::string& jwks_value) {
  json rule = {{"issuer", kIssuer},
               {"fromHeaders", json::array({{{"name", "Authorization"}, {"prefix", "Bearer "}}})},
               {"outputClaimToHeaders", json::array({{{"header", "x-user"}, {"claim", "sub"}}})},
               {jwks_field, jwks_value}};
  return {{"kind", "RequestAuthentication"},
          {"metadata", {{"name", "ra"}, {"namespace", "foo"}}},
          {"spec", {{"jwtRules", json::array({rule})}}}};
}

json RequireJwt() {
  return {
      {"kind", "AuthorizationPolicy"},
      {"metadata", {{"name", "require"}, {"namespace", "foo"}}},
      {"spec", json::parse(R"({"rules":[{"from":[{"source":{"requestPrincipals":["*"]}}]}]})")}};
}

class VerifyCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_a_ = new testing::TestKey(testing::MakeEcKey("a", "P-256"));
    key_b_ = new testing::TestKey(testing::MakeEcKey("b", "P-256"));
  }

  std::string Token(const testing::TestKey& key, int64_t exp, const std::string& sub = "u1") {
    return testing::SignJwt(key, "ES256", {{"iss", kIssuer}, {"sub", sub}, {"exp", exp}});
  }

  Decision Run(const PolicySnapshot& snap, const std::string& token, int64_t now) {
    auth_ = "Bearer " + token + " trailing";  // the prefix rule stops at the space
    headers_ = {{"Host", "m.example.com"}, {"Authorization", auth_}};
    RequestAttributes r;
    r.method = "GET";
    r.path = "/v2/models/m/infer";
    r.host = "m.example.com";
    r.headers = headers_;
    EvalOptions o;
    o.now_unix = now;
    return Evaluate(snap, workload_, r, o);
  }

  static testing::TestKey* key_a_;
  static testing::TestKey* key_b_;
  Workload workload_{"foo", {{"app", "m"}}, "m"};
  std::string auth_;
  std::vector<Header> headers_;
};
testing::TestKey* VerifyCacheTest::key_a_ = nullptr;
testing::TestKey* VerifyCacheTest::key_b_ = nullptr;

TEST_F(VerifyCacheTest, CachedVerdictStillExpires) {
  PolicySnapshotBuilder b;
  ASSERT_TRUE(b.Add(Ra("jwks", testing::JwksJson({key_a_}))).ok());
  ASSERT_TRUE(b.Add(RequireJwt()).ok());
  auto snap = b.Build();
  std::string t = Token(*key_a_, kNow + 10);
  Decision first = Run(*snap, t, kNow);
  ASSERT_TRUE(first.allowed) << first.body;
  ASSERT_EQ(first.upstream_set.size(), 1u);
  EXPECT_EQ(first.upstream_set[0].value, "u1");
  Decision cached = Run(*snap, t, kNow + 5);
  EXPECT_TRUE(cached.allowed);
  EXPECT_EQ(cached.jwt.get(), first.jwt.get());  // served from the cache
  // exp + Envoy's 60 s skew has passed: the cached verdict no longer counts.
  Decision late = Run(*snap, t, kNow + 71);
  EXPECT_FALSE(late.allowed);
  EXPECT_EQ(late.status, 401);
  EXPECT_EQ(late.body, "Jwt is expired");
}

TEST_F(VerifyCacheTest, KeyRotationDropsCachedVerdicts) {
  auto fetcher = std::make_shared<SwitchableFetcher>();
  fetcher->Set(testing::JwksJson({key_a_}));
  auto steady = std::make_shared<std::chrono::steady_clock::time_point>();
  JwksCache::Options jo;
  jo.clock = [steady] { return *steady; };
  jo.background = false;  // the refresh below runs when the test says so
  SnapshotOptions so;
  so.jwks_cache = std::make_shared<JwksCache>(fetcher, jo);
  PolicySnapshotBuilder b(so);
  ASSERT_TRUE(b.Add(Ra("jwksUri", "https://iss.example/keys")).ok());
  ASSERT_TRUE(b.Add(RequireJwt()).ok());
  auto snap = b.Build();
  std::string t1 = Token(*key_a_, kNow + 3600, "u1");
  ASSERT_TRUE(Run(*snap, t1, kNow).allowed);
  ASSERT_TRUE(Run(*snap, t1, kNow + 1).allowed);
  // The issuer rotates to key b; the refresh interval passes and the
  // background refresh fetches the new set.
  fetcher->Set(testing::JwksJson({key_b_}));
  *steady += std::chrono::hours(1);
  so.jwks_cache->RunDue();  // the background refresh fetches the new keys
  std::string t2 = Token(*key_b_, kNow + 3600, "u2");
  Decision d2 = Run(*snap, t2, kNow + 2);
  ASSERT_TRUE(d2.allowed) << d2.body;
  // t1 was verified less than kMaxAgeSeconds ago, but against keys that are
  // gone: it must be verified again, and now fails.
  Decision d1 = Run(*snap, t1, kNow + 3);
  EXPECT_FALSE(d1.allowed);
  EXPECT_EQ(d1.status, 401);
}

TEST_F(VerifyCacheTest, NewSnapshotDoesNotReuseVerdicts) {
  std::string t = Token(*key_a_, kNow + 3600);
  PolicySnapshotBuilder b1;
  ASSERT_TRUE(b1.Add(Ra("jwks", testing::JwksJson({key_a_}))).ok());
  ASSERT_TRUE(b1.Add(RequireJwt()).ok());
  auto s1 = b1.Build();
  ASSERT_TRUE(Run(*s1, t, kNow).allowed);
  // Same policies, but the inline JWKS no longer has key a.
  PolicySnapshotBuilder b2;
  ASSERT_TRUE(b2.Add(Ra("jwks", testing::JwksJson({key_b_}))).ok());
  ASSERT_TRUE(b2.Add(RequireJwt()).ok());
  auto s2 = b2.Build();
  EXPECT_NE(s1->id(), s2->id());
  Decision d = Run(*s2, t, kNow + 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.status, 401);
  EXPECT_TRUE(Run(*s1, t, kNow + 2).allowed);  // the old snapshot still accepts it
}

TEST(Select, StablePerWorkloadAndSameDecisions) {
  PolicySnapshotBuilder b;
  ASSERT_TRUE(InstallKubeflowDefaults(b, {}, {{"kubeflow-user", "alice@example.com"}}).ok());
  auto snap = b.Build();
  Workload gw = Workload::IngressGateway();
  Workload predictor{"kubeflow-user", {{"app", "m"}}, "m"};
  const WorkloadPolicies* sg = snap->Select(gw);
  const WorkloadPolicies* sp = snap->Select(predictor);
  ASSERT_NE(sg, nullptr);
  ASSERT_NE(sp, nullptr);
  EXPECT_NE(sg, sp);
  EXPECT_EQ(snap->Select(Workload::IngressGateway()), sg);
  std::vector<Header> headers = {{"kubeflow-userid", "alice@example.com"}};
  RequestAttributes r;
  r.method = "POST";
  r.path = "/v1/models/m:predict";
  r.host = "m.kubeflow-user.svc.cluster.local";
  r.headers = headers;
  r.source_principal = kIngressGatewayPrincipal;
  for (const char* user : {"alice@example.com", "bob@example.com"}) {
    headers[0].value = user;
    EvalOptions plain;
    plain.explain = true;
    EvalOptions memo = plain;
    memo.selected = sp;
    Decision a = Evaluate(*snap, predictor, r, plain);
    Decision c = Evaluate(*snap, predictor, r, memo);
    EXPECT_EQ(a.allowed, c.allowed) << user;
    EXPECT_EQ(a.explanation, c.explanation) << user;
  }
  // A snapshot without policies selects nothing, for any workload.
  auto empty = PolicySnapshotBuilder().Build();
  EXPECT_NE(empty->Select(gw), nullptr);
  EXPECT_TRUE(Evaluate(*empty, gw, r).allowed);
}

}  // namespace
}  // namespace ferry::gateway
