// The RequestAuthentication stage (Envoy jwt_authn as configured by Istio):
// sanitize output headers, extract tokens from every configured location,
// verify each present token against the rules for its issuer, then expose
// principal/claims and apply outputClaimToHeaders / forwardOriginalToken.
#include <array>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "gateway/eval_context.h"

namespace ferry::gateway {
namespace {

// Finds `name=value` in a `sep`-separated list (a query string with '&', a
// Cookie header with ';' and optional spaces); sets *value on success.
bool FindListValue(std::string_view list, char sep, std::string_view name,
                   std::string_view* value) {
  while (!list.empty()) {
    std::string_view kv = list.substr(0, list.find(sep));
    list.remove_prefix(std::min(list.size(), kv.size() + 1));
    while (!kv.empty() && kv.front() == ' ') {
      kv.remove_prefix(1);
    }
    if (kv.size() > name.size() && kv.substr(0, name.size()) == name && kv[name.size()] == '=') {
      *value = kv.substr(name.size() + 1);
      return true;
    }
  }
  return false;
}

using nlohmann::json;

template <typename Fn>
void ForEachRule(const EvalContext& ctx, Fn&& fn) {
  for (const JwtRule* r : ctx.selected->jwt_rules) {
    fn(*r);
  }
}

bool SameLocation(const JwtLocation& a, const JwtLocation& b) {
  return a.kind == b.kind && a.name == b.name && a.prefix == b.prefix;
}

constexpr std::array<bool, 256> MakeJwtChars() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '=' || c == '+' || c == '/';
  }
  return t;
}
constexpr std::array<bool, 256> kJwtChars = MakeJwtChars();

bool IsJwtChar(char c) { return kJwtChars[static_cast<unsigned char>(c)]; }

// Per-thread memo of the tokens this thread verified last. Clients send the
// same token on every request; a hit skips the byte-by-byte scan for the
// token's end and the shared cache's hashing and lock (both proportional to
// the token, ~1 KB for a ServiceAccount token). Entries are copies of shared
// VerifyCache hits, keyed by snapshot id (a policy change misses), and are
// re-checked with VerifyCache::Fresh (age, JWKS generation) and exp/nbf at
// use time exactly like shared hits.
class RecentTokens {
 public:
  struct Entry {
    uint64_t snapshot_id = 0;
    std::string token;
    bool jwt_chars_only = false;  // usable for MatchPrefix
    VerifyCache::Hit hit;
  };

  // The entry whose token `value` starts with, ending where the JWT
  // characters of `value` end (the header-prefix extraction rule).
  const Entry* MatchPrefix(uint64_t snapshot_id, std::string_view value) const {
    for (const Entry& e : entries_) {
      size_t n = e.token.size();
      if (e.snapshot_id == snapshot_id && e.jwt_chars_only && value.size() >= n &&
          (value.size() == n || !IsJwtChar(value[n])) &&
          std::memcmp(value.data(), e.token.data(), n) == 0) {
        return &e;
      }
    }
    return nullptr;
  }

  const Entry* Find(uint64_t snapshot_id, std::string_view token) const {
    size_t i = IndexOf(snapshot_id, token);
    return i < entries_.size() ? &entries_[i] : nullptr;
  }

  void Remember(uint64_t snapshot_id, std::string_view token, const VerifyCache::Hit& hit) {
    size_t i = IndexOf(snapshot_id, token);
    Entry* slot = i < entries_.size() ? &entries_[i] : nullptr;
    if (slot == nullptr) {
      slot = &entries_[next_++ % entries_.size()];
      slot->snapshot_id = snapshot_id;
      slot->token.assign(token);
      slot->jwt_chars_only = !token.empty();
      for (char c : token) {
        slot->jwt_chars_only = slot->jwt_chars_only && IsJwtChar(c);
      }
    }
    slot->hit = hit;
  }

 private:
  size_t IndexOf(uint64_t snapshot_id, std::string_view token) const {
    size_t i = 0;
    while (i < entries_.size() &&
           !(entries_[i].snapshot_id == snapshot_id && entries_[i].token == token)) {
      ++i;
    }
    return i;
  }

