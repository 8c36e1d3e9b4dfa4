// Fuzz target: any byte string must parse (or fail) as a JWT / JWKS without
// crashing; parsed tokens are run through signature verification against an
// empty key set.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/jwks.h"
#include "gateway/jwt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ferry::gateway::ParsedJwt jwt;
  if (ferry::gateway::ParseJwt(in, &jwt) == ferry::gateway::JwtStatus::kOk) {
    (void)ferry::gateway::VerifySignature(jwt, *ferry::gateway::Jwks::Empty());
  }
  ferry::gateway::JwtStatus status;
  auto jwks = ferry::gateway::Jwks::Parse(in, &status);
  if (jwks && ferry::gateway::ParseJwt(in, &jwt) == ferry::gateway::JwtStatus::kOk) {
    (void)ferry::gateway::VerifySignature(jwt, *jwks);
  }
  return 0;
}
