// security.istio.io v1 and v1beta1: AuthorizationPolicy and
// RequestAuthentication. Both versions share one store; v1 is preferred.
#include "api/kinds.h"

namespace ferry::api {

void AddIstioKinds(std::vector<KindInfo>* kinds) {
  KindInfo ap;
  ap.group = "security.istio.io";
  ap.versions = {"v1", "v1beta1"};
  ap.plural = "authorizationpolicies";
  ap.singular = "authorizationpolicy";
  ap.kind = "AuthorizationPolicy";
  ap.short_names = {"ap"};
  ap.categories = {"istio-io", "security-istio-io"};
  ap.status_subresource = true;
  ap.columns = {{"Action"}};
  ap.cells = [](const nlohmann::json& o) {
    std::string action = StringAt(o, "spec.action");
    return nlohmann::json::array({action.empty() ? nlohmann::json() : nlohmann::json(action)});
  };
  ap.validate = ValidateAuthorizationPolicy;
  ap.warnings = AuthorizationPolicyWarnings;
  ap.schema = R"({"spec":{"selector":"*","targetRef":"*","targetRefs":"*","action":"*",
                  "provider":"*","rules":"*"},"status":"*"})";
  kinds->push_back(ap);

  KindInfo ra = ap;
  ra.plural = "requestauthentications";
  ra.singular = "requestauthentication";
  ra.kind = "RequestAuthentication";
  ra.short_names = {"ra"};
  ra.columns = {};
  ra.cells = nullptr;
  ra.validate = ValidateRequestAuthentication;
  ra.warnings = nullptr;
  ra.schema = R"({"spec":{"selector":"*","targetRef":"*","targetRefs":"*","jwtRules":"*"},
                  "status":"*"})";
  kinds->push_back(ra);
}

}  // namespace ferry::api
