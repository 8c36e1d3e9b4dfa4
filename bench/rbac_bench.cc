// rbac_bench: one RBAC decision over a cluster-sized policy — 1,000
// RoleBindings in 100 namespaces, 100 ClusterRoles of 10 rules each, plus
// Kubernetes' bootstrap ClusterRoleBindings — with Google Benchmark.
//
// Ferry's auth::RbacSnapshot (bindings indexed by user and group, per
// namespace) against a baseline measured in the same run: the same rules
// checked the way an unindexed resolver does it, visiting every binding and
// skipping those of other namespaces or subjects. Cases: an allowed request
// (a ServiceAccount's RoleBinding), a denied one (no binding applies), and the
// privileged group. Driven by bench/rbac_bench.py (median of repetitions).
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/authorizer.h"
#include "auth/bootstrap_policy.h"
#include "auth/rbac_snapshot.h"

namespace {

using ferry::auth::Attributes;
using ferry::auth::PolicyRule;
using ferry::auth::RbacObjects;
using ferry::auth::RbacSnapshot;
using ferry::auth::UserInfo;
using nlohmann::json;

constexpr int kNamespaces = 100;
constexpr int kRoleBindings = 1000;
constexpr int kClusterRoles = 100;

struct Policy {
  std::vector<json> cluster_roles, role_bindings, cluster_role_bindings;

  Policy() {
    const char* groups[] = {"", "apps", "batch", "serving.kserve.io", "networking.istio.io"};
    for (int r = 0; r < kClusterRoles; ++r) {
      json rules = json::array();
      for (int i = 0; i < 10; ++i) {
        rules.push_back({{"apiGroups", {groups[(r + i) % 5]}},
                         {"resources",
                          {"things" + std::to_string(r) + "-" + std::to_string(i),
                           "others" + std::to_string(i)}},
                         {"verbs", {"get", "list", "watch"}}});
      }
      if (r == 7) {  // the role the allowed request needs, its match last
        rules.push_back({{"apiGroups", {"serving.kserve.io"}},
                         {"resources", {"inferenceservices"}},
                         {"verbs", {"get", "list", "watch", "create", "delete", "patch"}}});
      }
      cluster_roles.push_back(
          {{"metadata", {{"name", "role-" + std::to_string(r)}}}, {"rules", rules}});
    }
    for (const json& r : ferry::auth::BootstrapClusterRoles()) cluster_roles.push_back(r);
    for (int b = 0; b < kRoleBindings; ++b) {
      std::string ns = "ns-" + std::to_string(b % kNamespaces);
      json subjects = {{{"kind", "ServiceAccount"}, {"name", "sa-" + std::to_string(b)}},
                       {{"kind", "User"}, {"name", "user-" + std::to_string(b) + "@example.com"}},
                       {{"kind", "Group"}, {"name", "team-" + std::to_string(b % 37)}}};
      role_bindings.push_back(
          {{"metadata", {{"name", "rb-" + std::to_string(b)}, {"namespace", ns}}},
           {"roleRef",
            {{"kind", "ClusterRole"}, {"name", "role-" + std::to_string(b % kClusterRoles)}}},
           {"subjects", subjects}});
    }
    for (const json& b : ferry::auth::BootstrapClusterRoleBindings()) {
      cluster_role_bindings.push_back(b);
    }
  }

  RbacObjects Objects() const {
    RbacObjects o;
    for (const json& j : cluster_roles) o.cluster_roles.push_back(&j);
    for (const json& j : role_bindings) o.role_bindings.push_back(&j);
    for (const json& j : cluster_role_bindings) o.cluster_role_bindings.push_back(&j);
    return o;
  }
};

// The baseline: every binding visited, subjects matched, rules checked.
class LinearResolver {
 public:
  explicit LinearResolver(const Policy& p) {
    for (const json& r : p.cluster_roles) {
      roles_[r["metadata"]["name"]] = ferry::auth::ParseRules(r.value("rules", json()));
    }
    auto add = [this](const json& b, bool cluster) {
      Binding out;
      out.ns = cluster ? "" : b["metadata"].value("namespace", "");
      out.rules = &roles_[b["roleRef"]["name"]];
      for (const json& s : b["subjects"]) {
        out.subjects.push_back(
            {s.value("kind", ""), s.value("name", ""), s.value("namespace", "")});
      }
      bindings_.push_back(std::move(out));
    };
    for (const json& b : p.cluster_role_bindings) add(b, true);
    for (const json& b : p.role_bindings) add(b, false);
  }

