// Per-request matching of compiled rules against the request. Everything
// here works on string_views and the immutable snapshot: no allocation
// unless a header occurs more than once (then it is joined in ctx.scratch).
#include <nlohmann/json.hpp>

#include "gateway/eval_context.h"

namespace ferry::gateway {
namespace {

using nlohmann::json;

bool NamespaceOf(std::string_view principal, std::string_view* ns) {
  size_t p = principal.find("/ns/");
  if (p == std::string_view::npos) {
    return false;
  }
  std::string_view rest = principal.substr(p + 4);
  *ns = rest.substr(0, rest.find('/'));
  return true;
}

// spiffe://.+/ns/<ns>/(.+/|)sa/<sa>(/.+)?  over "td/ns/..." (spiffe:// stripped).
bool ServiceAccountMatches(std::string_view principal, const Value& v) {
  std::string_view want_ns = v.sa_ns;
  size_t p = principal.find("/ns/");
  while (p != std::string_view::npos && p > 0) {
    std::string_view rest = principal.substr(p + 4);
    if (rest.substr(0, want_ns.size()) == want_ns && rest.size() > want_ns.size() &&
        rest[want_ns.size()] == '/') {
      std::string_view tail = rest.substr(want_ns.size());  // "/.../sa/<sa>[/...]"
      for (size_t s = tail.find("/sa/"); s != std::string_view::npos;
           s = tail.find("/sa/", s + 1)) {
        std::string_view after = tail.substr(s + 4);
        if (after.substr(0, v.sa_name.size()) == v.sa_name &&
            (after.size() == v.sa_name.size() ||
             (after[v.sa_name.size()] == '/' && after.size() > v.sa_name.size() + 1))) {
          return true;
        }
      }
    }
    p = principal.find("/ns/", p + 1);
  }
  return false;
}

bool MatchClaimString(const Value& v, std::string_view s, bool split) {
  if (!split) {
    return v.str.Matches(s);
  }
  while (!s.empty()) {
    size_t sp = s.find(' ');
    std::string_view tok = s.substr(0, sp);
    if (!tok.empty() && v.str.Matches(tok)) {
      return true;
    }
    if (sp == std::string_view::npos) {
      break;
    }
    s.remove_prefix(sp + 1);
  }
  return false;
}

bool ClaimMatches(const Clause& c, const Value& v, const EvalContext& ctx) {
  if (!ctx.jwt || !ctx.jwt->claims) {
    return false;
  }
  const json* cur = ctx.jwt->claims.get();
  for (const auto& k : c.claim_path) {
    if (!cur->is_object()) {
      return false;
    }
    auto it = cur->find(k);
    if (it == cur->end()) {
      return false;
    }
    cur = &*it;
  }
  bool split = c.split_spaces;
  if (!split && ctx.jwt_rule && c.claim_path.size() == 1) {
    for (const auto& s : ctx.jwt_rule->space_delimited_claims) {
      split = split || s == c.claim_path[0];
    }
  }
  if (cur->is_string()) {
    return MatchClaimString(v, cur->get_ref<const std::string&>(), split);
  }
  if (cur->is_array()) {
    for (const auto& e : *cur) {
      if (e.is_string() && MatchClaimString(v, e.get_ref<const std::string&>(), split)) {
        return true;
      }
    }
  }
  return false;
}

bool ValueMatches(const Clause& c, const Value& v, const EvalContext& ctx, std::string_view ns) {
  const RequestAttributes& r = ctx.req;
  switch (c.attr) {
    case Attr::kSourcePrincipal:
      return !ctx.principal.empty() && v.str.Matches(ctx.principal);
    case Attr::kSourceNamespace:
      return !ctx.principal.empty() && GlobMatch(v.glob, ctx.principal);
    case Attr::kSourceServiceAccount:
      return !ctx.principal.empty() && ServiceAccountMatches(ctx.principal, v);
    case Attr::kSourceTrustDomain:
      if (ctx.principal.empty()) {
        return false;
      }
      return v.raw == "*" ||
             (ctx.principal.substr(0, v.raw.size()) == v.raw &&
              ctx.principal.size() > v.raw.size() && ctx.principal[v.raw.size()] == '/');
    case Attr::kRequestPrincipal:
      return ctx.jwt && v.str.Matches(ctx.jwt->issuer) &&
             (!v.has_sub || v.sub.Matches(ctx.jwt->subject));
    case Attr::kSourceIp:
      return v.cidr->Contains(r.source_ip);
    case Attr::kRemoteIp:
      return v.cidr->Contains(ctx.remote_ip);
    case Attr::kDestIp:
      return v.cidr->Contains(r.destination_ip);
    case Attr::kDestPort:
      return r.destination_port == v.port;
    case Attr::kHost:
      return v.str.Matches(r.host);
    case Attr::kMethod:
      return v.str.Matches(r.method);
    case Attr::kPath:
      return v.tmpl ? v.tmpl->Matches(ctx.path) : v.str.Matches(ctx.path);
    case Attr::kHeader: {
      std::string_view hv;
      if (!FindHeader(ctx, c.key, &hv)) {
        return false;
      }
      return v.header_present || v.str.Matches(hv);
    }
    case Attr::kClaim:
      return ClaimMatches(c, v, ctx);
    case Attr::kAudience:
      if (ctx.jwt) {
        for (const auto& a : ctx.jwt->audiences) {
          if (v.str.Matches(a)) {
            return true;
          }
        }
      }
      return false;
    case Attr::kPresenter:
      return ctx.jwt && v.str.Matches(ctx.jwt->presenter);
    case Attr::kSni:
      return v.str.Matches(r.sni);
  }
  return false;
}

bool ClauseMatches(const Clause& c, const EvalContext& ctx, std::string_view ns) {
  bool any = false;
  for (const auto& v : c.values) {
    if (ValueMatches(c, v, ctx, ns)) {
      any = true;
      break;
    }
  }
  return c.negate ? !any : any;
}

// AND of clauses. `*dropped` is set when an ALLOW rule uses an HTTP-only
// field on TCP (the rule is skipped).
bool GroupMatches(const Group& g, Action action, const EvalContext& ctx, std::string_view ns,
                  bool* dropped) {
  for (const auto& c : g.clauses) {
    if (!ctx.req.http && IsHttpOnly(c.attr)) {
      if (action == Action::kAllow) {
        *dropped = true;
        return false;
      }
      continue;
    }
    if (!ClauseMatches(c, ctx, ns)) {
      return false;
    }
  }
  return true;
}

bool AnyGroup(const std::vector<Group>& groups, Action action, const EvalContext& ctx,
              std::string_view ns, bool* dropped) {
  if (groups.empty()) {
    return true;
  }
  for (const auto& g : groups) {
    if (GroupMatches(g, action, ctx, ns, dropped)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool FindHeader(const EvalContext& ctx, std::string_view name, std::string_view* value) {
  if (ctx.overlay) {
    for (const auto& h : ctx.overlay->upstream_set) {
      if (h.name == name) {
        *value = h.value;
        return true;
      }
    }
    for (const auto& n : ctx.overlay->upstream_remove) {
      if (n == name) {
        return false;
      }
    }
  }
  int count = 0;
  for (const auto& h : ctx.req.headers) {
    if (h.name.size() != name.size() || !EqualsIgnoreCase(h.name, name)) {
      continue;
    }
    if (count == 0) {
      *value = h.value;
    } else {
      if (count == 1) {
        ctx.scratch.assign(*value);
      }
      ctx.scratch.push_back(',');
      ctx.scratch.append(h.value);
      *value = ctx.scratch;
    }
    ++count;
  }
  return count > 0;
}

bool RuleMatches(const Rule& rule, Action action, const EvalContext& ctx) {
  // Service-account values without a namespace default to the policy's
  // namespace; the workload namespace is the same for namespace-local policies.
  std::string_view ns = ctx.workload.name_space;
  bool dropped = false;
  bool m = AnyGroup(rule.from, action, ctx, ns, &dropped) &&
           AnyGroup(rule.to, action, ctx, ns, &dropped) &&
           GroupMatches(rule.when, action, ctx, ns, &dropped);
  return m && !dropped;
}

int MatchingRule(const Policy& policy, const EvalContext& ctx) {
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    if (RuleMatches(policy.rules[i], policy.action, ctx)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string ObservedValue(const Clause& c, const EvalContext& ctx) {
  auto or_none = [](std::string_view s) {
    return s.empty() ? std::string("<none>") : std::string(s);
  };
  std::string_view ns;
  switch (c.attr) {
    case Attr::kSourcePrincipal:
    case Attr::kSourceServiceAccount:
    case Attr::kSourceTrustDomain:
      return "source.principal=" + or_none(ctx.principal);
    case Attr::kSourceNamespace:
      return "source.namespace=" + (NamespaceOf(ctx.principal, &ns) ? std::string(ns) : "<none>");
    case Attr::kRequestPrincipal:
      return "request.auth.principal=" + (ctx.jwt ? ctx.jwt->principal : "<none>");
    case Attr::kSourceIp:
      return "source.ip=" + or_none(ctx.req.source_ip);
    case Attr::kRemoteIp:
      return "remote.ip=" + or_none(ctx.remote_ip);
    case Attr::kDestIp:
      return "destination.ip=" + or_none(ctx.req.destination_ip);
    case Attr::kDestPort:
      return "destination.port=" + std::to_string(ctx.req.destination_port);
    case Attr::kHost:
      return "host=" + or_none(ctx.req.host);
    case Attr::kMethod:
      return "method=" + or_none(ctx.req.method);
    case Attr::kPath:
      return "path=" + or_none(ctx.path);
    case Attr::kHeader: {
      std::string_view v;
      return "request.headers[" + c.key +
             "]=" + (FindHeader(ctx, c.key, &v) ? std::string(v) : "<absent>");
    }
    case Attr::kClaim: {
      std::string v;
      return "claim " + (ctx.jwt && ctx.jwt->ClaimAsString(c.claim_path, &v) ? v : "<absent>");
    }
    case Attr::kAudience:
      return "request.auth.audiences=" +
             (ctx.jwt && !ctx.jwt->audiences.empty() ? ctx.jwt->audiences[0] : "<none>");
    case Attr::kPresenter:
      return "request.auth.presenter=" + (ctx.jwt ? or_none(ctx.jwt->presenter) : "<none>");
    case Attr::kSni:
      return "connection.sni=" + or_none(ctx.req.sni);
  }
  return "";
}

// Exposed for explain.cc.
bool ClauseMatchesForExplain(const Clause& c, const EvalContext& ctx) {
  return ClauseMatches(c, ctx, ctx.workload.name_space);
}

}  // namespace ferry::gateway