  std::array<Entry, 4> entries_;
  size_t next_ = 0;
};

thread_local RecentTokens recent_tokens;

// Envoy: find the prefix anywhere in the value; take the JWT characters after it.
// *memo: the per-thread entry for the token when the prefix rule found it
// there (saves the scan and a lookup), else null.
bool Extract(const EvalContext& ctx, const JwtLocation& loc, uint64_t snapshot_id,
             std::string_view* token, const RecentTokens::Entry** memo) {
  std::string_view v;
  *memo = nullptr;
  switch (loc.kind) {
    case JwtLocation::Kind::kHeader: {
      if (!FindHeader(ctx, loc.name, &v)) {
        return false;
      }
      if (!loc.prefix.empty()) {
        size_t p = v.find(loc.prefix);
        if (p == std::string_view::npos) {
          return false;
        }
        v.remove_prefix(p + loc.prefix.size());
        if ((*memo = recent_tokens.MatchPrefix(snapshot_id, v)) != nullptr) {
          v = v.substr(0, (*memo)->token.size());
          break;
        }
        size_t n = 0;
        while (n < v.size() && IsJwtChar(v[n])) {
          ++n;
        }
        v = v.substr(0, n);
      }
      break;
    }
    case JwtLocation::Kind::kParam: {
      std::string_view q = ctx.query.empty() ? std::string_view() : ctx.query.substr(1);
      if (!FindListValue(q, '&', loc.name, &v)) {
        return false;
      }
      break;
    }
    case JwtLocation::Kind::kCookie: {
      std::string_view c;
      if (!FindHeader(ctx, "cookie", &c)) {
        return false;
      }
      if (!FindListValue(c, ';', loc.name, &v)) {
        return false;
      }
      break;
    }
  }
  *token = v;
  return !v.empty();
}

bool HasLocation(const JwtRule& r, const JwtLocation& loc) {
  for (const auto& l : r.locations) {
    if (SameLocation(l, loc)) {
      return true;
    }
  }
  return false;
}

// The rule's keys; null when they are still being fetched and the caller
// parks instead of waiting (ctx.jwks_pending is then set).
std::shared_ptr<const Jwks> KeysFor(const PolicySnapshot::Impl& snap, const EvalContext& ctx,
                                    const JwtRule& r) {
  if (r.inline_jwks) {
    return r.inline_jwks;
  }
  std::chrono::milliseconds timeout(r.timeout_ms);
  const EvalOptions* opt = ctx.options;
  if (opt == nullptr || !opt->can_park) {
    return snap.jwks->Get(r.issuer, r.jwks_uri, timeout);
  }
  JwksCache::Lookup found = snap.jwks->Find(r.issuer, r.jwks_uri, timeout);
  if (!found.pending) {
    return found.keys;
  }
  if (opt->jwks_wait_over) {
    return Jwks::Empty();  // fail closed, like istiod's placeholder key
  }
  ctx.jwks_pending = &r;
  return nullptr;
}

JwtStatus VerifyWithRule(const PolicySnapshot::Impl& snap, const EvalContext& ctx, const JwtRule& r,
                         const ParsedJwt& jwt, int64_t now) {
  JwtStatus s = CheckJwtTime(jwt.nbf, jwt.exp, now);
  if (s != JwtStatus::kOk) {
    return s;
  }
  if (!AudienceAllowed(r.audiences, jwt.aud)) {
    return JwtStatus::kAudienceNotAllowed;
  }
  std::shared_ptr<const Jwks> keys = KeysFor(snap, ctx, r);
  return keys ? VerifySignature(jwt, *keys) : JwtStatus::kOk;
}

std::shared_ptr<const VerifiedJwt> MakeVerified(ParsedJwt&& p) {
  auto v = std::make_shared<VerifiedJwt>();
  v->issuer = std::move(p.iss);
  v->subject = std::move(p.sub);
  v->principal = v->issuer + "/" + v->subject;
  v->presenter = std::move(p.azp);
  v->audiences = std::move(p.aud);
  v->exp = p.exp;
  v->nbf = p.nbf;
  v->payload_json = std::move(p.payload_json);
  v->claims = std::move(p.payload);
  return v;
}

