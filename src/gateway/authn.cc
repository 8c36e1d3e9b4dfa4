// The RequestAuthentication stage (Envoy jwt_authn as configured by Istio):
// sanitize output headers, extract tokens from every configured location,
// verify each present token against the rules for its issuer, then expose
// principal/claims and apply outputClaimToHeaders / forwardOriginalToken.
#include <array>
#include <chrono>
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
void ForEachRule(const PolicySnapshot::Impl& snap, const Workload& w, Fn&& fn) {
  auto visit = [&](std::string_view ns) {
    auto it = snap.authns_by_ns.find(ns);
    if (it == snap.authns_by_ns.end()) {
      return;
    }
    for (size_t idx : it->second) {
      const RequestAuthn& ra = snap.authns[idx];
      if (ra.has_selector && !SelectorMatches(ra.selector, w.labels)) {
        continue;
      }
      for (const auto& r : ra.rules) {
        fn(r);
      }
    }
  };
  visit(w.name_space);
  if (w.name_space != snap.root_ns) {
    visit(snap.root_ns);
  }
}

bool SameLocation(const JwtLocation& a, const JwtLocation& b) {
  return a.kind == b.kind && a.name == b.name && a.prefix == b.prefix;
}

bool IsJwtChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '=' || c == '+' || c == '/';
}

// Envoy: find the prefix anywhere in the value; take the JWT characters after it.
bool Extract(const EvalContext& ctx, const JwtLocation& loc, std::string_view* token) {
  std::string_view v;
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

JwtStatus VerifyWithRule(const PolicySnapshot::Impl& snap, const JwtRule& r, const ParsedJwt& jwt,
                         int64_t now) {
  JwtStatus s = CheckJwtTime(jwt.nbf, jwt.exp, now);
  if (s != JwtStatus::kOk) {
    return s;
  }
  if (!AudienceAllowed(r.audiences, jwt.aud)) {
    return JwtStatus::kAudienceNotAllowed;
  }
  std::shared_ptr<const Jwks> keys =
      r.inline_jwks ? r.inline_jwks
                    : snap.jwks->Get(r.issuer, r.jwks_uri, std::chrono::milliseconds(r.timeout_ms));
  return VerifySignature(jwt, *keys);
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
                        const JwtLocation& loc, std::string_view token, int64_t now) {
  TokenResult out;
  VerifyCache::Hit hit;
  if (snap.verify_cache.Get(token, now, &hit)) {
    // The uncached path uses the first rule for the token's issuer at this
    // location that verifies it; a hit counts only if that first candidate
    // is one the token already verified against.
    const JwtRule* first = nullptr;
    ForEachRule(snap, ctx.workload, [&](const JwtRule& r) {
      if (!first && r.issuer == hit.jwt->issuer && HasLocation(r, loc)) {
        first = &r;
      }
    });
    if (first && hit.Has(first)) {
      out.status = CheckJwtTime(hit.jwt->nbf, hit.jwt->exp, now);
      out.rule = first;
      out.jwt = hit.jwt;
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
  ForEachRule(snap, ctx.workload, [&](const JwtRule& r) {
    if (done || r.issuer != parsed.iss || !HasLocation(r, loc)) {
      return;
    }
    JwtStatus s = VerifyWithRule(snap, r, parsed, now);
    if (s == JwtStatus::kOk) {
      out.status = s;
      out.rule = &r;
      done = true;
    } else if (out.status == JwtStatus::kUnknownIssuer) {
      out.status = s;  // report the first real failure
    }
  });
  if (done) {
    out.jwt = MakeVerified(std::move(parsed));
    snap.verify_cache.Put(token, out.rule, out.jwt, now);
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
  for (const auto& [header, path] : r.claim_to_headers) {
    std::string v;
    if (jwt.ClaimAsString(path, &v)) {
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
  bool any = false;
  // Sanitize: clients must not be able to inject claim headers.
  ForEachRule(snap, ctx.workload, [&](const JwtRule& r) {
    any = true;
    std::string_view unused;
    for (const auto& [header, _] : r.claim_to_headers) {
      if (FindHeader(ctx, header, &unused)) {
        d.RemoveUpstreamHeader(header);
      }
    }
    if (!r.output_payload_to_header.empty() &&
        FindHeader(ctx, r.output_payload_to_header, &unused)) {
      d.RemoveUpstreamHeader(r.output_payload_to_header);
    }
  });
  if (!any) {
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
  ForEachRule(snap, ctx.workload, [&](const JwtRule& r) {
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
      if (dup || !Extract(ctx, loc, &token)) {
        continue;
      }
      if (seen_count < seen_inline.size()) {
        seen_inline[seen_count++] = &loc;
      } else {
        seen_overflow.push_back(&loc);
      }
      TokenResult res = VerifyToken(snap, ctx, loc, token, now);
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
