// Discovery documents: /version, legacy /api, /apis, /api/v1, /apis/{g}/{v},
// and the minimal OpenAPI v3 that tells kubectl the server validates fields
// itself (so apply and edit need no --validate=false). Built from the kind
// registry; pure functions. Internal to ferry_api.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::api {

nlohmann::json VersionInfo();
nlohmann::json CoreApiVersions(std::string_view server_address);
nlohmann::json ApiGroupList();
// nullopt when the group (or group/version) is not served.
std::optional<nlohmann::json> ApiGroup(std::string_view group);
std::optional<nlohmann::json> ApiResourceList(std::string_view group, std::string_view version);
nlohmann::json OpenApiV3Root();
// `path` is what follows /openapi/v3/, e.g. "apis/serving.kserve.io/v1beta1" or "api/v1".
std::optional<nlohmann::json> OpenApiV3Document(std::string_view path);

}  // namespace ferry::api