struct TokenResult {
  JwtStatus status = JwtStatus::kOk;
  const JwtRule* rule = nullptr;
  std::shared_ptr<const VerifiedJwt> jwt;
};

TokenResult VerifyToken(const PolicySnapshot::Impl& snap, const EvalContext& ctx,
                        const JwtLocation& loc, std::string_view token, int64_t now,
                        const RecentTokens::Entry* memo) {
  TokenResult out;
  const uint64_t generation = snap.jwks->generation();
  // The uncached path uses the first rule for the token's issuer at this
  // location that verifies it; a hit counts only if that first candidate
  // is one the token already verified against.
  auto serve = [&](const VerifyCache::Hit& hit) {
    const JwtRule* first = nullptr;
    ForEachRule(ctx, [&](const JwtRule& r) {
      if (!first && r.issuer == hit.jwt->issuer && HasLocation(r, loc)) {
        first = &r;
      }
    });
    if (!first || !hit.Has(first)) {
      return false;
    }
    out.status = CheckJwtTime(hit.jwt->nbf, hit.jwt->exp, now);
    out.rule = first;
    out.jwt = hit.jwt;
    return true;
  };
  if (memo == nullptr) {
    memo = recent_tokens.Find(snap.id, token);
  }
  if (memo != nullptr && VerifyCache::Fresh(memo->hit, now, generation) && serve(memo->hit)) {
    return out;
  }
  VerifyCache::Hit hit;
  if (snap.verify_cache.Get(token, now, generation, &hit)) {
    recent_tokens.Remember(snap.id, token, hit);
    if (serve(hit)) {
      return out;
    }
  }
  ParsedJwt parsed;
  out.status = ParseJwt(token, &parsed);
  if (out.status != JwtStatus::kOk) {
    return out;
  }
  out.status = JwtStatus::kUnknownIssuer;
  bool done = false;
  ForEachRule(ctx, [&](const JwtRule& r) {
    if (done || r.issuer != parsed.iss || !HasLocation(r, loc)) {
      return;
    }
    JwtStatus s = VerifyWithRule(snap, ctx, r, parsed, now);
    if (ctx.jwks_pending != nullptr) {
      done = true;  // parked: nothing is decided or cached
      return;
    }
    if (s == JwtStatus::kOk) {
      out.status = s;
      out.rule = &r;
      done = true;
    } else if (out.status == JwtStatus::kUnknownIssuer) {
      out.status = s;  // report the first real failure
    }
  });
  if (done && ctx.jwks_pending == nullptr) {
    out.jwt = MakeVerified(std::move(parsed));
    snap.verify_cache.Put(token, out.rule, out.jwt, now, generation);
    // Remember the shared entry (it may list more rules than this one).
    if (snap.verify_cache.Get(token, now, generation, &hit)) {
      recent_tokens.Remember(snap.id, token, hit);
    }
  }
  return out;
}

void Reject(EvalContext& ctx, Decision& d, JwtStatus s) {
  d.allowed = false;
  d.denied_at = Decision::Stage::kJwt;
  d.status = s == JwtStatus::kAudienceNotAllowed ? 403 : 401;
  d.body.assign(JwtStatusString(s));
  d.content_type = "text/plain";
  std::string uri = std::string(ctx.req.scheme) + "://" + std::string(ctx.req.host);
  std::string path = std::string(ctx.path) + std::string(ctx.query);
  uri += path.substr(0, 256);
  d.downstream_headers.push_back(
      {"www-authenticate", "Bearer realm=\"" + uri + "\", error=\"invalid_token\""});
}

