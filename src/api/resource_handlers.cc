// CRUD, PATCH and watch over HTTP: turns a parsed request into ObjectService
// calls and kube-shaped responses (Table when asked, Status on errors).
#include <algorithm>

#include "api/api_server_impl.h"
#include "api/kube_protobuf.h"
#include "api/table.h"

namespace ferry::api {

using nlohmann::json;
using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

namespace {

// kubectl delete --cascade=orphan sends DeleteOptions{propagationPolicy: Orphan} in the body;
// other clients put it in the query.
bool OrphanRequested(const HttpRequest& req, const Query& query) {
  auto it = query.find("propagationPolicy");
  if (it != query.end() && it->second == "Orphan") return true;
  json options = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  return options.is_object() && options.value("propagationPolicy", "") == "Orphan";
}

std::string Param(const Query& q, std::string_view key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

WriteOptions OptionsFrom(const Query& q) {
  WriteOptions o;
  o.validation = ParseFieldValidation(Param(q, "fieldValidation"));
  o.dry_run = Param(q, "dryRun") == "All";
  return o;
}

void SendWrite(const Responder& r, const ApiError& err, const WriteResult& out, int ok_status) {
  if (!err.ok()) {
    HttpResponse resp = ErrorResponse(err);
    AddWarnings(&resp, out.warnings);
    r.Send(std::move(resp));
    return;
  }
  HttpResponse resp = JsonResponse(out.created ? 201 : ok_status, out.object);
  AddWarnings(&resp, out.warnings);
  r.Send(std::move(resp));
}

StatusOr<int64_t> ParseRv(const std::string& rv) {
  if (rv.empty()) return int64_t{0};
  int64_t v = 0;
  for (char c : rv) {
    if (c < '0' || c > '9' || v > INT64_MAX / 10 - 9) {
      return InvalidArgumentError("resourceVersion \"" + rv + "\" is not a decimal number");
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

void ApiServer::Impl::HandleGet(HttpRequest& req, const KindInfo& kind, const ResourcePath& path,
                                bool watch, const Query& query, const Responder& responder) {
  bool table = WantsTable(req.Header("accept"));
  std::string table_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
  if (!path.name.empty()) {
    json obj;
    ApiError err = service.Get(kind, path.version, path.ns, path.name, &obj);
    if (!err.ok()) return responder.Send(ErrorResponse(err));
    if (!table) return responder.Send(JsonResponse(200, obj));
    return responder.Send(
        JsonResponse(200,
                     BuildTable(kind, {obj}, StringAt(obj, "metadata.resourceVersion"),
                                Param(query, "includeObject")),
                     table_type));
  }
  auto sel = store::MakeSelector(kind.namespaced ? path.ns : "", Param(query, "labelSelector"),
                                 Param(query, "fieldSelector"));
  if (!sel.ok()) return responder.Send(ErrorResponse(BadRequest(sel.status().message())));
  if (watch) {
    auto rv = ParseRv(Param(query, "resourceVersion"));
    if (!rv.ok()) return responder.Send(ErrorResponse(BadRequest(rv.status().message())));
    WatchRequest w{&kind, path.version, std::move(*sel), *rv, table, options.default_watch_timeout};
    std::string timeout = Param(query, "timeoutSeconds");
    if (!timeout.empty() && ParseRv(timeout).ok())
      w.timeout = std::chrono::seconds(*ParseRv(timeout));
    return watches.Start(std::move(w), responder);
  }
  json list;
  ApiError err = service.List(kind, path.version, *sel, &list);
  if (!err.ok()) return responder.Send(ErrorResponse(err));
  if (!table) return responder.Send(JsonResponse(200, list));
  std::vector<json> items(list["items"].begin(), list["items"].end());
  responder.Send(
      JsonResponse(200,
                   BuildTable(kind, items, list["metadata"]["resourceVersion"].get<std::string>(),
                              Param(query, "includeObject")),
                   table_type));
}

void ApiServer::Impl::HandleDeleteCollection(const HttpRequest& req, const KindInfo& kind,
                                             const ResourcePath& path, const Query& query,
                                             const Responder& responder) {
  auto sel = store::MakeSelector(kind.namespaced ? path.ns : "", Param(query, "labelSelector"),
                                 Param(query, "fieldSelector"));
  if (!sel.ok()) return responder.Send(ErrorResponse(BadRequest(sel.status().message())));
  json list;
  ApiError err = service.List(kind, path.version, *sel, &list);
  if (!err.ok()) return responder.Send(ErrorResponse(err));
  const bool orphan = OrphanRequested(req, query);
  json deleted = json::array();
  for (const json& item : list["items"]) {
    json obj;
    err = service.Delete(kind, path.version, StringAt(item, "metadata.namespace"),
                         StringAt(item, "metadata.name"), &obj, orphan);
    // Gone since the list (a cascade from an earlier item): nothing left to delete.
    if (err.code == 404) continue;
    if (!err.ok()) return responder.Send(ErrorResponse(err));
    deleted.push_back(std::move(obj));
  }
  list["items"] = std::move(deleted);
  responder.Send(JsonResponse(200, list));
}

void ApiServer::Impl::HandleLog(const ResourcePath& path, const Query& query,
                                const Responder& responder) {
  const KindInfo* kind = FindKindByResource(path.group, path.version, path.plural);
  json obj;
  ApiError err = service.Get(*kind, path.version, path.ns, path.name, &obj);
  if (!err.ok()) return responder.Send(ErrorResponse(err));
  long tail = -1;
  std::string t = Param(query, "tailLines");
  if (!t.empty()) {
    auto n = ParseRv(t);
    if (!n.ok()) {
      return responder.Send(ErrorResponse(
          BadRequest("tailLines \"" + t + "\" is not a non-negative number of lines")));
    }
    tail = static_cast<long>(std::min<int64_t>(*n, 1000000));
  }
  std::string body;
  for (const std::string& line : logs.Tail(path.ns, path.name, tail)) {
    body += line;
    body += '\n';
  }
  HttpResponse resp = HttpResponse::Text(200, std::move(body));
  resp.content_type = "text/plain; charset=utf-8";
  responder.Send(std::move(resp));
}

void ApiServer::Impl::HandleResource(HttpRequest& req, const ResourcePath& path,
                                     const auth::RequestInfo& info, const auth::UserInfo& user,
                                     const Query& query, const Responder& responder) {
  const KindInfo* kind = FindKindByResource(path.group, path.version, path.plural);
  if (kind == nullptr || (!kind->namespaced && !path.ns.empty())) {
    return responder.Send(ErrorResponse(UnknownResource()));
  }
  std::string_view ct = req.Header("content-type");
  if ((req.method == "POST" || req.method == "PUT") && IsKubeProtobuf(ct)) {
    // kubectl's typed clients (create namespace/secret/sa/token) send protobuf.
    auto decoded = DecodeKubeProtobuf(req.body);
    if (!decoded.ok()) {
      return responder.Send(ErrorResponse(UnsupportedMediaType(decoded.status().message())));
    }
    req.body = decoded->dump();
  } else if ((req.method == "POST" || req.method == "PUT") && !ct.empty() &&
             ct.substr(0, ct.find(';')) != "application/json") {
    return responder.Send(ErrorResponse(UnsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/vnd.kubernetes.protobuf")));
  }
  if (!kind->stored) return HandleReview(req, *kind, path, user, responder);
  const std::string& sub = path.subresource;
  if (sub == "token" && kind->kind == "ServiceAccount" && req.method == "POST") {
    return HandleToken(req, path, responder);
  }
  if (sub == "log" && kind->kind == "InferenceService" && req.method == "GET") {
    return HandleLog(path, query, responder);
  }
  if (sub == "log" && kind->kind == "Pod" && req.method == "GET") {
    return HandlePodLog(path, query, responder);
  }
  if (!kind->read_only_reason.empty() && req.method != "GET" &&
      (req.method != "DELETE" || !kind->read_only_delete)) {
    std::string name = path.name;
    if (name.empty()) {
      json body = json::parse(req.body, nullptr, false);
      if (body.is_object()) name = StringAt(body, "metadata.name");
    }
    return responder.Send(ErrorResponse(ForbiddenResource(
        kind->group, kind->plural, name,
        QualifiedResource(*kind) + " \"" + name + "\" is forbidden: " +
            kind->read_only_reason)));
  }
  bool status_only = sub == "status" && kind->status_subresource;
  if (!sub.empty() && !status_only) return responder.Send(ErrorResponse(UnknownResource()));
  if (kind->namespaced && path.ns.empty() && req.method != "GET") {
    return responder.Send(ErrorResponse(BadRequest(
        "the namespace is missing from the path: use .../namespaces/NS/" + kind->plural)));
  }
  WriteResult out;
  if (req.method == "GET") {
    return HandleGet(req, *kind, path, info.verb == "watch", query, responder);
  }
  WriteOptions opts = OptionsFrom(query);
  opts.check = RbacWriteCheck(*kind, info, user);
  if (req.method == "POST" && path.name.empty()) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
      return responder.Send(ErrorResponse(BadRequest("the request body is not valid JSON")));
    }
    return SendWrite(
        responder,
        service.Create(*kind, path.version, path.ns, std::move(body), opts, &out),
        out, 201);
  }
  if (path.name.empty() && req.method == "DELETE" && !status_only) {
    return HandleDeleteCollection(req, *kind, path, query, responder);
  }
  if (path.name.empty()) {
    return responder.Send(ErrorResponse(
        MethodNotAllowed(req.method + " is not supported on a " + kind->plural + " collection")));
  }
  if (req.method == "PUT") {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
      return responder.Send(ErrorResponse(BadRequest("the request body is not valid JSON")));
    }
    return SendWrite(responder,
                     service.Update(*kind, path.version, path.ns, path.name, std::move(body),
                                    status_only, opts, &out),
                     out, 200);
  }
  if (req.method == "PATCH") {
    PatchType type = PatchTypeFromContentType(req.Header("content-type"));
    return SendWrite(responder,
                     service.Patch(*kind, path.version, path.ns, path.name, type, req.body,
                                   status_only, opts, &out),
                     out, 200);
  }
  if (req.method == "DELETE") {
    json obj;
    ApiError err = service.Delete(*kind, path.version, path.ns, path.name, &obj,
                                  OrphanRequested(req, query));
    return responder.Send(err.ok() ? JsonResponse(200, obj) : ErrorResponse(err));
  }
  responder.Send(ErrorResponse(MethodNotAllowed(req.method + " is not supported")));
}

}  // namespace ferry::api
