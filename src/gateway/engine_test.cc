// Engine behaviour beyond the §7 table: JWT outcomes and outputs, caching,
// attribute keys, remote IP, concurrency.
#include "gateway/engine.h"

#include <gtest/gtest.h>

#include <thread>

#include "gateway/kubeflow_defaults.h"
#include "gateway/test_util.h"

namespace ferry::gateway {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1700000000;

json Obj(const char* kind, const std::string& ns, const std::string& name,
         const std::string& spec) {
  return {{"kind", kind},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", json::parse(spec)}};
}

std::string AP(const std::string& ns, const std::string& name, const std::string& spec) {
  return Obj("AuthorizationPolicy", ns, name, spec).dump();
}

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { key_ = new testing::TestKey(testing::MakeEcKey("e1", "P-256")); }

  void Build(const std::vector<json>& objects) {
    PolicySnapshotBuilder b;
    for (const auto& o : objects) {
      Status s = b.Add(o);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    snap_ = b.Build();
  }
  json RaSpec(const std::string& extra_rule_fields) {
    json rule = json::parse("{" + extra_rule_fields + "}");
    rule["issuer"] = "https://iss.example";
    rule["jwks"] = testing::JwksJson({key_});
    return Obj("RequestAuthentication", "foo", "ra", json{{"jwtRules", {rule}}}.dump());
  }
  std::string Token(json claims) {
    if (!claims.contains("iss")) {
      claims["iss"] = "https://iss.example";
    }
    if (!claims.contains("sub")) {
      claims["sub"] = "u1";
    }
    return testing::SignJwt(*key_, "ES256", claims);
  }
  Decision Run(std::vector<Header> headers, std::string path = "/", std::string method = "GET",
               std::string principal = "", std::string peer = "198.51.100.7") {
    headers_ = std::move(headers);
    path_ = std::move(path);
    method_ = std::move(method);
    principal_ = std::move(principal);
    peer_ = std::move(peer);
    RequestAttributes r;
    r.method = method_;
    r.path = path_;
    r.host = "Models.Example.com";
    r.headers = headers_;
    r.source_principal = principal_;
    r.source_ip = peer_;
    EvalOptions o;
    o.now_unix = kNow;
    o.explain = true;
    return Evaluate(*snap_, {"foo", {{"app", "w"}}, "w"}, r, o);
  }

  static testing::TestKey* key_;
  std::shared_ptr<const PolicySnapshot> snap_;
  std::vector<Header> headers_;
  std::string path_, method_, principal_, peer_, token_;
};
testing::TestKey* EngineTest::key_ = nullptr;

TEST_F(EngineTest, TimeAndAudienceFailures) {
  Build({RaSpec(R"("audiences":["models"])")});
  token_ = "Bearer " + Token({{"exp", kNow - 61}, {"aud", "models"}});
  Decision d = Run({{"authorization", token_}});
  EXPECT_EQ(d.status, 401);
  EXPECT_EQ(d.body, "Jwt is expired");
  token_ = "Bearer " + Token({{"nbf", kNow + 61}, {"aud", "models"}});
  d = Run({{"authorization", token_}});
  EXPECT_EQ(d.body, "Jwt not yet valid");
  token_ = "Bearer " + Token({{"exp", kNow + 10}, {"aud", "other"}});
  d = Run({{"authorization", token_}});
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.body, "Audiences in Jwt are not allowed");
  token_ = "Bearer " + Token({{"exp", kNow - 30}, {"aud", {"x", "https://models/"}}});
  d = Run({{"authorization", token_}});  // within the 60 s skew; aud normalized
  EXPECT_TRUE(d.allowed) << d.body;
}

TEST_F(EngineTest, OutputsAndSanitizing) {
  Build({RaSpec(R"("forwardOriginalToken":false,"outputPayloadToHeader":"x-jwt-payload",
                   "outputClaimToHeaders":[{"header":"x-email","claim":"email"},
                                           {"header":"x-org","claim":"org.name"},
                                           {"header":"x-admin","claim":"admin"}])")});
  token_ = "Bearer " + Token({{"email", "a@b.c"}, {"org", {{"name", "acme"}}}, {"admin", true}});
  Decision d = Run({{"authorization", token_}, {"X-Email", "spoofed"}});
  ASSERT_TRUE(d.allowed) << d.body;
  auto get = [&](const std::string& n) {
    for (const auto& h : d.upstream_set) {
      if (h.name == n) {
        return h.value;
      }
    }
    return std::string("<unset>");
  };
  EXPECT_EQ(get("x-email"), "a@b.c");
  EXPECT_EQ(get("x-org"), "acme");
  EXPECT_EQ(get("x-admin"), "true");
  std::string payload;
  ASSERT_TRUE(Base64UrlDecode(get("x-jwt-payload"), &payload));
  EXPECT_EQ(json::parse(payload)["email"], "a@b.c");
  EXPECT_NE(std::find(d.upstream_remove.begin(), d.upstream_remove.end(), "authorization"),
            d.upstream_remove.end());
  // Without a token the spoofed header is still stripped.
  d = Run({{"x-email", "spoofed"}});
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.upstream_remove, std::vector<std::string>{"x-email"});
  EXPECT_TRUE(d.upstream_set.empty());
}

TEST_F(EngineTest, LocationsCorsAndCache) {
  Build({RaSpec(R"("fromParams":["tok"],"fromHeaders":[{"name":"x-jwt"}])")});
  std::string t = Token({{"exp", kNow + 100}});
  EXPECT_EQ(Run({}, "/p?a=1&tok=" + t).jwt->principal, "https://iss.example/u1");
  EXPECT_EQ(Run({{"X-JWT", t}}).jwt->principal, "https://iss.example/u1");
  EXPECT_EQ(Run({{"authorization", "Bearer " + t}}).jwt, nullptr);  // not a configured location
  Decision bad = Run({{"x-jwt", "garbage"}});
  EXPECT_EQ(bad.status, 401);
  // CORS preflight skips JWT entirely.
  Decision pre = Run(
      {{"x-jwt", "garbage"}, {"origin", "https://ui"}, {"access-control-request-method", "POST"}},
      "/", "OPTIONS");
  EXPECT_TRUE(pre.allowed);
  // Cached verification: same principal object is reused.
  Decision a = Run({{"x-jwt", t}});
  Decision b = Run({{"x-jwt", t}});
  EXPECT_EQ(a.jwt.get(), b.jwt.get());
}

TEST_F(EngineTest, MultipleRulesNeedOneValid) {
  testing::TestKey other = testing::MakeRsaKey("r1");
  json spec = {{"jwtRules",
                {{{"issuer", "https://iss.example"}, {"jwks", testing::JwksJson({key_})}},
                 {{"issuer", "https://other.example"}, {"jwks", testing::JwksJson({&other})}}}}};
  Build({Obj("RequestAuthentication", "foo", "multi", spec.dump())});
  std::string t2 =
      testing::SignJwt(other, "RS256", {{"iss", "https://other.example"}, {"sub", "s"}});
  EXPECT_EQ(Run({{"authorization", "Bearer " + t2}}).jwt->principal, "https://other.example/s");
  std::string forged =
      testing::SignJwt(other, "RS256", {{"iss", "https://iss.example"}, {"sub", "s"}});
  EXPECT_EQ(Run({{"authorization", "Bearer " + forged}}).body,
            "Jwks doesn't have key to match kid or alg from Jwt");
}

TEST_F(EngineTest, ClaimsScopesAndPrincipals) {
  Build({RaSpec(""), Obj("AuthorizationPolicy", "foo", "claims", R"({"rules":[
           {"when":[{"key":"request.auth.claims[scope]","values":["write"]},
                    {"key":"request.auth.claims[org][team]","values":["ml*"]},
                    {"key":"request.auth.audiences","values":["api"]},
                    {"key":"request.auth.presenter","values":["cli"]}]}]})")});
  auto tok = [&](const std::string& scope, const std::string& team) {
    return "Bearer " +
           Token({{"scope", scope}, {"org", {{"team", team}}}, {"aud", "api"}, {"azp", "cli"}});
  };
  EXPECT_TRUE(Run({{"authorization", tok("read write", "mlops")}}).allowed);
  EXPECT_FALSE(Run({{"authorization", tok("read", "mlops")}}).allowed);
  EXPECT_FALSE(Run({{"authorization", tok("read write", "web")}}).allowed);
  // requestPrincipals "*" needs a sub.
  Build({RaSpec(""), Obj("AuthorizationPolicy", "foo", "rp",
                         R"({"rules":[{"from":[{"source":{"requestPrincipals":["*"]}}]}]})")});
  json no_sub = {{"iss", "https://iss.example"}, {"sub", ""}};
  EXPECT_FALSE(
      Run({{"authorization", "Bearer " + testing::SignJwt(*key_, "ES256", no_sub)}}).allowed);
  EXPECT_TRUE(Run({{"authorization", "Bearer " + Token({})}}).allowed);
}

TEST_F(EngineTest, SourceKeysHostsAndHeaders) {
  Build({Obj("AuthorizationPolicy", "foo", "src", R"({"rules":[
      {"from":[{"source":{"serviceAccounts":["sleep"]}}]},
      {"from":[{"source":{"trustDomains":["td.local"]}}],"to":[{"operation":{"hosts":["models.example.com"]}}]},
      {"when":[{"key":"request.headers[x-dup]","values":["a,b"]}]}]})")});
  EXPECT_TRUE(Run({}, "/", "GET", "cluster.local/ns/foo/sa/sleep").allowed);
  EXPECT_FALSE(Run({}, "/", "GET", "cluster.local/ns/bar/sa/sleep").allowed);
  EXPECT_TRUE(Run({}, "/", "GET", "spiffe://td.local/ns/bar/sa/x").allowed);  // host any case
  EXPECT_TRUE(Run({{"x-dup", "a"}, {"X-Dup", "b"}}).allowed);                 // joined with ','
  EXPECT_FALSE(Run({{"x-dup", "a"}}).allowed);
}

TEST_F(EngineTest, RemoteIpFromForwardedFor) {
  PolicySnapshotBuilder b(SnapshotOptions{"istio-system", 1});
  ASSERT_TRUE(b.Add(Obj("AuthorizationPolicy", "foo", "ip", R"({"rules":[
      {"from":[{"source":{"remoteIpBlocks":["203.0.113.0/24"]}}]}]})"))
                  .ok());
  snap_ = b.Build();
  EXPECT_TRUE(Run({{"x-forwarded-for", "10.0.0.1, 203.0.113.5"}}).allowed);
  EXPECT_FALSE(Run({{"x-forwarded-for", "203.0.113.5, 10.0.0.1"}}).allowed);
  EXPECT_FALSE(Run({}).allowed);  // falls back to the peer address
}

TEST_F(EngineTest, ContributorPolicy) {
  PolicySnapshotBuilder b;
  ASSERT_TRUE(
      b.Add(json::parse(R"({"kind":"AuthorizationPolicy","metadata":{"name":"global-deny-all",
      "namespace":"istio-system"},"spec":{}})"))
          .ok());
  json c = KubeflowContributorPolicy("team", "Bob.Smith@Example.com", "edit");
  EXPECT_EQ(c["metadata"]["name"], "user-bob-smith-example-com-clusterrole-edit");
  ASSERT_TRUE(b.Add(c).ok());
  snap_ = b.Build();
  RequestAttributes r;
  r.method = "GET";
  r.path = "/";
  std::vector<Header> h = {{"kubeflow-userid", "Bob.Smith@Example.com"}};
  r.headers = h;
  r.source_principal = kIngressGatewayPrincipal;
  EXPECT_TRUE(Evaluate(*snap_, {"team", {}, "m"}, r).allowed);
  r.source_principal = "";
  EXPECT_FALSE(Evaluate(*snap_, {"team", {}, "m"}, r).allowed);
}

