// Covers/escalation against component-helpers' policy_comparator_test.go
// (every case, as data), then the Forbidden message Kubernetes writes.
#include "auth/escalation.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ferry::auth {
namespace {

PolicyRule R(std::vector<std::string> groups, std::vector<std::string> verbs,
             std::vector<std::string> resources, std::vector<std::string> names = {}) {
  return {verbs, groups, resources, names, {}};
}
PolicyRule U(std::vector<std::string> urls, std::vector<std::string> verbs) {
  return {verbs, {}, {}, {}, urls};
}

struct Case {
  std::string name;
  std::vector<PolicyRule> owner, servant;
  bool covered;
  std::vector<PolicyRule> uncovered;
};

TEST(KubernetesPolicyComparator, Covers) {
  std::vector<Case> cases = {
      {"ExactMatch", {R({"v1"}, {"get"}, {"builds"})}, {R({"v1"}, {"get"}, {"builds"})}, true, {}},
      {"SubresourceWildcard",
       {R({"v1"}, {"get"}, {"*/scale"})},
       {R({"v1"}, {"get"}, {"foo/scale"})},
       true,
       {}},
      {"MultipleRulesCoveringSingleRule",
       {R({"v1"}, {"delete"}, {"deployments"}), R({"v1"}, {"delete"}, {"builds"}),
        R({"v1"}, {"update"}, {"builds", "deployments"})},
       {R({"v1"}, {"delete", "update"}, {"builds", "deployments"})},
       true,
       {}},
      {"MultipleAPIGroupsCoveringSingleRule",
       {R({"group1"}, {"delete"}, {"deployments"}), R({"group1"}, {"delete"}, {"builds"}),
        R({"group1"}, {"update"}, {"builds", "deployments"}),
        R({"group2"}, {"delete"}, {"deployments"}), R({"group2"}, {"delete"}, {"builds"}),
        R({"group2"}, {"update"}, {"builds", "deployments"})},
       {R({"group1", "group2"}, {"delete", "update"}, {"builds", "deployments"})},
       true,
       {}},
      {"SingleAPIGroupsCoveringMultiple",
       {R({"group1", "group2"}, {"delete", "update"}, {"builds", "deployments"})},
       {R({"group1"}, {"delete"}, {"deployments"}), R({"group1"}, {"delete"}, {"builds"}),
        R({"group1"}, {"update"}, {"builds", "deployments"}),
        R({"group2"}, {"delete"}, {"deployments"}), R({"group2"}, {"delete"}, {"builds"}),
        R({"group2"}, {"update"}, {"builds", "deployments"})},
       true,
       {}},
      {"MultipleRulesMissingSingleVerbResourceCombination",
       {R({"v1"}, {"delete", "update"}, {"builds", "deployments"}),
        R({"v1"}, {"delete"}, {"pods"})},
       {R({"v1"}, {"delete", "update"}, {"builds", "deployments", "pods"})},
       false,
       {R({"v1"}, {"update"}, {"pods"})}},
      {"APIGroupStarCoveringMultiple",
       {R({"*"}, {"get"}, {"roles"})},
       {R({"group1", "group2"}, {"get"}, {"roles"})},
       true,
       {}},
      {"EnumerationNotCoveringAPIGroupStar",
       {R({"dummy-group"}, {"get"}, {"roles"})},
       {R({"*"}, {"get"}, {"roles"})},
       false,
       {R({"*"}, {"get"}, {"roles"})}},
      {"APIGroupStarCoveringStar",
       {R({"*"}, {"get"}, {"roles"})},
       {R({"*"}, {"get"}, {"roles"})},
       true,
       {}},
      {"VerbStarCoveringMultiple",
       {R({"v1"}, {"*"}, {"roles"})},
       {R({"v1"}, {"watch", "list"}, {"roles"})},
       true,
       {}},
      {"EnumerationNotCoveringVerbStar",
       {R({"v1"}, {"get", "list", "watch", "create", "update", "delete", "exec"}, {"roles"})},
       {R({"v1"}, {"*"}, {"roles"})},
       false,
       {R({"v1"}, {"*"}, {"roles"})}},
      {"VerbStarCoveringStar",
       {R({"v1"}, {"*"}, {"roles"})},
       {R({"v1"}, {"*"}, {"roles"})},
       true,
       {}},
      {"ResourceStarCoveringMultiple",
       {R({"v1"}, {"get"}, {"*"})},
       {R({"v1"}, {"get"}, {"resourcegroup:deployments"})},
       true,
       {}},
      {"EnumerationNotCoveringResourceStar",
       {R({"v1"}, {"get"}, {"roles", "resourcegroup:deployments"})},
       {R({"v1"}, {"get"}, {"*"})},
       false,
       {R({"v1"}, {"get"}, {"*"})}},
      {"ResourceStarCoveringStar",
       {R({"v1"}, {"get"}, {"*"})},
       {R({"v1"}, {"get"}, {"*"})},
       true,
       {}},
      {"ResourceNameEmptyCoveringMultiple",
       {R({"v1"}, {"get"}, {"pods"})},
       {R({"v1"}, {"get"}, {"pods"}, {"foo", "bar"})},
       true,
       {}},
      {"EnumerationNotCoveringResourceNameEmpty",
       {R({"v1"}, {"get"}, {"pods"}, {"foo", "bar"})},
       {R({"v1"}, {"get"}, {"pods"})},
       false,
       {R({"v1"}, {"get"}, {"pods"})}},
      {"NonResourceURLs", {U({"/apis"}, {"*"})}, {U({"/apis"}, {"*"})}, true, {}},
      {"NonResourceURLsStar", {U({"*"}, {"*"})}, {U({"/apis", "/apis/v1", "/"}, {"*"})}, true, {}},
      {"NonResourceURLsStarAfterPrefixDoesntCover",
       {U({"/apis/*"}, {"*"})},
       {U({"/apis", "/apis/v1"}, {"get"})},
       false,
       {U({"/apis"}, {"get"})}},
      {"NonResourceURLsStarAfterPrefix",
       {U({"/apis/*"}, {"*"})},
       {U({"/apis/v1/foo", "/apis/v1"}, {"get"})},
       true,
       {}},
      {"NonResourceURLsWithOtherFields",
       {{{"get"}, {"v1"}, {"builds"}, {}, {"/apis"}}},
       {{{"get"}, {"v1"}, {"builds"}, {}, {"/apis"}}},
       true,
       {}},
      {"NonResourceURLsWithOtherFieldsFailure",
       {R({"v1"}, {"get"}, {"builds"})},
       {{{"get"}, {"v1"}, {"builds"}, {}, {"/apis"}}},
       false,
       {U({"/apis"}, {"get"})}},
  };
  for (const Case& c : cases) {
    std::vector<PolicyRule> missing;
    EXPECT_EQ(Covers(c.owner, c.servant, &missing), c.covered) << c.name;
    EXPECT_EQ(missing.size(), c.uncovered.size()) << c.name;
    for (const PolicyRule& u : c.uncovered) {
      EXPECT_NE(std::find(missing.begin(), missing.end(), u), missing.end()) << c.name;
    }
  }
}

TEST(KubernetesPolicyComparator, NonResourceUrlCovers) {
  struct C {
    std::string owner, requested;
    bool want;
  };
  for (const C& c : std::vector<C>{{"*", "", true},
                                   {"*", "/", true},
                                   {"*", "/api", true},
                                   {"/*", "", false},
                                   {"/*", "/", true},
                                   {"/*", "/foo", true},
                                   {"/api", "/api", true},
                                   {"/apis", "/api", false},
                                   {"/api/v1", "/api", false},
                                   {"/api/v1", "/api/v1", true},
                                   {"/api/*", "/api/v1", true},
                                   {"/api/*", "/api", false},
                                   {"/api/*/*", "/api/v1", false},
                                   {"/*/v1/*", "/api/v1", false}}) {
    EXPECT_EQ(Covers({U({c.owner}, {"get"})}, {U({c.requested}, {"get"})}), c.want)
        << c.owner << " " << c.requested;
  }
}

TEST(Escalation, MessageIsKubernetes) {
  UserInfo u;
  u.name = "system:serviceaccount:ns:editor";
  u.groups = {"system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"};
  std::vector<PolicyRule> missing;
  // Binding cluster-admin with only namespace-edit powers.
  EXPECT_FALSE(Covers({R({"serving.kserve.io"}, {"get", "create"}, {"inferenceservices"})},
                      FullAuthority(), &missing));
  EXPECT_EQ(EscalationMessage(u, missing),
            "user \"system:serviceaccount:ns:editor\" (groups=[\"system:serviceaccounts\" "
            "\"system:serviceaccounts:ns\" \"system:authenticated\"]) is attempting to grant RBAC "
            "permissions not currently held:\n"
            "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n"
            "{NonResourceURLs:[\"*\"], Verbs:[\"*\"]}");
  // Compaction merges verbs of one group/resource; lines are sorted.
  missing.clear();
  EXPECT_FALSE(
      Covers({}, {R({""}, {"get", "list"}, {"secrets"}), R({"apps"}, {"get"}, {"x"})}, &missing));
  EXPECT_EQ(EscalationMessage(u, missing).substr(EscalationMessage(u, missing).find('\n')),
            "\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}"
            "\n{APIGroups:[\"apps\"], Resources:[\"x\"], Verbs:[\"get\"]}");
}

TEST(Escalation, GoQuoteEscapesLikeGo) {
  EXPECT_EQ(GoQuote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\x01\"");
  EXPECT_EQ(GoQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // printable UTF-8 kept
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");               // invalid UTF-8 escaped
  EXPECT_EQ(GoQuote(std::vector<std::string>{}), "[]");
}

}  // namespace
}  // namespace ferry::auth