  bool Allowed(const Attributes& a) const {
    for (const Binding& b : bindings_) {
      if (!b.ns.empty() && b.ns != a.ns) continue;
      bool applies = false;
      for (const Subject& s : b.subjects) {
        if (s.kind == "User" && s.name == a.user->name) applies = true;
        if (s.kind == "Group" && a.user->InGroup(s.name)) applies = true;
        if (s.kind == "ServiceAccount") {
          const std::string& ns = s.ns.empty() ? b.ns : s.ns;
          if (!ns.empty() && ferry::auth::MatchesServiceAccount(ns, s.name, a.user->name)) {
            applies = true;
          }
        }
        if (applies) break;
      }
      if (!applies) continue;
      for (const PolicyRule& r : *b.rules) {
        if (ferry::auth::RuleAllows(a, r)) return true;
      }
    }
    return false;
  }

 private:
  struct Subject {
    std::string kind, name, ns;
  };
  struct Binding {
    std::string ns;
    const std::vector<PolicyRule>* rules;
    std::vector<Subject> subjects;
  };
  std::map<std::string, std::vector<PolicyRule>> roles_;
  std::vector<Binding> bindings_;
};

const Policy& ThePolicy() {
  static const Policy p;
  return p;
}

// sa-407 in ns-7 is bound (rb-407) to role-7, which allows the request.
UserInfo AllowedUser() {
  UserInfo u;
  u.name = "system:serviceaccount:ns-7:sa-407";
  u.groups = {"system:serviceaccounts", "system:serviceaccounts:ns-7", "system:authenticated"};
  return u;
}

UserInfo DeniedUser() {
  UserInfo u;
  u.name = "stranger@example.com";
  u.groups = {"team-5", "system:authenticated"};
  return u;
}

Attributes Request(const UserInfo* u, const char* verb = "create") {
  Attributes a;
  a.user = u;
  a.verb = verb;
  a.resource_request = true;
  a.api_group = "serving.kserve.io";
  a.api_version = "v1beta1";
  a.resource = "inferenceservices";
  a.ns = "ns-7";
  a.name = "irish-s3";
  return a;
}

void BM_Snapshot(benchmark::State& state, UserInfo user, bool want) {
  RbacSnapshot snapshot(ThePolicy().Objects());
  Attributes a = Request(&user);
  for (auto _ : state) {
    bool allowed = ferry::auth::Authorize(snapshot, a, /*explain=*/false).allowed;
    if (allowed != want) state.SkipWithError("wrong decision");
    benchmark::DoNotOptimize(allowed);
  }
}

void BM_Linear(benchmark::State& state, UserInfo user, bool want) {
  LinearResolver linear(ThePolicy());
  Attributes a = Request(&user);
  for (auto _ : state) {
    bool allowed = linear.Allowed(a);
    if (allowed != want) state.SkipWithError("wrong decision");
    benchmark::DoNotOptimize(allowed);
  }
}

void BM_Build(benchmark::State& state) {
  RbacObjects objects = ThePolicy().Objects();
  for (auto _ : state) {
    RbacSnapshot snapshot(objects);
    benchmark::DoNotOptimize(snapshot.binding_count());
  }
}

BENCHMARK_CAPTURE(BM_Snapshot, allowed, AllowedUser(), true);
BENCHMARK_CAPTURE(BM_Linear, allowed, AllowedUser(), true);
BENCHMARK_CAPTURE(BM_Snapshot, denied, DeniedUser(), false);
BENCHMARK_CAPTURE(BM_Linear, denied, DeniedUser(), false);
BENCHMARK(BM_Build)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