TEST_F(EngineTest, ReAddingAnObjectReplacesIt) {
  Build({Obj("AuthorizationPolicy", "foo", "p", R"({"action":"DENY","rules":[{}]})"),
         Obj("AuthorizationPolicy", "foo", "p", R"({"rules":[{}]})")});
  EXPECT_EQ(snap_->authorization_policy_count(), 1u);
  EXPECT_TRUE(Run({}).allowed);
}

TEST_F(EngineTest, ConcurrentEvaluation) {
  Build({RaSpec(""), Obj("AuthorizationPolicy", "foo", "rp",
                         R"({"rules":[{"from":[{"source":{"requestPrincipals":["*"]}}]}]})")});
  std::vector<std::string> tokens;
  for (int i = 0; i < 8; ++i) {
    tokens.push_back("Bearer " + Token({{"sub", "u" + std::to_string(i)}}));
  }
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::vector<Header> h = {{"authorization", tokens[(i + t) % tokens.size()]}};
        RequestAttributes r;
        r.method = "GET";
        r.path = "/";
        r.headers = h;
        EvalOptions o;
        o.now_unix = kNow;
        Decision d = Evaluate(*snap_, {"foo", {}, "w"}, r, o);
        if (d.allowed && d.jwt->subject == "u" + std::to_string((i + t) % tokens.size())) {
          ++allowed;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(allowed.load(), 800);
}

TEST(Explain, NamesPoliciesAndTheMissingAttribute) {
  PolicySnapshotBuilder b;
  ASSERT_TRUE(b.Add(json::parse(AP("istio-system", "global-deny-all", "{}"))).ok());
  ASSERT_TRUE(b.Add(KubeflowProfilePolicy("my-profile", "alice@example.com")).ok());
  auto snap = b.Build();
  Workload w{"my-profile", {{"app", "irish-s3"}}, "irish-s3"};
  RequestAttributes r;
  r.method = "POST";
  r.path = "/v1/models/irish-s3:predict";
  r.host = "irish-s3.my-profile.example.com";
  EvalOptions opt;
  opt.explain = true;
  Decision d = Evaluate(*snap, w, r, opt);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.explanation.find("denied at workload `irish-s3` in `my-profile`"), std::string::npos)
      << d.explanation;
  EXPECT_NE(d.explanation.find("ALLOW policies exist (ns-owner-access-istio, "
                               "istio-system/global-deny-all) and none matched"),
            std::string::npos)
      << d.explanation;
  EXPECT_NE(d.explanation.find("source.principal=<none>"), std::string::npos) << d.explanation;
  EXPECT_EQ(d.matched_policy, "none");
  EXPECT_NE(d.explanation.find("applied policies: ALLOW[ns-owner-access-istio, "
                               "istio-system/global-deny-all]"),
            std::string::npos)
      << d.explanation;
  r.source_principal = "cluster.local/ns/my-profile/sa/default-editor";
  Decision ok = Evaluate(*snap, w, r, opt);
  EXPECT_TRUE(ok.allowed);
  EXPECT_NE(ok.explanation.find("ALLOW policy my-profile/ns-owner-access-istio rule 1 matched"),
            std::string::npos)
      << ok.explanation;
  opt.explain = false;
  EXPECT_TRUE(Evaluate(*snap, w, r, opt).explanation.empty());
}

