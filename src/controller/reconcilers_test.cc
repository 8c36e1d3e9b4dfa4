// The small reconcilers (Profile, gateway Service, Job, policies, domain) and
// the work queue, against the real API semantics over the in-memory store.
#include <gtest/gtest.h>

#include "controller/domain_reconciler.h"
#include "controller/gateway_service_reconciler.h"
#include "controller/job_reconciler.h"
#include "controller/policy_reconciler.h"
#include "controller/profile_reconciler.h"
#include "controller/test_env.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

class ReconcilersTest : public testing::ControllerTestBase {
 protected:
  void SetUp() override {
    CreateNamespace("istio-system");
    CreateNamespace("knative-serving");
  }

  void CreateGatewayService(const std::string& type) {
    auto res = client().Create(
        {{"apiVersion", "v1"},
         {"kind", "Service"},
         {"metadata", {{"name", "istio-ingressgateway"}, {"namespace", "istio-system"}}},
         {"spec", {{"type", type}, {"ports", {{{"port", 80}}}}}}});
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }

  static json DefaultDomainJob() {
    json container = {{"name", "default-domain"},
                      {"image",
                       "gcr.io/knative-releases/knative.dev/serving/cmd/default-domain@"
                       "sha256:abc"},
                      {"args", {"-magic-dns=nip.io"}}};
    return {
        {"apiVersion", "batch/v1"},
        {"kind", "Job"},
        {"metadata", {{"name", "default-domain"}, {"namespace", "knative-serving"}}},
        {"spec",
         {{"template", {{"spec", {{"containers", {container}}, {"restartPolicy", "Never"}}}}}}}};
  }
};

TEST_F(ReconcilersTest, ProfileCreatesItsNamespaceAccountsAndPolicies) {
  ASSERT_TRUE(client()
                  .Create({{"apiVersion", "kubeflow.org/v1"},
                           {"kind", "Profile"},
                           {"metadata", {{"name", "team-a"}}},
                           {"spec", {{"owner", {{"kind", "User"}, {"name", "a@example.com"}}}}}})
                  .ok());
  ProfileReconciler profiles(ctx_);
  profiles.Reconcile(WorkKey::Profile("team-a"));
  json ns = Get("v1", "Namespace", "", "team-a");
  EXPECT_EQ(ns["metadata"]["annotations"]["owner"], "a@example.com");
  for (const char* sa : {"default-editor", "default-viewer"}) {
    EXPECT_TRUE(client().Get("v1", "ServiceAccount", "team-a", sa).ok()) << sa;
  }
  json allow = Get("security.istio.io/v1", "AuthorizationPolicy", "team-a",
                   "ferry-allow-namespace-serviceaccounts");
  EXPECT_EQ(allow["spec"]["rules"][0]["from"][0]["source"]["requestPrincipals"][0],
            "https://ferry.test/system:serviceaccount:team-a:*");
  EXPECT_TRUE(client()
                  .Get("security.istio.io/v1", "RequestAuthentication", "team-a",
                       "ferry-serviceaccount-jwt")
                  .ok());
  // Idempotent: a second pass finds everything in place and changes nothing.
  auto before = client().List("v1", "ServiceAccount", "team-a");
  profiles.Reconcile(WorkKey::Profile("team-a"));
  auto after = client().List("v1", "ServiceAccount", "team-a");
  EXPECT_EQ((*before)["metadata"]["resourceVersion"], (*after)["metadata"]["resourceVersion"]);
}

TEST_F(ReconcilersTest, LoadBalancerServiceExposesTheListenerAndGetsTheAddress) {
  CreateGatewayService("LoadBalancer");
  GatewayServiceReconciler services(ctx_);
  std::vector<std::pair<std::string, bool>> told;
  services.SetListener(
      [&](const std::string& name, bool exposed) { told.emplace_back(name, exposed); });
  services.Reconcile(WorkKey::GatewayService("istio-ingressgateway"));
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0], (std::pair<std::string, bool>{"istio-ingressgateway", true}));
  json svc = Get("v1", "Service", "istio-system", "istio-ingressgateway");
  EXPECT_EQ(LoadBalancerIp(svc), "192.0.2.7");
  EXPECT_TRUE(own_writes_.IsOwn(svc));  // its status write will not come back as work

  json cluster_ip = svc;
  cluster_ip["spec"]["type"] = "ClusterIP";
  ASSERT_TRUE(client().Update(cluster_ip).ok());
  services.Reconcile(WorkKey::GatewayService("istio-ingressgateway"));
  EXPECT_EQ(told.back(), (std::pair<std::string, bool>{"istio-ingressgateway", false}));
  EXPECT_EQ(LoadBalancerIp(Get("v1", "Service", "istio-system", "istio-ingressgateway")), "");
}

