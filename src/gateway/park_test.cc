// Parking at the engine level (EvalOptions::can_park): a CUSTOM provider over
// HTTP and a JWKS whose first fetch has not finished stop the evaluation with
// Decision::pending instead of waiting, and evaluating again with the result
// decides exactly as a blocking call would. Plus JwksCache's background
// behaviour driven by RunDue() with a test clock: waiters, deadlines, retry
// backoff, eviction.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>

#include "gateway/engine.h"
#include "gateway/test_util.h"

namespace ferry::gateway {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr char kIssuer[] = "https://iss.example";

// Fetches that end only when the test says so (Complete), or at once (Fetch).
class ManualFetcher : public JwksFetcher {
 public:
  StatusOr<std::string> Fetch(const std::string&, std::chrono::milliseconds) override {
    return UnavailableError("blocking fetch not expected");
  }
  void FetchAsync(const std::string& url, std::chrono::milliseconds, Done done) override {
    std::lock_guard<std::mutex> lock(mu);
    urls.push_back(url);
    pending.push_back(std::move(done));
  }
  // Ends the oldest fetch with `body` (or failure when empty).
  void Complete(const std::string& body) {
    Done done;
    {
      std::lock_guard<std::mutex> lock(mu);
      ASSERT_FALSE(pending.empty());
      done = std::move(pending.front());
      pending.erase(pending.begin());
    }
    if (body.empty()) {
      done(UnavailableError("down"));
    } else {
      done(body);
    }
  }
  size_t started() {
    std::lock_guard<std::mutex> lock(mu);
    return urls.size();
  }
  std::mutex mu;
  std::vector<std::string> urls;
  std::vector<Done> pending;
};

json Ra() {
  json rule = {{"issuer", kIssuer},
               {"jwksUri", "http://keys.test/jwks"},
               {"timeout", "2s"},
               {"outputClaimToHeaders", json::array({{{"header", "x-sub"}, {"claim", "sub"}}})}};
  return {{"kind", "RequestAuthentication"},
          {"metadata", {{"name", "ra"}, {"namespace", "foo"}}},
          {"spec", {{"jwtRules", json::array({rule})}}}};
}

json Custom() {
  return {{"kind", "AuthorizationPolicy"},
          {"metadata", {{"name", "ext"}, {"namespace", "foo"}}},
          {"spec", json::parse(R"({"action":"CUSTOM","provider":{"name":"p"},
                                  "rules":[{"to":[{"operation":{"paths":["/admin/*"]}}]}]})")}};
}

json Mesh(bool fail_open) {
  return {{"extensionProviders",
           {{{"name", "p"},
             {"envoyExtAuthzHttp",
              {{"service", "authz.foo.svc.cluster.local"},
               {"port", 8000},
               {"pathPrefix", "/check"},
               {"failOpen", fail_open},
               {"headersToUpstreamOnAllow", {"x-user"}}}}}}}};
}

class ParkTest : public ::testing::Test {
 protected:
  Decision Run(const PolicySnapshot& snap, const std::string& path, EvalOptions opt,
               const std::string& token = "") {
    auth_ = "Bearer " + token;
    headers_.clear();
    if (!token.empty()) headers_.push_back({"authorization", auth_});
    RequestAttributes r;
    r.method = "GET";
    r.path = path;
    r.host = "m.foo.example.com";
    r.headers = headers_;
    opt.ext_authz = &registry_;
    return Evaluate(snap, workload_, r, opt);
  }

  ExtAuthzRegistry registry_;
  Workload workload_{"foo", {{"app", "m"}}, "m"};
  std::string auth_;
  std::vector<Header> headers_;
};

TEST_F(ParkTest, NetworkProviderParksAndTheAnswerDecides) {
  PolicySnapshotBuilder b;
  ASSERT_TRUE(b.SetMeshConfig(Mesh(false)).ok());
  ASSERT_TRUE(b.Add(Custom()).ok());
  auto snap = b.Build();
  EvalOptions park;
  park.can_park = true;
  Decision d = Run(*snap, "/admin/x?y=1", park);
  ASSERT_TRUE(d.parked());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.pending.kind, PendingWork::Kind::kExtAuthz);
  ASSERT_NE(d.pending.provider, nullptr);
  EXPECT_EQ(d.pending.provider->name, "p");
  EXPECT_EQ(d.pending.check.path, "/check/admin/x?y=1");
  HttpCall call = ExtAuthzHttpCall(*d.pending.provider, d.pending.check);
  EXPECT_EQ(call.url, "http://authz.foo.svc.cluster.local:8000/check/admin/x?y=1");
  EXPECT_EQ(call.timeout, std::chrono::milliseconds(600'000));  // Istio's default

  StatusOr<ExtAuthzResponse> allow = ExtAuthzResponse{200, {{"x-user", "alice"}}, ""};
  EvalOptions resumed = park;
  resumed.ext_authz_result = &allow;
  Decision a = Run(*snap, "/admin/x?y=1", resumed);
  EXPECT_FALSE(a.parked());
  ASSERT_TRUE(a.allowed);
  ASSERT_EQ(a.upstream_set.size(), 1u);
  EXPECT_EQ(a.upstream_set[0].value, "alice");

  StatusOr<ExtAuthzResponse> failed = DeadlineExceededError("timed out");
  resumed.ext_authz_result = &failed;
  Decision f = Run(*snap, "/admin/x", resumed);
  EXPECT_FALSE(f.allowed);
  EXPECT_EQ(f.status, 403);  // statusOnError default
  EXPECT_EQ(f.denied_at, Decision::Stage::kCustom);

  PolicySnapshotBuilder open_builder;
  ASSERT_TRUE(open_builder.SetMeshConfig(Mesh(true)).ok());
  ASSERT_TRUE(open_builder.Add(Custom()).ok());
  auto open = open_builder.Build();
  EXPECT_TRUE(Run(*open, "/admin/x", resumed).allowed);  // failOpen
  // Paths no CUSTOM rule matches never park.
  EXPECT_FALSE(Run(*snap, "/public", park).parked());
}

class BuiltinAuthz : public ExtAuthzClient {
 public:
  StatusOr<ExtAuthzResponse> Check(const ExtAuthzProvider&, const ExtAuthzCheckRequest&) override {
    ++calls;
    return ExtAuthzResponse{200, {}, ""};
  }
  int calls = 0;
};

TEST_F(ParkTest, InProcessProviderAnswersWithoutParking) {
  auto builtin = std::make_shared<BuiltinAuthz>();
  registry_.RegisterBuiltin("p", builtin);
  PolicySnapshotBuilder b;
  ASSERT_TRUE(b.SetMeshConfig(Mesh(false)).ok());
  ASSERT_TRUE(b.Add(Custom()).ok());
  auto snap = b.Build();
  EvalOptions park;
  park.can_park = true;
  Decision d = Run(*snap, "/admin/x", park);
  EXPECT_FALSE(d.parked());
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(builtin->calls, 1);
}

TEST_F(ParkTest, FirstJwksFetchParksAndFailsClosedWhenTheWaitIsOver) {
  auto fetcher = std::make_shared<ManualFetcher>();
  JwksCache::Options jo;
  jo.background = false;
  SnapshotOptions so;
  so.jwks_cache = std::make_shared<JwksCache>(fetcher, jo);
  PolicySnapshotBuilder b(so);
  ASSERT_TRUE(b.Add(Ra()).ok());
  auto snap = b.Build();
  testing::TestKey key = testing::MakeEcKey("k", "P-256");
  std::string token = testing::SignJwt(
      key, "ES256", {{"iss", kIssuer}, {"sub", "u1"}, {"exp", std::time(nullptr) + 600}});
  EvalOptions park;
  park.can_park = true;
  Decision d = Run(*snap, "/", park, token);
  ASSERT_TRUE(d.parked());
  EXPECT_EQ(d.pending.kind, PendingWork::Kind::kJwks);
  EXPECT_EQ(d.pending.issuer, kIssuer);
  EXPECT_EQ(d.pending.jwks_uri, "http://keys.test/jwks");
  EXPECT_EQ(d.pending.timeout, std::chrono::seconds(2));
  EXPECT_TRUE(d.upstream_set.empty());

  EvalOptions over = park;
  over.jwks_wait_over = true;
  Decision closed = Run(*snap, "/", over, token);
  EXPECT_FALSE(closed.parked());
  EXPECT_EQ(closed.status, 401);
  EXPECT_EQ(closed.body, "Jwks doesn't have key to match kid or alg from Jwt");

  so.jwks_cache->RunDue();  // the refresher starts the fetch
  ASSERT_EQ(fetcher->started(), 1u);
  fetcher->Complete(testing::JwksJson({&key}));
  Decision ok = Run(*snap, "/", park, token);
  EXPECT_FALSE(ok.parked());
  ASSERT_TRUE(ok.allowed) << ok.body;
  ASSERT_EQ(ok.upstream_set.size(), 1u);
  EXPECT_EQ(ok.upstream_set[0].value, "u1");
}

TEST(JwksCacheBackground, WaitersDeadlinesBackoffAndEviction) {
  auto fetcher = std::make_shared<ManualFetcher>();
  auto now = Clock::time_point{} + std::chrono::hours(1);
  JwksCache::Options o;
  o.background = false;
  o.clock = [&] { return now; };
  o.refresh_interval = std::chrono::seconds(60);
  o.retry_initial = std::chrono::seconds(10);
  o.retry_max = std::chrono::seconds(25);
  o.evict_unused = std::chrono::hours(1);
  JwksCache cache(fetcher, o);
  const std::chrono::milliseconds t(1000);

  EXPECT_TRUE(cache.Find("i", "http://k/1", t).pending);
  std::vector<bool> calls;
  auto record = [&](bool timed_out) { calls.push_back(timed_out); };
  uint64_t early = cache.WhenFetched("i", "http://k/1", now + std::chrono::seconds(1), record);
  uint64_t late = cache.WhenFetched("i", "http://k/1", now + std::chrono::seconds(30), record);
  EXPECT_NE(early, 0u);
  cache.RunDue();
  EXPECT_EQ(fetcher->started(), 1u);
  now += std::chrono::seconds(2);
  cache.RunDue();  // the first waiter's deadline passed
  ASSERT_EQ(calls, std::vector<bool>({true}));
  EXPECT_FALSE(cache.CancelWait(early));  // already called
  fetcher->Complete("");                  // the first fetch fails
  ASSERT_EQ(calls, std::vector<bool>({true, false}));
  EXPECT_FALSE(cache.CancelWait(late));
  // Failed first fetch: fail closed at once, no more parking.
  JwksCache::Lookup failed = cache.Find("i", "http://k/1", t);
  EXPECT_FALSE(failed.pending);
  EXPECT_TRUE(failed.keys->keys().empty());
  EXPECT_NE(cache.LastError("i", "http://k/1"), "");
  cache.WhenFetched("i", "http://k/1", now, record);  // done: called at once
  EXPECT_EQ(calls.size(), 3u);

  // Retries after 10 s, then 20 s, then the 25 s cap.
  for (int wait : {10, 20, 25}) {
    size_t before = fetcher->started();
    now += std::chrono::seconds(wait - 1);
    cache.RunDue();
    EXPECT_EQ(fetcher->started(), before) << wait;
    now += std::chrono::seconds(1);
    cache.RunDue();
    ASSERT_EQ(fetcher->started(), before + 1) << wait;
    fetcher->Complete("");
  }
  // A success resets the backoff; the keys are refreshed every 60 s.
  now += std::chrono::seconds(25);
  cache.RunDue();
  testing::TestKey key = testing::MakeEcKey("k", "P-256");
  fetcher->Complete(testing::JwksJson({&key}));
  EXPECT_EQ(cache.Find("i", "http://k/1", t).keys->keys().size(), 1u);
  uint64_t generation = cache.generation();
  size_t before = fetcher->started();
  now += std::chrono::seconds(60);
  cache.RunDue();
  ASSERT_EQ(fetcher->started(), before + 1);
  testing::TestKey rotated = testing::MakeEcKey("k2", "P-256");
  fetcher->Complete(testing::JwksJson({&rotated}));
  EXPECT_GT(cache.generation(), generation);  // cached verdicts under old keys are stale
  // Unused for the eviction period: dropped (a later Find fetches again).
  now += std::chrono::hours(2);
  cache.RunDue();
  before = fetcher->started();
  EXPECT_TRUE(cache.Find("i", "http://k/1", t).pending);
  cache.RunDue();
  EXPECT_EQ(fetcher->started(), before + 1);
  fetcher->Complete("");
}

}  // namespace
}  // namespace ferry::gateway
