// UserInfo: who a request comes from, as Kubernetes' user.Info — name, uid,
// groups and extra — plus the fixed names Kubernetes gives to its special
// identities and ServiceAccounts. Produced by the authenticators
// (authenticator.h) and impersonation (impersonation.h); read by the RBAC
// evaluator (rbac_snapshot.h) and the review APIs.
//
// Plain values; safe to copy and share between threads once built.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::auth {

inline constexpr std::string_view kAnonymousUser = "system:anonymous";
inline constexpr std::string_view kAllAuthenticated = "system:authenticated";
inline constexpr std::string_view kAllUnauthenticated = "system:unauthenticated";
// Members may do anything: the API server never asks RBAC about them.
inline constexpr std::string_view kPrivilegedGroup = "system:masters";
inline constexpr std::string_view kServiceAccountsGroup = "system:serviceaccounts";
inline constexpr std::string_view kServiceAccountPrefix = "system:serviceaccount:";

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;

  bool InGroup(std::string_view group) const;
};

// "system:serviceaccount:NS:NAME".
std::string ServiceAccountUsername(std::string_view ns, std::string_view name);
// {"system:serviceaccounts", "system:serviceaccounts:NS"}.
std::vector<std::string> ServiceAccountGroups(std::string_view ns);
// Splits "system:serviceaccount:NS:NAME"; false unless both parts are
// non-empty and NAME holds no ':' (Kubernetes' serviceaccount.SplitUsername).
bool SplitServiceAccountUsername(std::string_view username, std::string* ns, std::string* name);
// Whether `username` is exactly the ServiceAccount NS/NAME, without building it.
bool MatchesServiceAccount(std::string_view ns, std::string_view name, std::string_view username);

// The anonymous identity given to requests without credentials.
UserInfo AnonymousUser();

}  // namespace ferry::auth