TEST_F(ReconcilersTest, DefaultDomainJobWaitsForTheAddressThenSetsConfigDomain) {
  CreateGatewayService("ClusterIP");
  ASSERT_TRUE(client().Create(DefaultDomainJob()).ok());
  JobReconciler jobs(ctx_);
  WorkKey key = WorkKey::Job("knative-serving", "default-domain");
  ReconcileResult waiting = jobs.Reconcile(key);
  EXPECT_GT(waiting.requeue_after.count(), 0);  // no IP yet: ask again later
  EXPECT_FALSE(client().Get("v1", "ConfigMap", "knative-serving", "config-domain").ok());

  json svc = Get("v1", "Service", "istio-system", "istio-ingressgateway");
  svc["status"] = {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.7"}}}}}}};
  ASSERT_TRUE(client().UpdateStatus(svc).ok());
  EXPECT_EQ(jobs.Reconcile(key).requeue_after.count(), 0);
  json cm = Get("v1", "ConfigMap", "knative-serving", "config-domain");
  EXPECT_TRUE(cm["data"].contains("192.0.2.7.nip.io")) << cm.dump();
  json job = Get("batch/v1", "Job", "knative-serving", "default-domain");
  EXPECT_EQ(job["status"]["conditions"][0]["type"], "Complete");
  EXPECT_EQ(job["status"]["succeeded"], 1);
}

TEST_F(ReconcilersTest, AnyOtherJobIsMarkedNotRunnable) {
  json job = DefaultDomainJob();
  job["metadata"]["name"] = "train";
  job["spec"]["template"]["spec"]["containers"][0]["image"] = "python:3.12";
  ASSERT_TRUE(client().Create(job).ok());
  JobReconciler jobs(ctx_);
  jobs.Reconcile(WorkKey::Job("knative-serving", "train"));
  json stored = Get("batch/v1", "Job", "knative-serving", "train");
  EXPECT_EQ(stored["status"]["conditions"][0]["reason"], "NotRunnable");
}

TEST_F(ReconcilersTest, PoliciesBecomeOneSnapshot) {
  PolicyReconciler policies(ctx_);
  std::shared_ptr<const gateway::PolicySnapshot> snapshot;
  policies.SetListener([&](std::shared_ptr<const gateway::PolicySnapshot> s) { snapshot = s; });
  policies.Reconcile(WorkKey::Policies());
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->authorization_policy_count(), 0u);
  ASSERT_TRUE(client()
                  .Create({{"apiVersion", "security.istio.io/v1"},
                           {"kind", "AuthorizationPolicy"},
                           {"metadata", {{"name", "deny-all"}, {"namespace", "default"}}},
                           {"spec", {{"action", "DENY"}, {"rules", {json::object()}}}}})
                  .ok());
  policies.Reconcile(WorkKey::Policies());
  EXPECT_EQ(snapshot->authorization_policy_count(), 1u);
}

TEST_F(ReconcilersTest, ConfigDomainChangesUrlsAndRequeuesEveryService) {
  ServingState serving(&queue_, nullptr, 1, "example.com");
  std::shared_ptr<const RouteTable> routes;
  serving.SetRoutesListener([&](std::shared_ptr<const RouteTable> t) { routes = t; });
  IsvcState& st = serving.isvcs()["default/iris"];
  st.ns = "default";
  st.name = "iris";
  st.labels = {{"tier", "gold"}};
  DomainReconciler domains(ctx_, &serving);
  domains.Reconcile(WorkKey::Domain());
  ASSERT_NE(routes, nullptr);
  EXPECT_NE(routes->FindExternal("iris.default.example.com"), nullptr);
  EXPECT_EQ(NextKey(), WorkKey::Isvc("default", "iris"));

  ASSERT_TRUE(
      client()
          .Create({{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", "config-domain"}, {"namespace", "knative-serving"}}},
                   {"data",
                    {{"models.test", ""},
                     {"gold.test", "selector:\n  tier: gold\n"},
                     {"_example", "ignored"}}}})
          .ok());
  domains.Reconcile(WorkKey::Domain());
  EXPECT_EQ(serving.domains().default_domain, "models.test");
  EXPECT_NE(routes->FindExternal("iris.default.gold.test"), nullptr);  // the selector wins
  EXPECT_EQ(NextKey(), WorkKey::Isvc("default", "iris"));
  // The same config again: nothing to do.
  domains.Reconcile(WorkKey::Domain());
  EXPECT_TRUE(queue_.Idle());
}

TEST(WorkQueueTest, AKeyWaitsOnceAndTheEarliestDelayWins) {
  WorkQueue q;
  q.Add(WorkKey::Isvc("a", "b"));
  q.Add(WorkKey::Isvc("a", "b"));
  q.Add(WorkKey::Policies());
  WorkKey key;
  auto soon = [] { return std::chrono::steady_clock::now() + std::chrono::seconds(5); };
  ASSERT_TRUE(q.NextUntil(&key, soon()));
  EXPECT_EQ(key, WorkKey::Isvc("a", "b"));
  ASSERT_TRUE(q.NextUntil(&key, soon()));
  EXPECT_EQ(key, WorkKey::Policies());
  EXPECT_TRUE(q.Idle());

  q.AddAfter(WorkKey::Domain(), std::chrono::hours(1));
  q.AddAfter(WorkKey::Domain(), std::chrono::milliseconds(1));  // earlier: replaces the hour
  ASSERT_TRUE(q.NextUntil(&key, soon()));
  EXPECT_EQ(key, WorkKey::Domain());
  // Nothing else is waiting (the hour-long wish went with the earlier one).
  EXPECT_FALSE(q.NextUntil(&key, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));

  q.Stop();
  q.Add(WorkKey::Policies());
  EXPECT_FALSE(q.Next(&key));
}

TEST(WorkKeyTest, NamesTheWorkForLogs) {
  EXPECT_EQ(ToString(WorkKey::Isvc("ns", "iris")), "InferenceService ns/iris");
  EXPECT_EQ(ToString(WorkKey::Profile("team")), "Profile team");
  EXPECT_EQ(ToString(WorkKey::Policies()), "policies");
}

}  // namespace
}  // namespace ferry::controller
