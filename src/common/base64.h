// Base64 (RFC 4648), the one implementation every folder uses: the standard
// alphabet with padding (Kubernetes Secret data, kubeconfig certificate
// data, MLServer's `base64` content type) and the URL-safe alphabet without
// padding (JWTs, JWKS key material).
//
// Decoders accept the text with or without its `=` padding and refuse any
// character outside their alphabet (no whitespace, no mixing of the two
// alphabets) and impossible lengths; on refusal `out` is unspecified.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ferry {

std::string Base64Encode(std::string_view bytes);     // standard alphabet, padded
std::string Base64UrlEncode(std::string_view bytes);  // URL-safe alphabet, no padding

bool Base64Decode(std::string_view text, std::string* out);
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace ferry
