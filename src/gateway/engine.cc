#include "gateway/engine.h"

#include <algorithm>
#include <chrono>

#include "gateway/eval_context.h"
#include "gateway/path.h"

namespace ferry::gateway {
namespace {

template <typename Fn>
void ForEachPolicy(const WorkloadPolicies& sel, Fn&& fn) {
  for (const Policy* p : sel.policies) {
    fn(*p);
  }
}

void Deny(Decision& d, Decision::Stage stage, int status, std::string_view body) {
  d.allowed = false;
  d.denied_at = stage;
  d.status = status;
  d.body.assign(body);
  d.content_type = "text/plain";
}

void RbacDeny(Decision& d, const EvalContext& ctx, const Policy* p, int rule) {
  Deny(d, Decision::Stage::kDeny, 403, kRbacDeniedBody);
  d.close_connection = !ctx.req.http;
  d.matched_policy =
      p ? "ns[" + p->ns + "]-policy[" + p->name + "]-rule[" + std::to_string(rule) + "]" : "none";
}

// Remote (original client) IP: the numTrustedProxies-th X-Forwarded-For
// entry from the right, else the peer address.
std::string_view RemoteIp(const EvalContext& ctx, uint32_t trusted) {
  if (!ctx.req.remote_ip.empty()) {
    return ctx.req.remote_ip;
  }
  std::string_view xff;
  if (trusted == 0 || !FindHeader(ctx, "x-forwarded-for", &xff)) {
    return ctx.req.source_ip;
  }
  for (uint32_t i = 1;; ++i) {
    size_t comma = xff.rfind(',');
    std::string_view last = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
    if (i == trusted) {
      while (!last.empty() && last.front() == ' ') {
        last.remove_prefix(1);
      }
      while (!last.empty() && last.back() == ' ') {
        last.remove_suffix(1);
      }
      return last;
    }
    if (comma == std::string_view::npos) {
      return ctx.req.source_ip;
    }
    xff = xff.substr(0, comma);
  }
}

const ExtAuthzRegistry& DefaultRegistry() {
  static const auto* r = new ExtAuthzRegistry();
  return *r;
}

bool IsStrippedOnAllow(std::string_view n) {
  static constexpr std::string_view kStripped[] = {"status",  "date",           "method",
                                                   "path",    "content-length", "content-type",
                                                   ":status", ":path",          ":method"};
  for (std::string_view s : kStripped) {
    if (n == s) {
      return true;
    }
  }
  return false;
}

ExtAuthzCheckRequest BuildCheck(const ExtAuthzProvider& p, const EvalContext& ctx) {
  ExtAuthzCheckRequest c;
  c.method.assign(ctx.req.method);
  c.host.assign(ctx.req.host);
  c.path.reserve(p.path_prefix.size() + ctx.path.size() + ctx.query.size());
  c.path.append(p.path_prefix).append(ctx.path).append(ctx.query);
  for (const auto& h : ctx.req.headers) {
    if (EqualsIgnoreCase(h.name, "host") || EqualsIgnoreCase(h.name, "content-length")) {
      continue;
    }
    // The request id and trace context go to the provider as Envoy's tracer
    // injects them, so its log lines join the request's (the gateway set
    // them before evaluating: ingress_handler.cc, grpc_ingress.cc).
    if (EqualsIgnoreCase(h.name, "authorization") || EqualsIgnoreCase(h.name, "x-request-id") ||
        EqualsIgnoreCase(h.name, "traceparent") || EqualsIgnoreCase(h.name, "tracestate") ||
        HeaderAllowed(p.include_request_headers, h.name)) {
      std::string name(h.name);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      auto it = std::find_if(c.headers.begin(), c.headers.end(),
                             [&](const OwnedHeader& o) { return o.name == name; });
      if (it != c.headers.end()) {
        it->value.append(",").append(h.value);
      } else {
        c.headers.push_back({std::move(name), std::string(h.value)});
      }
    }
  }
  for (const auto& a : p.additional_headers) {
    std::erase_if(c.headers, [&](const OwnedHeader& o) { return o.name == a.name; });
    c.headers.push_back(a);
  }
  return c;
}

// Returns false when the request ends here (d filled).
bool RunCustomStage(const PolicySnapshot::Impl& snap, EvalContext& ctx, Decision& d,
                    const EvalOptions& opt, std::string* explain) {
  const Policy* hit = nullptr;
  ForEachPolicy(*ctx.selected, [&](const Policy& p) {
    if (!hit && p.action == Action::kCustom && MatchingRule(p, ctx) >= 0) {
      hit = &p;
    }
  });
  if (!hit) {
    return true;
  }
  auto prov = snap.providers.find(hit->provider);
  if (prov == snap.providers.end()) {
    // istiod turns a CUSTOM policy with an unknown provider into a DENY.
    RbacDeny(d, ctx, hit, 0);
    d.denied_at = Decision::Stage::kCustom;
    if (explain) {
      *ctx.headline = "CUSTOM policy " + hit->ns + "/" + hit->name + " names provider '" +
                      hit->provider +
                      "', which is not in MeshConfig extensionProviders (Istio then denies "
                      "what the policy matches)";
    }
    return false;
  }
  const ExtAuthzProvider& p = prov->second;
  const ExtAuthzRegistry& reg = opt.ext_authz ? *opt.ext_authz : DefaultRegistry();
  d.ext_authz_called = true;
  if (opt.ext_authz_result == nullptr && opt.can_park && reg.CallsNetwork(p.name)) {
    d.allowed = false;
    d.pending.kind = PendingWork::Kind::kExtAuthz;
    d.pending.provider = &p;
    d.pending.check = BuildCheck(p, ctx);
    return false;
  }
  StatusOr<ExtAuthzResponse> called = CancelledError("not called");
  if (opt.ext_authz_result == nullptr) {
    called = reg.ClientFor(p.name)->Check(p, BuildCheck(p, ctx));
  }
  const StatusOr<ExtAuthzResponse>& resp = opt.ext_authz_result ? *opt.ext_authz_result : called;
  bool error = !resp.ok() || (resp->status >= 500 && resp->status <= 599);
  if (error) {
    if (explain) {
      std::string line = "CUSTOM policy " + hit->ns + "/" + hit->name + " matched; ext-authz '" +
                         p.name + "' " +
                         (resp.ok() ? "answered " + std::to_string(resp->status)
                                    : "failed: " + resp.status().message());
      if (p.fail_open) {
        *explain += line + " (failOpen: continuing)\n";
      } else {
        *ctx.headline = line + " (statusOnError " + std::to_string(p.status_on_error) + ")";
      }
    }
    if (p.fail_open) {
      return true;
    }
    Deny(d, Decision::Stage::kCustom, p.status_on_error, "");
    d.content_type.clear();
    return false;
  }
  if (resp->status == 200) {
    for (const auto& h : resp->headers) {
      if (!IsStrippedOnAllow(h.name) && HeaderAllowed(p.headers_to_upstream_on_allow, h.name)) {
        d.SetUpstreamHeader(h.name, h.value);
      }
      if (HeaderAllowed(p.headers_to_downstream_on_allow, h.name)) {
        d.downstream_headers.push_back(h);
      }
    }
    if (explain) {
      *explain += "CUSTOM policy " + hit->ns + "/" + hit->name + " matched; ext-authz '" + p.name +
                  "' allowed (200)\n";
    }
    return true;
  }
  Deny(d, Decision::Stage::kCustom, resp->status, resp->body);
  d.content_type.clear();
  for (const auto& h : resp->headers) {
    bool pass = p.downstream_on_deny_set ? HeaderAllowed(p.headers_to_downstream_on_deny, h.name)
                                         : (h.name != "host" && h.name != ":authority");
    if (!pass || h.name == "content-length") {
      continue;
    }
    if (h.name == "content-type") {
      d.content_type = h.value;
    } else {
      d.downstream_headers.push_back(h);
    }
  }
  if (explain) {
    *ctx.headline = "CUSTOM policy " + hit->ns + "/" + hit->name + " matched and ext-authz '" +
                    p.name + "' denied with " + std::to_string(resp->status);
  }
  return false;
}

void NamesOf(const WorkloadPolicies& sel, const Workload& w, Action a, bool dry, std::string* out) {
  ForEachPolicy(sel, [&](const Policy& p) {
    if (p.action == a && p.dry_run == dry) {
      if (!out->empty()) {
        *out += ", ";
      }
      *out += p.ns == w.name_space ? p.name : p.ns + "/" + p.name;
    }
  });
}

void RunRbac(const PolicySnapshot::Impl& snap, const EvalContext& ctx, Decision& d,
             std::string* explain) {
  const Workload& w = ctx.workload;
  // AUDIT marks only; dry-run policies are evaluated in shadow mode.
  const Policy* deny = nullptr;
  int deny_rule = -1;
  bool allow_exists = false, allow_hit = false;
  bool shadow_any = false, shadow_deny = false, shadow_allow_exists = false, shadow_allow = false;
  ForEachPolicy(*ctx.selected, [&](const Policy& p) {
    switch (p.action) {
      case Action::kAudit:
        if (MatchingRule(p, ctx) >= 0) {
          d.audit_policies.push_back(p.ns + "/" + p.name);
        }
        break;
      case Action::kDeny:
        if (p.dry_run) {
          shadow_any = true;
          shadow_deny = shadow_deny || MatchingRule(p, ctx) >= 0;
        } else if (!deny) {
          int r = MatchingRule(p, ctx);
          if (r >= 0) {
            deny = &p;
            deny_rule = r;
          }
        }
        break;
      case Action::kAllow:
        if (p.dry_run) {
          shadow_any = shadow_allow_exists = true;
          shadow_allow = shadow_allow || MatchingRule(p, ctx) >= 0;
        } else {
          allow_exists = true;
          if (!allow_hit) {
            int r = MatchingRule(p, ctx);
            allow_hit = r >= 0;
            if (allow_hit && explain) {
              *ctx.headline =
                  "ALLOW policy " + p.ns + "/" + p.name + " rule " + std::to_string(r) + " matched";
            }
          }
        }
        break;
      case Action::kCustom:
        break;
    }
  });
  if (shadow_any) {
    d.dry_run = shadow_deny ? "shadow denied (dry-run DENY matched)"
                : (shadow_allow_exists && !shadow_allow)
                    ? "shadow denied (no dry-run ALLOW matched)"
                    : "shadow allowed";
  }
  if (deny) {
    RbacDeny(d, ctx, deny, deny_rule);
    if (explain) {
      *ctx.headline = "DENY policy " + deny->ns + "/" + deny->name + " rule " +
                      std::to_string(deny_rule) + " matched";
    }
    return;
  }
  if (allow_exists && !allow_hit) {
    RbacDeny(d, ctx, nullptr, -1);
    if (explain) {
      std::string names;
      NamesOf(*ctx.selected, w, Action::kAllow, false, &names);
      std::string observed;
      *explain += "why no ALLOW rule matched:\n";
      ForEachPolicy(*ctx.selected, [&](const Policy& p) {
        if (p.action == Action::kAllow && !p.dry_run) {
          *explain += ExplainNoMatch(p, ctx, &observed);
        }
      });
      *ctx.headline =
          "ALLOW policies exist (" + names + ") and none matched: " +
          (observed.empty() ? std::string("they have no rules (allow-nothing); an ALLOW policy "
                                          "for this workload must match the request")
                            : "no rule allows " + observed);
    }
    return;
  }
  if (explain && !allow_exists) {
    *ctx.headline = "no DENY policy matched and no ALLOW policy applies (default allow)";
  }
}

}  // namespace

// `name` lower-cased: the input itself when it already is (header names from
// policies and ext-authz are), else a copy in *scratch.
static std::string_view LowerName(std::string_view name, std::string* scratch) {
  bool lower = true;
  for (char c : name) {
    lower = lower && !(c >= 'A' && c <= 'Z');
  }
  if (lower) {
    return name;
  }
  scratch->assign(name);
  for (char& c : *scratch) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return *scratch;
}

void Decision::SetUpstreamHeader(std::string_view raw_name, std::string_view value) {
  std::string scratch;
  std::string_view name = LowerName(raw_name, &scratch);
  std::erase_if(upstream_remove, [&](const std::string& n) { return n == name; });
  for (auto& h : upstream_set) {
    if (h.name == name) {
      h.value.assign(value);
      return;
    }
  }
  if (!recycled_upstream.empty()) {  // reuse an entry's buffers (EvaluateInto)
    OwnedHeader h = std::move(recycled_upstream.back());
    recycled_upstream.pop_back();
    h.name.assign(name);
    h.value.assign(value);
    upstream_set.push_back(std::move(h));
    return;
  }
  upstream_set.push_back({std::string(name), std::string(value)});
}

void Decision::Reset() {
  allowed = true;
  close_connection = false;
  status = 200;
  body.clear();
  content_type.clear();
  denied_at = Stage::kNone;
  upstream_remove.clear();
  for (OwnedHeader& h : upstream_set) recycled_upstream.push_back(std::move(h));
  upstream_set.clear();
  downstream_headers.clear();
  jwt.reset();
  matched_policy.clear();
  audit_policies.clear();
  dry_run.clear();
  ext_authz_called = false;
  explanation.clear();
  if (pending.kind != PendingWork::Kind::kNone) {
    pending = PendingWork();
  }
}

void Decision::RemoveUpstreamHeader(std::string_view raw_name) {
  std::string scratch;
  std::string_view name = LowerName(raw_name, &scratch);
  std::erase_if(upstream_set, [&](const OwnedHeader& h) { return h.name == name; });
  if (std::find(upstream_remove.begin(), upstream_remove.end(), name) == upstream_remove.end()) {
    upstream_remove.emplace_back(name);
  }
}

Decision Evaluate(const PolicySnapshot& snapshot, const Workload& workload,
                  const RequestAttributes& req, const EvalOptions& opt) {
  Decision d;
  EvaluateInto(snapshot, workload, req, opt, &d);
  return d;
}

void EvaluateInto(const PolicySnapshot& snapshot, const Workload& workload,
                  const RequestAttributes& req, const EvalOptions& opt, Decision* out) {
  const PolicySnapshot::Impl& snap = snapshot.impl();
  Decision& d = *out;
  d.Reset();
  std::string path_scratch;
  NormalizedPath np;
  if (req.http) {
    for (char c : req.method) {
      if (c < 'A' || c > 'Z') {
        Deny(d, Decision::Stage::kBadRequest, 400, "Bad Request");
        return;
      }
    }
    np = NormalizePath(req.path, snap.path_normalization, &path_scratch);
    if (!np.ok) {
      Deny(d, Decision::Stage::kBadRequest, 400, "Bad Request");
      return;
    }
  }
  WorkloadPolicies uncached;
  const WorkloadPolicies* selected = opt.selected ? opt.selected : snap.Select(workload, &uncached);
  EvalContext ctx{req, workload, selected, np.path, np.query, {},
                  {},  nullptr,  nullptr,  nullptr, {}};
  ctx.overlay = &d;
  ctx.options = &opt;
  ctx.principal = req.source_principal.substr(0, 9) == "spiffe://" ? req.source_principal.substr(9)
                                                                   : req.source_principal;
  ctx.remote_ip = RemoteIp(ctx, snap.num_trusted_proxies);
  std::string explain_buf, headline;
  std::string* explain = opt.explain ? &explain_buf : nullptr;
  if (explain) {
    ctx.headline = &headline;
    explain_buf = "applied policies: ";
    for (Action a : {Action::kCustom, Action::kAudit, Action::kDeny, Action::kAllow}) {
      for (bool dry : {false, true}) {
        std::string names;
        NamesOf(*ctx.selected, workload, a, dry, &names);
        if (!names.empty()) {
          explain_buf += std::string(ActionName(a)) + (dry ? "(dry-run)" : "") + "[" + names + "] ";
        }
      }
    }
    if (explain_buf == "applied policies: ") {
      explain_buf += "none";
    }
    while (explain_buf.back() == ' ') {
      explain_buf.pop_back();
    }
    explain_buf += "\n";
  }
  auto finish = [&]() {
    if (explain) {
      while (!explain_buf.empty() && explain_buf.back() == '\n') {
        explain_buf.pop_back();
      }
      d.explanation = std::string(d.allowed ? "allowed" : "denied") + " at " +
                      WorkloadLabel(workload) + ": " + headline + "\n" + explain_buf;
    }
  };
  // The HTTP ext-authz provider has no TCP counterpart: CUSTOM is HTTP only.
  if (req.http && !RunCustomStage(snap, ctx, d, opt, explain)) {
    return d.parked() ? void() : finish();
  }
  if (req.http) {
    int64_t now = opt.now_unix ? opt.now_unix
                               : std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
    if (!RunJwtStage(snap, ctx, d, now, explain)) {
      return d.parked() ? void() : finish();
    }
  }
  RunRbac(snap, ctx, d, explain);
  return finish();
}

}  // namespace ferry::gateway
