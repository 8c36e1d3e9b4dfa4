// JSON Web Key Sets: parsing into OpenSSL 3 EVP keys, signature verification
// of a ParsedJwt (RS/PS/ES/EdDSA/HS), and JwksCache, the cache of keys
// fetched from `jwksUri` (or via OIDC discovery from the issuer), refreshed
// in the background (jwks_cache.cc).
//
// Jwks objects are immutable after parsing and shared by shared_ptr; EVP keys
// are only used read-only, so verification is thread-safe. The fetcher is
// injectable so tests never touch the network.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "gateway/async_http.h"
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
  using Done = std::function<void(StatusOr<std::string>)>;
  virtual ~JwksFetcher() = default;
  virtual StatusOr<std::string> Fetch(const std::string& url,
                                      std::chrono::milliseconds timeout) = 0;
  // Calls `done` exactly once, from any thread. The default fetches on the
  // calling thread (JwksCache calls it from its refresher thread).
  virtual void FetchAsync(const std::string& url, std::chrono::milliseconds timeout, Done done) {
    done(Fetch(url, timeout));
  }
};

// libcurl-backed fetcher (http/https, at most 3 redirects followed). With a
// client, FetchAsync runs on it and never blocks the caller.
std::shared_ptr<JwksFetcher> MakeCurlJwksFetcher(std::shared_ptr<AsyncHttpClient> client = nullptr);

// JwksCache: the keys of every `jwksUri` (or issuer, through OIDC discovery)
// that a RequestAuthentication names, fetched and refreshed in the
// background as istiod does [IST-AUTHN jwks_resolver]: a key set is fetched
// when first asked for, then refreshed every refresh_interval while it is in
// use; a failed fetch is retried after retry_initial, doubling up to
// retry_max, and the last good keys stay in use meanwhile; a key set nobody
// asked for in 7 days is dropped. Fails closed: keys that were never fetched
// successfully are an empty set (every token fails with "Jwks doesn't have
// key to match kid or alg from Jwt").
//
// Request threads never fetch: Find() answers from memory, and reports
// `pending` only while the very first fetch of a key set is running — the
// listeners then park the request (WhenFetched) until it ends or its
// RequestAuthentication timeout passes. Get() is the blocking form for
// callers that may wait (tests, tools).
//
// Threads: all methods are thread-safe. One refresher thread per cache
// (started on first use, unless Options::background is false; then
// RunDue() does its work, for deterministic tests) starts fetches through the
// fetcher's FetchAsync and expires waiters; waiter callbacks run on that
// thread or on the fetcher's, and must be quick.
class JwksCache {
 public:
  struct Options {
    std::chrono::seconds refresh_interval{20 * 60};  // PILOT_JWT_PUB_KEY_REFRESH_INTERVAL
    std::chrono::seconds retry_initial{60};          // after a failed fetch, doubling ...
    std::chrono::seconds retry_max{60 * 60};         // ... up to this
    std::chrono::hours evict_unused{7 * 24};         // istiod's JwtPubKeyEvictionDuration
    bool background = true;                          // false: no thread, see RunDue
    std::function<std::chrono::steady_clock::time_point()> clock;  // tests; default steady
  };
  JwksCache(std::shared_ptr<JwksFetcher> fetcher, Options options);
  explicit JwksCache(std::shared_ptr<JwksFetcher> fetcher)
      : JwksCache(std::move(fetcher), Options()) {}
  ~JwksCache();
  JwksCache(const JwksCache&) = delete;
  JwksCache& operator=(const JwksCache&) = delete;

  struct Lookup {
    std::shared_ptr<const Jwks> keys;  // never null unless pending
    bool pending = false;              // the first fetch has not finished yet
  };
  // Keys for `jwks_uri` (or, when empty, from `<issuer>/.well-known/openid-
  // configuration`), without waiting: the current set, even if a refresh is
  // due (it runs in the background); or pending while the first fetch runs
  // (started now if needed); or Jwks::Empty() when it failed.
  Lookup Find(const std::string& issuer, const std::string& jwks_uri,
              std::chrono::milliseconds timeout);
  // Calls `ready(false)` once the first fetch of that key set has ended
  // (at once, on this thread, when it has), or `ready(true)` at `deadline`
  // if it has not. Returns a ticket for CancelWait (0 when called at once).
  using Ready = std::function<void(bool timed_out)>;
  uint64_t WhenFetched(const std::string& issuer, const std::string& jwks_uri,
                       std::chrono::steady_clock::time_point deadline, Ready ready);
  // Drops a waiter; true when it was still waiting (it will never be called),
  // false when it has been or is being called.
  bool CancelWait(uint64_t ticket);
  // Find(), waiting up to `timeout` for a first fetch. Blocks.
  std::shared_ptr<const Jwks> Get(const std::string& issuer, const std::string& jwks_uri,
                                  std::chrono::milliseconds timeout);
  // One pass of the refresher: starts the fetches that are due, expires
  // waiters, evicts unused key sets. Returns when the next pass is due.
  std::chrono::steady_clock::time_point RunDue();
  // Stops the refresher thread (pending waiters are called timed out).
  void Shutdown();

  // Last fetch error for a key ("" if fine) — for explanations and status.
  std::string LastError(const std::string& issuer, const std::string& jwks_uri);
  int fetch_count() const;
  // Bumped whenever a refresh replaces some key set with different keys:
  // verification results cached under an older generation are stale.
  uint64_t generation() const;

  struct State;  // jwks_cache.cc

 private:
  std::shared_ptr<State> state_;
};

// The process-wide cache used by snapshots built without one (curl fetcher,
// blocking fetches on its refresher thread).
std::shared_ptr<JwksCache> DefaultJwksCache();

}  // namespace ferry::gateway