TEST(Validation, IstioWebhookRules) {
  auto bad = [](const std::string& spec) {
    return !ValidateSecurityObject(json::parse(AP("foo", "x", spec))).ok();
  };
  EXPECT_TRUE(bad(R"({"action":"DENY"})"));                       // meaningless DENY
  EXPECT_TRUE(bad(R"({"action":"CUSTOM","rules":[{}]})"));        // no provider
  EXPECT_TRUE(bad(R"({"provider":{"name":"p"},"rules":[{}]})"));  // provider w/o CUSTOM
  EXPECT_TRUE(bad(R"({"rules":[{"from":[]}]})"));
  EXPECT_TRUE(bad(R"({"rules":[{"from":[{"source":{}}]}]})"));
  EXPECT_TRUE(bad(R"({"rules":[{"to":[{"operation":{"paths":[""]}}]}]})"));
  EXPECT_TRUE(bad(R"({"rules":[{"when":[{"key":"request.headers[x]"}]}]})"));
  EXPECT_TRUE(bad(R"({"rules":[{"when":[{"key":"destination.labels[app]","values":["x"]}]}]})"));
  EXPECT_TRUE(bad(R"({"rules":[{"to":[{"operation":{"paths":["/a/{*}.txt"]}}]}]})"));
  EXPECT_TRUE(bad(
      R"({"action":"CUSTOM","provider":{"name":"p"},"rules":[{"from":[{"source":{"principals":["a"]}}]}]})"));
  EXPECT_TRUE(bad(R"({"selector":{"matchLabels":{"app":"*"}},"rules":[{}]})"));
  EXPECT_TRUE(bad(R"({"rules":[{"from":[{"source":{"ipBlocks":["10.0.0.0/40"]}}]}]})"));
  EXPECT_FALSE(bad(R"({"rules":[{}]})"));
  EXPECT_FALSE(bad("{}"));
  EXPECT_FALSE(bad(
      R"({"action":"CUSTOM","provider":{"name":"p"},"rules":[{"to":[{"operation":{"paths":["/a"]}}]}]})"));
}

TEST(DryRun, ShadowOnly) {
  PolicySnapshotBuilder b;
  json deny = json::parse(AP("foo", "dry-deny", R"({"action":"DENY","rules":[{}]})"));
  deny["metadata"]["annotations"] = {{"istio.io/dry-run", "true"}};
  ASSERT_TRUE(b.Add(deny).ok());
  auto snap = b.Build();
  RequestAttributes r;
  r.method = "GET";
  r.path = "/";
  Decision d = Evaluate(*snap, {"foo", {}, "w"}, r);
  EXPECT_TRUE(d.allowed);
  EXPECT_NE(d.dry_run.find("shadow denied"), std::string::npos);
}

TEST(Requests, BadPathAndMethodAre400) {
  PolicySnapshotBuilder b;
  auto snap = b.Build();
  RequestAttributes r;
  r.method = "GET";
  r.path = "/a%00b";
  EXPECT_EQ(Evaluate(*snap, {"foo", {}, "w"}, r).status, 400);
  r.path = "/";
  r.method = "get";
  EXPECT_EQ(Evaluate(*snap, {"foo", {}, "w"}, r).status, 400);
}

}  // namespace
}  // namespace ferry::gateway
