// Human-readable reasons for a decision, built only when EvalOptions::explain
// is set (never on the fast path).
#include "gateway/eval_context.h"

namespace ferry::gateway {

bool ClauseMatchesForExplain(const Clause& c, const EvalContext& ctx);

namespace {

std::string Values(const Clause& c) {
  std::string out = "[";
  for (size_t i = 0; i < c.values.size(); ++i) {
    out += (i ? ", " : "") + c.values[i].raw;
  }
  return out + "]";
}

struct Failure {
  std::string why;       // "" = the group matches
  std::string observed;  // e.g. "source.principal=<none>"
};

// Why one group (AND of clauses) fails.
Failure GroupFailure(const Group& g, Action a, const EvalContext& ctx) {
  for (const auto& c : g.clauses) {
    if (!ctx.req.http && IsHttpOnly(c.attr)) {
      if (a == Action::kAllow) {
        return {c.field + " is HTTP-only and the request is plain TCP (rule skipped)", "plain TCP"};
      }
      continue;
    }
    if (!ClauseMatchesForExplain(c, ctx)) {
      std::string seen = ObservedValue(c, ctx);
      return {c.field + (c.negate ? " excludes " : " needs one of ") + Values(c) + " but " + seen,
              seen};
    }
  }
  return {};
}

Failure SideFailure(const std::vector<Group>& groups, Action a, const EvalContext& ctx) {
  Failure out;
  for (const auto& g : groups) {
    Failure f = GroupFailure(g, a, ctx);
    if (f.why.empty()) {
      return {};
    }
    out.why += (out.why.empty() ? "" : " / ") + f.why;
    if (out.observed.empty()) {
      out.observed = f.observed;
    }
  }
  return out;
}

void AddObserved(const std::string& seen, std::string* observed) {
  if (seen.empty() || observed == nullptr) {
    return;
  }
  size_t at = observed->find(seen);
  bool present = at != std::string::npos &&
                 (at + seen.size() == observed->size() || (*observed)[at + seen.size()] == ',');
  if (!present) {
    *observed += (observed->empty() ? "" : ", ") + seen;
  }
}

}  // namespace

std::string ExplainNoMatch(const Policy& p, const EvalContext& ctx, std::string* observed) {
  std::string who = p.ns == ctx.workload.name_space ? p.name : p.ns + "/" + p.name;
  if (p.rules.empty()) {
    return "  " + who + ": no rules, so it allows nothing (Istio's allow-nothing policy)\n";
  }
  std::string out;
  for (size_t i = 0; i < p.rules.size(); ++i) {
    const Rule& r = p.rules[i];
    Failure f = SideFailure(r.from, p.action, ctx);
    if (f.why.empty()) {
      f = SideFailure(r.to, p.action, ctx);
    }
    if (f.why.empty()) {
      f = GroupFailure(r.when, p.action, ctx);
    }
    AddObserved(f.observed, observed);
    out += "  " + who + " rule " + std::to_string(i) + ": " + (f.why.empty() ? "matches" : f.why) +
           "\n";
  }
  return out;
}

std::string WorkloadLabel(const Workload& w) {
  std::string name = w.name;
  if (name.empty()) {
    auto it = w.labels.find("app");
    name = it != w.labels.end() ? it->second : "<unnamed>";
  }
  std::string kind = "workload";
  auto app = w.labels.find("app");
  auto component = w.labels.find("component");
  if (app != w.labels.end() && app->second.find("gateway") != std::string::npos) {
    kind = "gateway";
  } else if (component != w.labels.end() && component->second == "predictor") {
    kind = "predictor";
  }
  return kind + " `" + name + "` in `" + w.name_space + "`";
}

std::string DescribeWorkload(const Workload& w) { return WorkloadLabel(w); }

}  // namespace ferry::gateway
