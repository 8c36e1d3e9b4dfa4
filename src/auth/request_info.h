// RequestInfo: an API request as the authorizer sees it — Kubernetes'
// RequestInfoFactory (k8s.io/apiserver endpoints/request/requestinfo.go):
// the kube verb from the method, a name or its absence (get → list/watch,
// delete → deletecollection, ?watch=, a `metadata.name=` field selector),
// the /watch/ and /proxy/ verb prefixes, namespace, resource, subresource.
//
// The API server parses each request once, here, and both authorizes and acts
// on the result, so an encoded path (%73ecrets) cannot be authorized as one
// thing and served as another. Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::auth {

struct RequestInfo {
  bool resource_request = false;
  std::string path;  // the decoded path
  std::string verb;
  std::string api_prefix;  // "api" or "apis"
  std::string api_group;
  std::string api_version;
  std::string ns;
  std::string resource;
  std::string subresource;
  std::string name;
  // resource/name/subresource/... relative to the namespace.
  std::vector<std::string> parts;
  // The verb came from a /watch/ or /proxy/ path prefix.
  bool verb_in_path = false;
  // The resource sits under namespaces/NS/ (false for the Namespace object
  // itself, whose own name is also its namespace: /api/v1/namespaces/NS).
  bool in_namespace_path = false;
};

// Percent-decodes a URL path (no '+' rule: that is for queries). An escape
// that is not %XX with two hex digits is InvalidArgument, as Go's URL parser
// (and so kube-apiserver) refuses it.
StatusOr<std::string> DecodePath(std::string_view raw);

// `path` is already decoded (DecodePath); `query` holds the decoded query
// parameters (only watch and fieldSelector are read). Empty path segments
// ("//") are dropped, as the API's router drops them.
RequestInfo ParseRequestInfo(std::string_view method, std::string_view path,
                             const std::map<std::string, std::string, std::less<>>& query);

// The value a field selector requires for `field` with "=" or "==" (e.g.
// "metadata.name=x,a!=b" → "x"), or empty.
std::string FieldSelectorRequires(std::string_view selector, std::string_view field);

// Kubernetes' path.IsValidPathSegmentName: the reasons `name` cannot be a
// path segment ("may not be '.'", "may not contain '/'", ...); empty if it can.
std::vector<std::string> PathSegmentNameErrors(std::string_view name);

}  // namespace ferry::auth
