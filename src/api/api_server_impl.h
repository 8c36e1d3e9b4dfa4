// ApiServer internals shared by api_server.cc (routing, auth, discovery),
// resource_handlers.cc (CRUD, watch) and token_handler.cc. Internal.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "api/api_error.h"
#include "api/rbac_state.h"
#include "auth/authenticator.h"
#include "auth/request_info.h"
#include "api/api_server.h"
#include "api/isvc_logs.h"
#include "api/log_follow.h"
#include "api/object_service.h"
#include "api/pod_metrics.h"
#include "api/request_path.h"
#include "api/resource_client.h"
#include "api/token_signer.h"
#include "api/watch_hub.h"

namespace ferry::api {

using Query = std::map<std::string, std::string, std::less<>>;
using WriteCheck = std::function<ApiError(const nlohmann::json& obj, const nlohmann::json* old)>;

struct ApiServer::Impl {
  Impl(store::ResourceStore* store, TokenSigner* signer, ApiServerOptions opts);

  // authorization.cc: the request's user (anonymous without a credential;
  // 401 for a bad one), impersonation, and the 403 of a denied decision.
  ApiError Authenticate(http::HttpRequest& req, auth::UserInfo* user) const;
  ApiError Impersonate(http::HttpRequest& req, auth::UserInfo* user);
  ApiError Authorize(const auth::Attributes& attrs);
  // The escalation check for writes of RBAC objects by `user` (null when none applies).
  WriteCheck RbacWriteCheck(const KindInfo& kind, const auth::RequestInfo& info,
                            const auth::UserInfo& user);

  void HandleResource(http::HttpRequest& req, const ResourcePath& path,
                      const auth::RequestInfo& info, const auth::UserInfo& user,
                      const Query& query, const http::Responder& responder);
  void HandleToken(http::HttpRequest& req, const ResourcePath& path,
                   const http::Responder& responder);
  void HandleLog(const ResourcePath& path, const Query& query,
                 const http::Responder& responder);
  // GET .../inferenceservices/NAME/series, authorized again as `get` on the model.
  void HandleSeries(const ResourcePath& path, const auth::UserInfo& user,
                    const http::Responder& responder);
  // pod_logs.cc: GET /api/v1/namespaces/NS/pods/NAME/log (kubectl logs).
  void HandlePodLog(const ResourcePath& path, const Query& query,
                    const http::Responder& responder);
  void HandleGet(http::HttpRequest& req, const KindInfo& kind, const ResourcePath& path,
                 bool watch, const Query& query, const http::Responder& responder);
  // pod_metrics.cc: metrics.k8s.io PodMetrics (kubectl top pod).
  void HandleMetrics(http::HttpRequest& req, const KindInfo& kind, const ResourcePath& path,
                     bool watch, const Query& query, const http::Responder& responder);
  // DELETE on a collection (deletecollection, authorized as that verb): deletes every object
  // the label/field selectors match, one by one as kube-apiserver does, and answers the list
  // of what it deleted.
  void HandleDeleteCollection(const http::HttpRequest& req, const KindInfo& kind,
                              const ResourcePath& path, const Query& query,
                              const http::Responder& responder);
  // kfam_handler.cc: /kfam/v1/bindings (profile contributors), authorized
  // on the RoleBinding it writes rather than on its URL.
  void HandleKfam(http::HttpRequest& req, std::string_view path, const auth::UserInfo& user,
                  const Query& query, const http::Responder& responder);
  void HandleReview(http::HttpRequest& req, const KindInfo& kind, const ResourcePath& path,
                    const auth::UserInfo& user, const http::Responder& responder);

  ApiServerOptions options;
  store::ResourceStore* store;  // writes are answered once store->Sync() has them on disk
  ObjectService service;
  ResourceClient client;
  WatchHub watches;
  TokenSigner* signer;
  IsvcLogs logs;
  LogFollowers followers;  // after logs: it listens to them
  std::function<bool()> ready;  // null = always ready
  UsageSource usage;            // null = no pod reports usage
  ApiServer::SeriesSource series;  // null = no traffic series here
  RbacState rbac;
  std::unique_ptr<auth::Authenticator> authn;
};

http::HttpResponse JsonResponse(int status, const nlohmann::json& body,
                                  std::string content_type = "application/json");
http::HttpResponse ErrorResponse(const ApiError& err);
// "Warning: 299 - \"...\"" headers, quotes escaped so client-go keeps them.
void AddWarnings(http::HttpResponse* resp, const std::vector<std::string>& warnings);

}  // namespace ferry::api
