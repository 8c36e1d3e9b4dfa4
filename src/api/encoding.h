// Small encoders shared by the API server (Secret data, JWTs, uids, times).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/base64.h"  // Secret data and JWTs are base64

namespace ferry::api {

std::string NewUid();                                // random RFC 4122 v4
std::string Rfc3339(std::chrono::system_clock::time_point t);
// MicroTime ("2026-12-07T07:53:48.123456Z"), as Lease.spec.renewTime.
std::string Rfc3339Micro(std::chrono::system_clock::time_point t);
// Parses "2024-01-02T03:04:05Z"; false on anything else.
bool ParseRfc3339(std::string_view s, std::chrono::system_clock::time_point* t);
// Kubernetes' HumanDuration: "3s", "5m10s", "2d", ...
std::string HumanDuration(std::chrono::seconds d);

}  // namespace ferry::api
