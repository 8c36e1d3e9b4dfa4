// Impersonation, as kube-apiserver's WithImpersonation filter does it: the
// headers Impersonate-User (a "system:serviceaccount:NS:NAME" user is the
// ServiceAccount), Impersonate-Group (repeatable), Impersonate-Uid and
// Impersonate-Extra-KEY (repeatable; KEY percent-decoded, lower-cased) each
// become one `impersonate` check on users, serviceaccounts, groups, uids or
// userextras/KEY that the requesting user must pass; then the request runs as
// the impersonated user (a ServiceAccount gets its two groups unless groups
// were given; system:authenticated is added unless a group says
// (un)authenticated; impersonating system:anonymous adds
// system:unauthenticated). kubectl's --as, --as-group and --as-uid send them.
//
// Pure; thread-safe. The API server authorizes the checks and swaps the user.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/attributes.h"
#include "common/status.h"

namespace ferry::auth {

struct Impersonation {
  // One `impersonate` check each; `user` is left null for the caller to set.
  std::vector<Attributes> checks;
  UserInfo user;  // who the request then runs as
};

// `headers`: lower-case names, in the order sent. nullopt when the request
// impersonates no one; InvalidArgument for groups, extras or a uid without a user.
StatusOr<std::optional<Impersonation>> ParseImpersonation(
    const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace ferry::auth