void ApplyOutputs(const EvalContext& ctx, Decision& d, const JwtRule& r, const JwtLocation& loc,
                  const VerifiedJwt& jwt) {
  std::string scratch;  // only for non-string claims
  for (const auto& [header, path] : r.claim_to_headers) {
    std::string_view v;
    if (jwt.ClaimView(path, &v, &scratch)) {
      d.SetUpstreamHeader(header, v);
    }
  }
  if (!r.output_payload_to_header.empty()) {
    d.SetUpstreamHeader(r.output_payload_to_header, Base64UrlEncode(jwt.payload_json));
  }
  if (!r.forward_original_token && loc.kind == JwtLocation::Kind::kHeader) {
    d.RemoveUpstreamHeader(loc.name);
  }
}

}  // namespace

bool RunJwtStage(const PolicySnapshot::Impl& snap, EvalContext& ctx, Decision& d, int64_t now,
                 std::string* explain) {
  // Sanitize: clients must not be able to inject claim headers.
  for (const std::string* header : ctx.selected->output_headers) {
    std::string_view unused;
    if (FindHeader(ctx, *header, &unused)) {
      d.RemoveUpstreamHeader(*header);
    }
  }
  if (ctx.selected->jwt_rules.empty()) {
    if (explain) {
      *explain += "JWT: no RequestAuthentication applies to this workload\n";
    }
    return true;
  }
  std::string_view v;
  if (ctx.req.method == "OPTIONS" && FindHeader(ctx, "origin", &v) &&
      FindHeader(ctx, "access-control-request-method", &v)) {
    if (explain) {
      *explain +=
          "JWT: CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) "
          "bypasses authentication\n";
    }
    return true;
  }
  // Visit each distinct location once, in rule order. Inline storage keeps
  // the common case (a handful of locations) free of allocations.
  std::array<const JwtLocation*, 16> seen_inline;
  size_t seen_count = 0;
  std::vector<const JwtLocation*> seen_overflow;
  JwtStatus failure = JwtStatus::kOk;
  bool failed = false;
  ForEachRule(ctx, [&](const JwtRule& r) {
    for (const auto& loc : r.locations) {
      if (failed) {
        return;
      }
      bool dup = false;
      for (size_t i = 0; i < seen_count && !dup; ++i) {
        dup = SameLocation(*seen_inline[i], loc);
      }
      for (const JwtLocation* l : seen_overflow) {
        dup = dup || SameLocation(*l, loc);
      }
      std::string_view token;
      const RecentTokens::Entry* memo = nullptr;
      if (dup || !Extract(ctx, loc, snap.id, &token, &memo)) {
        continue;
      }
      if (seen_count < seen_inline.size()) {
        seen_inline[seen_count++] = &loc;
      } else {
        seen_overflow.push_back(&loc);
      }
      TokenResult res = VerifyToken(snap, ctx, loc, token, now, memo);
      if (ctx.jwks_pending != nullptr) {
        failed = true;
        return;
      }
      if (res.status != JwtStatus::kOk) {
        failure = res.status;
        failed = true;
        return;
      }
      if (!d.jwt) {
        d.jwt = res.jwt;
        ctx.jwt = d.jwt.get();
        ctx.jwt_rule = res.rule;
      }
      ApplyOutputs(ctx, d, *res.rule, loc, *res.jwt);
    }
  });
  if (ctx.jwks_pending != nullptr) {
    const JwtRule& r = *ctx.jwks_pending;
    d.allowed = false;
    d.pending.kind = PendingWork::Kind::kJwks;
    d.pending.issuer = r.issuer;
    d.pending.jwks_uri = r.jwks_uri;
    d.pending.timeout = std::chrono::milliseconds(r.timeout_ms);
    return false;
  }
  if (failed) {
    Reject(ctx, d, failure);
    if (explain) {
      *ctx.headline =
          "RequestAuthentication rejected the token: " + std::string(JwtStatusString(failure)) +
          " (Envoy's jwt_authn answers " + std::to_string(d.status) + ")";
    }
    return false;
  }
  if (explain) {
    *explain += d.jwt ? "JWT: valid token, request.auth.principal=" + d.jwt->principal +
                            " (RequestAuthentication " + ctx.jwt_rule->policy + ")\n"
                      : std::string(
                            "JWT: no token present, so no request principal (a missing "
                            "token is not an error; ALLOW/DENY rules decide)\n");
  }
  return true;
}

}  // namespace ferry::gateway
