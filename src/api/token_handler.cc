// POST .../serviceaccounts/NAME/token (TokenRequest): what `kubectl create
// token` calls. Signs {iss, sub, aud, exp, iat, nbf, kubernetes.io} with the
// injected TokenSigner.
#include <chrono>

#include "api/api_server_impl.h"
#include "api/encoding.h"

namespace ferry::api {

using nlohmann::json;

void ApiServer::Impl::HandleToken(http::HttpRequest& req, const ResourcePath& path,
                                  const http::Responder& responder) {
  const KindInfo& sa_kind = *FindKindByResource("", "v1", "serviceaccounts");
  json sa;
  ApiError err = service.Get(sa_kind, "v1", path.ns, path.name, &sa);
  if (!err.ok()) return responder.Send(ErrorResponse(err));
  if (signer == nullptr) {
    return responder.Send(
        ErrorResponse(InternalServerError("this server has no token signer configured")));
  }
  json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);

  if (!body.is_object()) {
    return responder.Send(ErrorResponse(BadRequest("the TokenRequest body is not a JSON object")));
  }
  json spec = body.value("spec", json::object());
  if (!spec.is_object()) spec = json::object();
  json audiences = spec.value("audiences", json::array());
  if (!audiences.is_array() || audiences.empty()) audiences = json::array({options.issuer});
  const json& exp = At(spec, "expirationSeconds");
  int64_t seconds = exp.is_number_integer() ? exp.get<int64_t>() : 3600;
  if (seconds < 600) {
    return responder.Send(
        ErrorResponse(Invalid(sa_kind, path.name,
                              {{"spec.expirationSeconds", "FieldValueInvalid",
                                "Invalid value: " + std::to_string(seconds) +
                                    ": may not specify a duration less than 10 minutes"}})));
  }
  seconds = std::min<int64_t>(seconds, options.max_token_lifetime.count());
  auto now = std::chrono::system_clock::now();
  int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  json claims = {
      {"iss", options.issuer},
      {"sub", "system:serviceaccount:" + path.ns + ":" + path.name},
      {"aud", audiences},
      {"iat", iat},
      {"nbf", iat},
      {"exp", iat + seconds},
      {"jti", NewUid()},
      {"kubernetes.io",
       {{"namespace", path.ns},
        {"serviceaccount", {{"name", path.name}, {"uid", StringAt(sa, "metadata.uid")}}}}}};
  auto token = signer->Sign(claims);
  if (!token.ok())
    return responder.Send(ErrorResponse(InternalServerError(token.status().message())));
  spec["audiences"] = audiences;
  spec["expirationSeconds"] = seconds;
  json resp = {
      {"kind", "TokenRequest"},
      {"apiVersion", "authentication.k8s.io/v1"},
      {"metadata", {{"name", path.name}, {"namespace", path.ns}, {"creationTimestamp", nullptr}}},
      {"spec", spec},
      {"status",
       {{"token", *token}, {"expirationTimestamp", Rfc3339(now + std::chrono::seconds(seconds))}}}};
  responder.Send(JsonResponse(201, resp));
}

}  // namespace ferry::api
