// Request-side inputs of the gateway security engine: the workload a policy
// is evaluated for and the attributes of one HTTP (or TCP) request.
//
// Built by the HTTP layer per request (views into its own buffers, no copies)
// and passed by const reference to Evaluate(); nothing here is retained after
// Evaluate() returns. Workload objects are long-lived and owned by the caller.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace ferry::gateway {

// A header as seen on the wire. Names compare case-insensitively.
struct Header {
  std::string_view name;
  std::string_view value;
};

// An owned header, used in decisions (headers to add/override).
struct OwnedHeader {
  std::string name;  // lower case
  std::string value;
  friend bool operator==(const OwnedHeader&, const OwnedHeader&) = default;
};

// The identity policies are selected for: namespace + pod labels. The
// built-in gateway is {istio-system, app=istio-ingressgateway,
// istio=ingressgateway}; each predictor is {its namespace, its labels}.
struct Workload {
  std::string name_space;
  std::map<std::string, std::string, std::less<>> labels;
  std::string name;  // for explanations only, e.g. "irish-s3"

  static Workload IngressGateway();
};

// Peer principal of the built-in gateway as a predictor sees it.
inline constexpr std::string_view kIngressGatewayPrincipal =
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";

struct RequestAttributes {
  bool http = true;                  // false: plain TCP (HTTP-only attributes absent)
  std::string_view scheme = "http";  // for the JWT www-authenticate realm
  std::string_view method;           // ":method"
  std::string_view host;             // ":authority" / Host, port included
  std::string_view path;             // raw request target path, query included
  std::span<const Header> headers;   // duplicates allowed, joined with ',' for matching
  uint32_t destination_port = 0;
  std::string_view destination_ip;
  std::string_view source_ip;         // direct peer address
  std::string_view remote_ip;         // empty: derived from X-Forwarded-For / source_ip
  std::string_view source_principal;  // peer SAN without "spiffe://"; empty = no mTLS identity
  std::string_view sni;
};

}  // namespace ferry::gateway
