// /kfam/v1/bindings: KFAM's REST API for profile contributors (what the
// Kubeflow dashboard calls), served by the API server for its own callers.
//
//   GET    /kfam/v1/bindings?namespace=NS[&user=EMAIL][&role=edit|view]
//          → {"bindings": [Binding...]}   (needs: list rolebindings in NS)
//   POST   /kfam/v1/bindings  Binding     (needs: create rolebindings in NS,
//          and the permissions of kubeflow-<role> there or `bind`, as any
//          RoleBinding write) → creates the RoleBinding and the
//          AuthorizationPolicy `user-<mangled-email>-clusterrole-<role>`
//   DELETE /kfam/v1/bindings  Binding     (needs: delete that RoleBinding)
//
// KFAM itself writes with its own ServiceAccount after checking the caller;
// here the RoleBinding is written as the caller (RBAC and escalation checks
// apply) and the AuthorizationPolicy — which Kubeflow's roles let no profile
// owner write — by the API server once the RoleBinding was allowed.
// Errors are kube Status objects.
#include <nlohmann/json.hpp>

#include "api/api_server_impl.h"
#include "kubeflow/kfam.h"

namespace ferry::api {
namespace {

using nlohmann::json;
using http::HttpRequest;
using http::Responder;

constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

const KindInfo& RoleBindingKind() {
  return *FindKindByResource(kRbacGroup, "v1", "rolebindings");
}
const KindInfo& PolicyKind() {
  return *FindKindByResource("security.istio.io", "v1", "authorizationpolicies");
}

std::string Param(const Query& q, const char* key) {
  auto it = q.find(key);
  return it == q.end() ? "" : it->second;
}

}  // namespace

void ApiServer::Impl::HandleKfam(HttpRequest& req, std::string_view path,
                                 const auth::UserInfo& user, const Query& query,
                                 const Responder& responder) {
  if (path != "/kfam/v1/bindings") {
    return responder.Send(ErrorResponse(UnknownResource()));
  }
  auth::RequestInfo info;
  info.resource_request = true;
  info.api_prefix = "apis";
  info.api_group = kRbacGroup;
  info.api_version = "v1";
  info.resource = "rolebindings";
  kubeflow::Binding binding;
  if (req.method == "GET") {
    info.verb = "list";
    info.ns = Param(query, "namespace");
    if (info.ns.empty()) {
      return responder.Send(ErrorResponse(
          BadRequest("GET /kfam/v1/bindings needs ?namespace=PROFILE (the profile's contributors)")));
    }
  } else if (req.method == "POST" || req.method == "DELETE") {
    auto parsed = kubeflow::ParseBinding(json::parse(req.body, nullptr, false));
    if (!parsed.ok()) {
      return responder.Send(ErrorResponse(BadRequest("invalid KFAM binding: " +
                                                     parsed.status().message())));
    }
    binding = *parsed;
    info.verb = req.method == "POST" ? "create" : "delete";
    info.ns = binding.ns;
    if (req.method == "DELETE") info.name = kubeflow::BindingName(binding);
  } else {
    return responder.Send(ErrorResponse(MethodNotAllowed(req.method + " is not supported")));
  }
  auth::Attributes attrs;
  attrs.user = &user;
  attrs.verb = info.verb;
  attrs.resource_request = true;
  attrs.api_group = info.api_group;
  attrs.api_version = info.api_version;
  attrs.resource = info.resource;
  attrs.ns = info.ns;
  attrs.name = info.name;
  ApiError err = Authorize(attrs);
  if (!err.ok()) return responder.Send(ErrorResponse(err));

  if (req.method == "GET") {
    json list;
    auto sel = store::MakeSelector(info.ns, "", "");
    if (!sel.ok()) return responder.Send(ErrorResponse(BadRequest(sel.status().message())));
    err = service.List(RoleBindingKind(), "v1", *sel, &list);
    if (!err.ok()) return responder.Send(ErrorResponse(err));
    return responder.Send(JsonResponse(
        200, kubeflow::ListBindings(list["items"], info.ns, Param(query, "user"),
                                    Param(query, "role"))));
  }
  json rb = kubeflow::ContributorRoleBinding(binding);
  json ap = kubeflow::ContributorPolicy(binding);
  const std::string name = kubeflow::BindingName(binding);
  if (req.method == "POST") {
    WriteOptions opts;
    opts.check = RbacWriteCheck(RoleBindingKind(), info, user);
    WriteResult out;
    err = service.Create(RoleBindingKind(), "v1", binding.ns, rb, opts, &out);
    if (!err.ok()) return responder.Send(ErrorResponse(err));
    WriteResult ap_out;
    err = service.Create(PolicyKind(), "v1beta1", binding.ns, ap, {}, &ap_out);
    if (!err.ok() && err.reason != "AlreadyExists") {
      json gone;
      (void)service.Delete(RoleBindingKind(), "v1", binding.ns, name, &gone);
      return responder.Send(ErrorResponse(err));
    }
    return responder.Send(JsonResponse(200, kubeflow::BindingJson(binding)));
  }
  json gone;
  err = service.Delete(RoleBindingKind(), "v1", binding.ns, name, &gone);
  if (!err.ok()) return responder.Send(ErrorResponse(err));
  (void)service.Delete(PolicyKind(), "v1beta1", binding.ns, name, &gone);
  responder.Send(JsonResponse(200, kubeflow::BindingJson(binding)));
}

}  // namespace ferry::api
