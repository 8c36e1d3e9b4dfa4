// The review APIs — created, answered, never stored: authorization.k8s.io/v1
// SelfSubjectAccessReview (`kubectl auth can-i`), SelfSubjectRulesReview
// (`kubectl auth can-i --list`), SubjectAccessReview, LocalSubjectAccessReview;
// authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`) and
// TokenReview. Each answers 201 with the request echoed and its status filled
// in, as kube-apiserver's REST storage for them does.
#include <nlohmann/json.hpp>

#include "api/api_server_impl.h"
#include "auth/authorizer.h"

namespace ferry::api {
namespace {

using nlohmann::json;

json Strings(const std::vector<std::string>& v) { return v; }

json UserJson(const auth::UserInfo& u) {
  json out = {{"username", u.name}, {"groups", u.groups}};
  if (!u.uid.empty()) out["uid"] = u.uid;
  if (!u.extra.empty()) out["extra"] = u.extra;
  return out;
}

std::vector<std::string> StringList(const json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const json& s : v) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

// spec.resourceAttributes / spec.nonResourceAttributes as authorizer
// attributes (Kubernetes' ResourceAttributesFrom/NonResourceAttributesFrom).
ApiError AttributesFrom(const KindInfo& kind, const json& spec, auth::Attributes* a) {
  const json& res = At(spec, "resourceAttributes");
  const json& non = At(spec, "nonResourceAttributes");
  if (res.is_object() == non.is_object()) {
    return Invalid(kind, "",
                   {{"spec.resourceAttributes", "FieldValueInvalid",
                     "Invalid value: " + std::string(res.is_object() ? "set" : "null") +
                         ": exactly one of nonResourceAttributes or resourceAttributes must be "
                         "specified"}});
  }
  if (non.is_object()) {
    a->resource_request = false;
    a->verb = StringAt(non, "verb");
    a->path = StringAt(non, "path");
    return {};
  }
  a->resource_request = true;
  a->ns = StringAt(res, "namespace");
  a->verb = StringAt(res, "verb");
  a->api_group = StringAt(res, "group");
  a->api_version = StringAt(res, "version").empty() ? "*" : StringAt(res, "version");
  a->resource = StringAt(res, "resource");
  a->subresource = StringAt(res, "subresource");
  a->name = StringAt(res, "name");
  return {};
}

json DecisionStatus(const auth::Decision& d) {
  json status = {{"allowed", d.allowed}};
  if (!d.reason.empty()) status["reason"] = d.reason;
  return status;
}

json RuleJson(const auth::PolicyRule& r, bool resource) {
  json out = {{"verbs", r.verbs}};
  if (resource) {
    if (!r.api_groups.empty()) out["apiGroups"] = r.api_groups;
    if (!r.resources.empty()) out["resources"] = r.resources;
    if (!r.resource_names.empty()) out["resourceNames"] = r.resource_names;
  } else {
    out["nonResourceURLs"] = r.non_resource_urls;
  }
  return out;
}

}  // namespace

void ApiServer::Impl::HandleReview(http::HttpRequest& req, const KindInfo& kind,
                                   const ResourcePath& path, const auth::UserInfo& user,
                                   const http::Responder& responder) {
  if (req.method != "POST" || !path.name.empty() || !path.subresource.empty()) {
    return responder.Send(ErrorResponse(MethodNotAllowed(
        req.method + " is not supported on " + kind.plural + ": it is create-only (POST)")));
  }
  if (kind.namespaced && path.ns.empty()) {
    return responder.Send(ErrorResponse(
        BadRequest("namespace is required on this type: use .../namespaces/NS/" + kind.plural)));
  }
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    return responder.Send(ErrorResponse(BadRequest("the request body is not a JSON object")));
  }
  json spec = body.value("spec", json::object());
  if (!spec.is_object()) spec = json::object();
  json status;
  ApiError err;
  auto snapshot = rbac.Snapshot();
  if (kind.kind == "SelfSubjectAccessReview" || kind.kind == "SubjectAccessReview" ||
      kind.kind == "LocalSubjectAccessReview") {
    auth::UserInfo subject = user;
    if (kind.kind != "SelfSubjectAccessReview") {
      subject = auth::UserInfo();
      subject.name = StringAt(spec, "user");
      subject.uid = StringAt(spec, "uid");
      subject.groups = StringList(At(spec, "groups"));
      const json& extra = At(spec, "extra");
      if (extra.is_object()) {
        for (const auto& [k, v] : extra.items()) subject.extra[k] = StringList(v);
      }
      if (subject.name.empty() && subject.groups.empty()) {
        err = Invalid(kind, "",
                      {{"spec.user", "FieldValueInvalid",
                        "Invalid value: \"\": at least one of user or group must be specified"}});
      }
    }
    auth::Attributes attrs;
    if (err.ok()) err = AttributesFrom(kind, spec, &attrs);
    if (err.ok() && kind.kind == "LocalSubjectAccessReview") {
      if (!attrs.resource_request) {
        err = Invalid(kind, "",
                      {{"spec.nonResourceAttributes", "FieldValueInvalid",
                        "Invalid value: set: disallowed on this kind of request"}});
      } else if (!attrs.ns.empty() && attrs.ns != path.ns) {
        err = BadRequest("spec.resourceAttributes.namespace must match namespace: " + path.ns);
      }
      attrs.ns = path.ns;
      if (spec["resourceAttributes"].is_object()) spec["resourceAttributes"]["namespace"] = path.ns;
    }
    if (err.ok()) {
      attrs.user = &subject;
      status = DecisionStatus(auth::Authorize(*snapshot, attrs));
    }
  } else if (kind.kind == "SelfSubjectRulesReview") {
    auth::RuleSet rules = auth::RulesFor(*snapshot, user, StringAt(spec, "namespace"));
    json resource = json::array(), non = json::array();
    for (const auth::PolicyRule& r : rules.resource_rules) resource.push_back(RuleJson(r, true));
    for (const auth::PolicyRule& r : rules.non_resource_rules) non.push_back(RuleJson(r, false));
    status = {
        {"resourceRules", resource}, {"nonResourceRules", non}, {"incomplete", rules.incomplete}};
    if (!rules.evaluation_error.empty()) status["evaluationError"] = rules.evaluation_error;
  } else if (kind.kind == "SelfSubjectReview") {
    status = {{"userInfo", UserJson(user)}};
  } else if (kind.kind == "TokenReview") {
    std::string token = StringAt(spec, "token");
    if (token.empty()) {
      err = Invalid(kind, "", {{"spec.token", "FieldValueRequired", "Required value"}});
    } else {
      std::vector<std::string> audiences = StringList(At(spec, "audiences"));
      auto u = authn->AuthenticateToken(token, audiences);
      status = {{"authenticated", u.ok()}};
      if (u.ok()) {
        status["user"] = UserJson(*u);
        status["audiences"] = audiences.empty() ? Strings(authn->api_audiences()) : json(audiences);
      } else {
        status["error"] = u.status().message();
      }
    }
  }
  if (!err.ok()) return responder.Send(ErrorResponse(err));
  json meta = body.value("metadata", json::object());
  if (!meta.is_object()) meta = json::object();
  meta["creationTimestamp"] = nullptr;
  if (kind.namespaced) meta["namespace"] = path.ns;
  json out = {{"kind", kind.kind},
              {"apiVersion", kind.api_version(path.version)},
              {"metadata", meta},
              {"status", status}};
  if (kind.kind != "SelfSubjectReview") out["spec"] = spec;
  responder.Send(JsonResponse(201, out));
}

}  // namespace ferry::api
