// JSON Web Key Sets: parsing into OpenSSL 3 EVP keys, signature verification
// of a ParsedJwt (RS/PS/ES/EdDSA/HS), and JwksCache, the process-wide cache of
// keys fetched from `jwksUri` (or via OIDC discovery from the issuer).
//
// Jwks objects are immutable after parsing and shared by shared_ptr; EVP keys
// are only used read-only, so verification is thread-safe. JwksCache is
// thread-safe; a fetch blocks only callers waiting for the same URI. The
// fetcher is injectable so tests never touch the network.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "gateway/jwt.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace ferry::gateway {

class Jwks {
 public:
  struct Key {
    std::string kid;
    std::string alg;  // optional "alg" of the JWK
    std::string kty;  // RSA, EC, OKP, oct
    std::string crv;
    std::shared_ptr<EVP_PKEY> pkey;  // null for oct
    std::string secret;              // oct only
  };

  // Parses a JWKS document; on failure *status is one of the kJwks* codes.
  static std::shared_ptr<const Jwks> Parse(std::string_view text, JwtStatus* status);
  // A key set no token can match (istiod's fail-closed placeholder).
  static std::shared_ptr<const Jwks> Empty();

  const std::vector<Key>& keys() const { return keys_; }

 private:
  std::vector<Key> keys_;
};

// jwt_verify_lib verifyJwtWithoutTimeChecking: kOk, kVerificationFail (some
// key fit kid/alg but the signature was wrong), kKidAlgMismatch (no key fit),
// kEd25519WrongLength.
JwtStatus VerifySignature(const ParsedJwt& jwt, const Jwks& jwks);

// Fetches a URL body. Injectable for tests.
class JwksFetcher {
 public:
  virtual ~JwksFetcher() = default;
  virtual StatusOr<std::string> Fetch(const std::string& url,
                                      std::chrono::milliseconds timeout) = 0;
};

// libcurl-backed fetcher (http/https, no redirects followed beyond 3).
std::shared_ptr<JwksFetcher> MakeCurlJwksFetcher();

class JwksCache {
 public:
  struct Options {
    std::chrono::seconds refresh_interval{20 * 60};  // PILOT_JWT_PUB_KEY_REFRESH_INTERVAL
    std::chrono::seconds retry_initial{60};          // after a failed fetch, doubling ...
    std::chrono::seconds retry_max{60 * 60};         // ... up to this
    std::function<std::chrono::steady_clock::time_point()> clock;  // tests; default steady
  };
  JwksCache(std::shared_ptr<JwksFetcher> fetcher, Options options);
  explicit JwksCache(std::shared_ptr<JwksFetcher> fetcher)
      : JwksCache(std::move(fetcher), Options()) {}

  // Keys for `jwks_uri` (or, when empty, from `<issuer>/.well-known/openid-
  // configuration`). Fetches when absent or stale; while one thread refreshes
  // a stale set the others keep using it (only the very first fetch blocks
  // callers). Fails closed: returns the last good key set, or Jwks::Empty()
  // if there never was one.
  std::shared_ptr<const Jwks> Get(const std::string& issuer, const std::string& jwks_uri,
                                  std::chrono::milliseconds timeout);

  // Last fetch error for a key ("" if fine) — for explanations and status.
  std::string LastError(const std::string& issuer, const std::string& jwks_uri);
  int fetch_count() const { return fetch_count_; }
  // Bumped whenever a refresh replaces some key set with different keys:
  // verification results cached under an older generation are stale.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  struct Entry {
    std::mutex fetch_mu;  // one fetch at a time per URI
    std::mutex mu;        // guards the fields below (never held while fetching)
    std::shared_ptr<const Jwks> keys;
    std::string keys_text;  // the JWKS document `keys` was parsed from
    std::chrono::steady_clock::time_point next_fetch{};
    std::chrono::seconds backoff{0};
    std::string error;
  };
  std::shared_ptr<Entry> EntryFor(const std::string& key);
  void Refresh(Entry& e, const std::string& issuer, const std::string& jwks_uri,
               std::chrono::milliseconds timeout);
  std::chrono::steady_clock::time_point Now() const;

  std::shared_ptr<JwksFetcher> fetcher_;
  Options options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::atomic<int> fetch_count_{0};
  std::atomic<uint64_t> generation_{0};
};

}  // namespace ferry::gateway
