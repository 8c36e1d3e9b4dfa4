// Attributes: what one authorization decision is about — Kubernetes'
// authorizer.Attributes. A resource request names a verb on
// group/resource[/subresource] (optionally a namespace and a name); a
// non-resource request names a verb (the lower-case HTTP method) on a path.
// Built from the parsed request (request_info.h), from a review object
// (SubjectAccessReview) or by the escalation and impersonation checks.
//
// A plain value; `user` is borrowed and must outlive the decision.
#pragma once

#include <string>

#include "auth/user_info.h"

namespace ferry::auth {

struct Attributes {
  const UserInfo* user = nullptr;
  std::string verb;
  bool resource_request = false;
  // Resource requests.
  std::string api_group;
  std::string api_version;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  // Non-resource requests.
  std::string path;
};

// The reply of an authorizer. `reason` says which binding allowed the request
// ("RBAC: allowed by ..."), or, on a denial, which bindings could not be
// resolved; it may be empty.
struct Decision {
  bool allowed = false;
  std::string reason;
};

}  // namespace ferry::auth
