// Internal: the compiled policy model shared by the snapshot compiler
// (policy_compile.cc), the engine (engine.cc) and the explainer
// (explain.cc). Not part of the public API.
#pragma once

#include <array>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/ext_authz.h"
#include "gateway/jwks.h"
#include "gateway/jwt.h"
#include "gateway/match.h"
#include "gateway/path.h"
#include "gateway/request.h"
#include "gateway/snapshot.h"

namespace ferry::gateway {

enum class Action : uint8_t { kAllow, kDeny, kAudit, kCustom };
std::string_view ActionName(Action a);

enum class Attr : uint8_t {
  kSourcePrincipal,
  kSourceNamespace,
  kSourceServiceAccount,
  kSourceTrustDomain,
  kRequestPrincipal,
  kSourceIp,
  kRemoteIp,
  kDestIp,
  kDestPort,
  kHost,
  kMethod,
  kPath,
  kHeader,
  kClaim,
  kAudience,
  kPresenter,
  kSni,
};
bool IsHttpOnly(Attr a);

struct Value {
  std::string raw;    // as written in the policy
  StringPattern str;  // most attributes; iss part for request principals
  StringPattern sub;  // request principals: sub part
  bool has_sub = false;
  bool header_present = false;  // request.headers[..] "*": header exists
  std::optional<PathTemplate> tmpl;
  std::optional<Cidr> cidr;
  std::string glob;  // namespaces: "*/ns/<v>/*"
  std::string sa_ns, sa_name;
  uint32_t port = 0;
};

// One field of a source / operation / condition: NOT? (OR of values).
struct Clause {
  Attr attr;
  bool negate = false;
  std::string field;  // "from.principals", "when request.headers[x] notValues", ...
  std::string key;    // header name (lower case)
  std::vector<std::string> claim_path;
  bool split_spaces = false;  // scope / permission / spaceDelimitedClaims
  std::vector<Value> values;
};

struct Group {  // AND of clauses
  std::vector<Clause> clauses;
};

struct Rule {
  std::vector<Group> from;  // OR; empty = any
  std::vector<Group> to;    // OR; empty = any
  Group when;               // AND
};

struct Policy {
  std::string name;
  std::string ns;
  Action action = Action::kAllow;
  bool has_selector = false;
  std::map<std::string, std::string, std::less<>> selector;
  bool dry_run = false;
  std::string provider;
  std::vector<Rule> rules;
};

struct JwtLocation {
  enum class Kind : uint8_t { kHeader, kParam, kCookie } kind;
  std::string name;    // header lower-case / param / cookie name
  std::string prefix;  // header only
};

struct JwtRule {
  std::string policy;  // "ns/name"
  std::string issuer;
  std::vector<std::string> audiences;
  std::shared_ptr<const Jwks> inline_jwks;
  std::string jwks_uri;
  std::vector<JwtLocation> locations;
  std::string output_payload_to_header;
  bool forward_original_token = false;
  std::vector<std::pair<std::string, std::vector<std::string>>> claim_to_headers;
  std::vector<std::string> space_delimited_claims;
  int64_t timeout_ms = 5000;
};

struct RequestAuthn {
  std::string name;
  std::string ns;
  bool has_selector = false;
  std::map<std::string, std::string, std::less<>> selector;
  std::vector<JwtRule> rules;
};

// Bounded LRU of verified tokens -> (the rules it verified against, result).
// One token usually passes several workloads (gateway, then predictor) whose
// rules differ, so an entry remembers a few rules.
class VerifyCache {
 public:
  explicit VerifyCache(size_t max) : max_(max) {}
  void SetMax(size_t max) { max_ = max; }
  struct Hit {
    std::array<const JwtRule*, 4> rules{};
    std::shared_ptr<const VerifiedJwt> jwt;
    int64_t cached_at = 0;         // unix seconds
    uint64_t jwks_generation = 0;  // JwksCache::generation() before verifying
    bool Has(const JwtRule* r) const {
      for (const JwtRule* x : rules) {
        if (x == r) {
          return true;
        }
      }
      return false;
    }
  };
  // Entries older than kMaxAgeSeconds are re-verified so that a key removed
  // from the JWKS stops being accepted within that time.
  // Entries verified against an older key set (a JWKS refresh changed some
  // keys since) are dropped too.
  static constexpr int64_t kMaxAgeSeconds = 300;
  static bool Fresh(const Hit& hit, int64_t now, uint64_t jwks_generation) {
    return now - hit.cached_at <= kMaxAgeSeconds && now >= hit.cached_at &&
           hit.jwks_generation == jwks_generation;
  }
  bool Get(std::string_view token, int64_t now, uint64_t jwks_generation, Hit* out);
  void Put(std::string_view token, const JwtRule* rule, std::shared_ptr<const VerifiedJwt> jwt,
           int64_t now, uint64_t jwks_generation);
  size_t size();

