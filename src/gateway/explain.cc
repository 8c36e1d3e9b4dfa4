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

// Why one group (AND of clauses) fails, or "" if it matches.
std::string GroupFailure(const Group& g, Action a, const EvalContext& ctx) {
  for (const auto& c : g.clauses) {
    if (!ctx.req.http && IsHttpOnly(c.attr)) {
      if (a == Action::kAllow) {
        return c.field + " is HTTP-only and the request is plain TCP (rule skipped)";
      }
      continue;
    }
    if (!ClauseMatchesForExplain(c, ctx)) {
      return c.field + (c.negate ? " excludes " : " needs one of ") + Values(c) + " but " +
             ObservedValue(c, ctx);
    }
  }
  return "";
}

std::string SideFailure(const std::vector<Group>& groups, Action a, const EvalContext& ctx) {
  std::string why;
  for (const auto& g : groups) {
    std::string f = GroupFailure(g, a, ctx);
    if (f.empty()) {
      return "";
    }
    why += (why.empty() ? "" : " / ") + f;
  }
  return why;
}

}  // namespace

std::string ExplainNoMatch(const Policy& p, const EvalContext& ctx) {
  std::string out = p.name + ": ";
  if (p.rules.empty()) {
    return out + "has no rules (allow-nothing). ";
  }
  for (size_t i = 0; i < p.rules.size(); ++i) {
    const Rule& r = p.rules[i];
    std::string why = SideFailure(r.from, p.action, ctx);
    if (why.empty()) {
      why = SideFailure(r.to, p.action, ctx);
    }
    if (why.empty()) {
      why = GroupFailure(r.when, p.action, ctx);
    }
    out += "rule " + std::to_string(i) + ": " + (why.empty() ? "matches" : why) + "; ";
  }
  return out;
}

std::string WorkloadLabel(const Workload& w) {
  std::string name = w.name;
  if (name.empty()) {
    auto it = w.labels.find("app");
    name = it != w.labels.end() ? it->second : "<unnamed>";
  }
  return "workload `" + name + "` in `" + w.name_space + "`";
}

}  // namespace ferry::gateway
