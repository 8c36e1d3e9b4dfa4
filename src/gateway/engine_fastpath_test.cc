// The gateway's allocation-free fast path: an allowed request through Kubeflow's default
// policies allocates nothing, a cached JWT only its output headers. Counts every operator new of
// the test binary (replaced below), so this file must be the only one that replaces it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "gateway/engine.h"
#include "gateway/kubeflow_defaults.h"
#include "gateway/test_fakes.h"
#include "gateway/test_util.h"

// Allocation counter for the zero-allocation fast-path test below.
static std::atomic<long> g_allocs{0};
void* operator new(size_t n) {
  ++g_allocs;
  if (void* p = std::malloc(n ? n : 1)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace ferry::gateway {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1700000000;

using testing::FakeFetcher;

// The common allowed paths must not allocate (policy matching works on views).
TEST(FastPath, AllowedRequestsDoNotAllocate) {
  SnapshotOptions so;
  so.jwks_cache = std::make_shared<JwksCache>(std::make_shared<FakeFetcher>());
  PolicySnapshotBuilder b(so);
  ASSERT_TRUE(InstallKubeflowDefaults(b, {}, {{"kubeflow-user", "alice@example.com"}}).ok());
  auto snap = b.Build();
  Workload gw = Workload::IngressGateway();
  Workload predictor{"kubeflow-user", {{"app", "m"}}, "m"};
  std::vector<Header> gw_headers = {
      {"Host", "m.kubeflow-user.example.com"}, {"User-Agent", "curl/8"}, {"Accept", "*/*"}};
  RequestAttributes to_dex;
  to_dex.method = "GET";
  to_dex.path = "/dex/auth?client_id=x";
  to_dex.host = "kubeflow.example.com";
  to_dex.headers = gw_headers;
  std::vector<Header> p_headers = {{"kubeflow-userid", "alice@example.com"},
                                   {"content-type", "application/json"}};
  RequestAttributes predict;
  predict.method = "POST";
  predict.path = "/v1/models/m:predict";
  predict.host = "m.kubeflow-user.svc.cluster.local";
  predict.headers = p_headers;
  predict.source_principal = kIngressGatewayPrincipal;
  EvalOptions opt;
  opt.now_unix = kNow;
  ASSERT_TRUE(Evaluate(*snap, gw, to_dex, opt).allowed);
  ASSERT_TRUE(Evaluate(*snap, predictor, predict, opt).allowed);
  long before = g_allocs.load();
  for (int i = 0; i < 100; ++i) {
    Decision a = Evaluate(*snap, gw, to_dex, opt);
    Decision p = Evaluate(*snap, predictor, predict, opt);
    if (!a.allowed || !p.allowed) {
      FAIL();
    }
  }
  EXPECT_EQ(g_allocs.load() - before, 0);
  // Informational: per-decision cost of the two common paths.
  auto start = std::chrono::steady_clock::now();
  constexpr int kIters = 20000;
  for (int i = 0; i < kIters; ++i) {
    Decision a = Evaluate(*snap, gw, to_dex, opt);
    Decision p = Evaluate(*snap, predictor, predict, opt);
  }
  auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("[ perf ] gateway+predictor decision pair: %.0f ns\n",
              static_cast<double>(ns) / kIters);
}

// A cached, valid RS256 ServiceAccount token at the Kubeflow gateway: the
// signature is verified once (cache by token); later requests only copy the
// outputClaimToHeaders values (kubeflow-userid) into the decision's upstream
// headers — those owned strings are the only allocations left.
TEST(FastPath, CachedJwtAtTheGatewayAllocatesOnlyOutputHeaders) {
  testing::TestKey key = testing::MakeRsaKey("sa");
  KubeflowOptions ko;
  ko.m2m_issuers = {"https://kubernetes.default.svc.cluster.local"};
  ko.m2m_jwks = testing::JwksJson({&key});
  ko.dex_jwks = ko.m2m_jwks;
  SnapshotOptions so;
  so.jwks_cache = std::make_shared<JwksCache>(std::make_shared<FakeFetcher>());
  PolicySnapshotBuilder b(so);
  ASSERT_TRUE(InstallKubeflowDefaults(b, ko, {}).ok());
  // The predictor's own RequestAuthentication for the same issuer (as Ferry
  // creates per Profile): a second rule the same token must be cached for.
  ASSERT_TRUE(
      b.Add(nlohmann::json{{"apiVersion", "security.istio.io/v1"},
                           {"kind", "RequestAuthentication"},
                           {"metadata", {{"name", "sa-jwt"}, {"namespace", "kubeflow-user"}}},
                           {"spec",
                            {{"jwtRules",
                              {{{"issuer", "https://kubernetes.default.svc.cluster.local"},
                                {"jwks", ko.m2m_jwks},
                                {"forwardOriginalToken", true}}}}}}})
          .ok());
  ASSERT_TRUE(b.Add(nlohmann::json::parse(R"({
      "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
      "metadata": {"name": "allow-sa", "namespace": "kubeflow-user"},
      "spec": {"rules": [{"from": [{"source": {"requestPrincipals": [
        "https://kubernetes.default.svc.cluster.local/system:serviceaccount:kubeflow-user:*"]}}]}]}
    })"))
                  .ok());
  auto snap = b.Build();
  std::string token =
      testing::SignJwt(key, "RS256",
                       {{"iss", "https://kubernetes.default.svc.cluster.local"},
                        {"sub", "system:serviceaccount:kubeflow-user:default-editor"},
                        {"exp", kNow + 3600}});
  std::string auth = "Bearer " + token;
  std::vector<Header> headers = {{"Host", "m.kubeflow-user.example.com"},
                                 {"Authorization", auth},
                                 {"Content-Type", "application/json"}};
  RequestAttributes r;
  r.method = "POST";
  r.path = "/v2/models/m/infer";
  r.host = "m.kubeflow-user.example.com";
  r.headers = headers;
  EvalOptions opt;
  opt.now_unix = kNow;
  Workload gw = Workload::IngressGateway();
  Workload predictor{"kubeflow-user", {{"component", "predictor"}}, "m"};
  Decision first = Evaluate(*snap, gw, r, opt);
  ASSERT_TRUE(first.allowed) << first.body;
  ASSERT_TRUE(first.jwt);
  Decision first_p = Evaluate(*snap, predictor, r, opt);
  ASSERT_TRUE(first_p.allowed) << first_p.body;
  ASSERT_TRUE(first_p.jwt);
  long before = g_allocs.load();
  constexpr int kIters = 100;
  for (int i = 0; i < kIters; ++i) {
    Decision d = Evaluate(*snap, gw, r, opt);
    if (!d.allowed || d.jwt != first.jwt) {
      FAIL() << "gateway: not served from the verification cache";
    }
  }
  long per_request = (g_allocs.load() - before) / kIters;
  std::printf("[ perf ] allocations per cached-JWT gateway decision by value: %ld\n", per_request);
  // A fresh Decision owns its upstream headers (vector + kubeflow-userid value).
  EXPECT_LE(per_request, 2);
  // The listeners reuse one Decision per thread (EvaluateInto): nothing at all.
  Decision reused;
  for (int i = 0; i < 2; ++i) {  // warm-up: the buffers reach their steady size
    EvaluateInto(*snap, gw, r, opt, &reused);
  }
  ASSERT_FALSE(reused.upstream_set.empty());  // kubeflow-userid is set
  before = g_allocs.load();
  for (int i = 0; i < kIters; ++i) {
    EvaluateInto(*snap, gw, r, opt, &reused);
    if (!reused.allowed || reused.jwt != first.jwt || reused.upstream_set != first.upstream_set) {
      FAIL() << "gateway (reused decision): different outcome";
    }
  }
  EXPECT_EQ(g_allocs.load() - before, 0);
  // The predictor's rule is a different rule: its hit must not re-verify.
  before = g_allocs.load();
  for (int i = 0; i < kIters; ++i) {
    Decision d = Evaluate(*snap, predictor, r, opt);
    if (!d.allowed || d.jwt != first.jwt) {
      FAIL() << "predictor: not served from the verification cache";
    }
  }
  EXPECT_EQ(g_allocs.load() - before, 0);
  // Informational: the pair as an external call with a token costs.
  auto start = std::chrono::steady_clock::now();
  constexpr int kPairs = 20000;
  for (int i = 0; i < kPairs; ++i) {
    Decision a = Evaluate(*snap, gw, r, opt);
    Decision p = Evaluate(*snap, predictor, r, opt);
  }
  auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("[ perf ] cached RS256 token, gateway+predictor decision pair: %.0f ns\n",
              static_cast<double>(ns) / kPairs);
}

}  // namespace
}  // namespace ferry::gateway