 private:
  struct Node {
    std::string token;
    Hit hit;
  };
  std::mutex mu_;
  size_t max_;
  std::list<Node> lru_;
  std::unordered_map<std::string_view, std::list<Node>::iterator> index_;
};

// The policies and JWT rules that apply to one workload (namespace + labels),
// in Istio's visiting order: the workload's namespace first, then the root
// namespace. Computed once per snapshot and workload (Impl::Select) so that a
// request evaluates no selectors and looks up no namespaces.
struct WorkloadPolicies {
  std::vector<const Policy*> policies;
  std::vector<const JwtRule*> jwt_rules;
  // outputClaimToHeaders / outputPayloadToHeader names of jwt_rules, first
  // occurrence order: clients must not be able to inject them.
  std::vector<const std::string*> output_headers;
};

struct PolicySnapshot::Impl {
  // Selected policies for `w`: a cached entry (valid as long as the snapshot),
  // or, once the cache is full, `*scratch` filled for this call (null when
  // scratch is null). Thread-safe.
  const WorkloadPolicies* Select(const Workload& w, WorkloadPolicies* scratch) const;
  void Compute(const Workload& w, WorkloadPolicies* out) const;

  uint64_t id = 0;  // process-unique, for per-thread memos keyed by snapshot
  std::string root_ns = "istio-system";
  uint32_t num_trusted_proxies = 0;
  PathNormalization path_normalization = PathNormalization::kBase;
  std::vector<Policy> policies;
  std::vector<RequestAuthn> authns;
  std::map<std::string, std::vector<size_t>, std::less<>> policies_by_ns;
  std::map<std::string, std::vector<size_t>, std::less<>> authns_by_ns;
  std::map<std::string, ExtAuthzProvider, std::less<>> providers;
  std::shared_ptr<JwksCache> jwks;
  mutable VerifyCache verify_cache{4096};

  // Select() cache: (namespace, labels) -> selection. Bounded; entries live
  // as long as the snapshot (a policy change builds a new snapshot).
  struct WorkloadKey {
    std::string ns;
    std::map<std::string, std::string, std::less<>> labels;
  };
  struct WorkloadKeyLess {
    using is_transparent = void;
    static bool Less(std::string_view an, const std::map<std::string, std::string, std::less<>>& al,
                     std::string_view bn,
                     const std::map<std::string, std::string, std::less<>>& bl) {
      return an != bn ? an < bn : al < bl;
    }
    bool operator()(const WorkloadKey& a, const WorkloadKey& b) const {
      return Less(a.ns, a.labels, b.ns, b.labels);
    }
    bool operator()(const WorkloadKey& a, const Workload& b) const {
      return Less(a.ns, a.labels, b.name_space, b.labels);
    }
    bool operator()(const Workload& a, const WorkloadKey& b) const {
      return Less(a.name_space, a.labels, b.ns, b.labels);
    }
  };
  static constexpr size_t kMaxSelections = 1024;
  mutable std::mutex select_mu;
  mutable std::map<WorkloadKey, std::unique_ptr<const WorkloadPolicies>, WorkloadKeyLess>
      selections;  // guarded by select_mu
};

// Compilers (policy_compile.cc).
StatusOr<Policy> CompileAuthorizationPolicy(const nlohmann::json& object);
StatusOr<RequestAuthn> CompileRequestAuthentication(const nlohmann::json& object);

// Selector subset match.
bool SelectorMatches(const std::map<std::string, std::string, std::less<>>& selector,
                     const std::map<std::string, std::string, std::less<>>& labels);

}  // namespace ferry::gateway
