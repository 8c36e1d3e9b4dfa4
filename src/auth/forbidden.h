// The text of a 403 as kube-apiserver writes it (endpoints/handlers/
// responsewriters/errors.go Forbidden + apimachinery errors.NewForbidden):
//   inferenceservices.serving.kserve.io "x" is forbidden: User "U" cannot get
//   resource "inferenceservices" in API group "serving.kserve.io" in the
//   namespace "ns"
// with the cluster-scope, subresource ("pods/log") and non-resource
// ("forbidden: User \"U\" cannot get path \"/api\"") forms, the HTML
// sanitizing, and the authorizer's reason appended after ": " when it has one.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "auth/attributes.h"

namespace ferry::auth {

// "User \"U\" cannot VERB resource ..." (sanitized: & < > escaped).
std::string ForbiddenMessage(const Attributes& attrs);
// The Status message: qualified resource and name, then ForbiddenMessage and reason.
std::string ForbiddenStatusMessage(const Attributes& attrs, std::string_view reason);

}  // namespace ferry::auth
