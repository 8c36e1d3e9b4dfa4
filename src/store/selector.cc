#include "store/selector.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace ferry::store {
namespace {

// Splits on commas that are not inside parentheses ("a in (x,y),b=c").
std::vector<std::string_view> SplitTerms(std::string_view text) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      std::string_view t = TrimWhitespace(text.substr(start, i - start));
      if (!t.empty()) out.push_back(t);
      start = i + 1;
    } else if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      --depth;
    }
  }
  return out;
}

Status BadLabel(std::string_view term, std::string_view why) {
  return InvalidArgumentError("unable to parse requirement: label selector term \"" +
                              std::string(term) + "\": " + std::string(why));
}

StatusOr<LabelSelector::Term> ParseSetTerm(std::string_view t, size_t pos, bool negate) {
  LabelSelector::Term term;
  term.key = std::string(TrimWhitespace(t.substr(0, pos)));
  term.op = negate ? LabelSelector::Op::kNotIn : LabelSelector::Op::kIn;
  size_t open = t.find('(', pos);
  size_t close = t.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return BadLabel(t, "expected a parenthesised value list, e.g. env in (a,b)");
  }
  std::string_view list = t.substr(open + 1, close - open - 1);
  for (std::string_view v : SplitTerms(list)) term.values.emplace_back(v);
  return term;
}

StatusOr<LabelSelector::Term> ParseLabelTerm(std::string_view t) {
  LabelSelector::Term term;
  if (t.front() == '!') {
    term.key = std::string(TrimWhitespace(t.substr(1)));
    term.op = LabelSelector::Op::kNotExists;
    return term;
  }
  if (size_t p = t.find(" notin "); p != std::string_view::npos) return ParseSetTerm(t, p, true);
  if (size_t p = t.find(" in "); p != std::string_view::npos) return ParseSetTerm(t, p, false);
  size_t p = t.find_first_of("!=");
  if (p == std::string_view::npos) {
    term.key = std::string(t);
    term.op = LabelSelector::Op::kExists;
    return term;
  }
  term.key = std::string(TrimWhitespace(t.substr(0, p)));
  std::string_view rest = t.substr(p);
  if (rest.substr(0, 2) == "!=") {
    term.op = LabelSelector::Op::kNotEq;
    rest.remove_prefix(2);
  } else if (rest.substr(0, 2) == "==") {
    rest.remove_prefix(2);
  } else if (rest.front() == '=') {
    rest.remove_prefix(1);
  } else {
    return BadLabel(t, "expected =, ==, !=, in or notin");
  }
  if (term.key.empty()) return BadLabel(t, "the key is empty");
  term.values.emplace_back(TrimWhitespace(rest));
  return term;
}

}  // namespace

StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelSelector sel;
  for (std::string_view t : SplitTerms(text)) {
    ASSIGN_OR_RETURN(Term term, ParseLabelTerm(t));
    sel.terms_.push_back(std::move(term));
  }
  return sel;
}

std::string LabelString(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::vector<std::pair<std::string, std::string>> LabelSelector::RequiredLabels() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Term& t : terms_) {
    if ((t.op == Op::kEq || t.op == Op::kIn) && t.values.size() == 1) {
      out.emplace_back(t.key, t.values[0]);
    }
  }
  return out;
}

bool LabelSelector::Matches(const nlohmann::json& labels) const {
  for (const Term& t : terms_) {
    bool has = labels.is_object() && labels.contains(t.key);
    std::string value = has ? LabelString(labels.at(t.key)) : std::string();
    bool in = std::find(t.values.begin(), t.values.end(), value) != t.values.end();
    switch (t.op) {
      case Op::kEq:
      case Op::kIn:
        if (!has || !in) return false;
        break;
      case Op::kNotEq:
      case Op::kNotIn:
        if (has && in) return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kNotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

namespace {

std::vector<std::string> SplitPath(const std::string& dotted) {
  std::vector<std::string> path;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    path.push_back(dotted.substr(start, dot - start));
    start = dot + 1;
  }
  return path;
}

}  // namespace

Status FieldSelector::MapLabels(const std::map<std::string, std::string, std::less<>>& labels) {
  for (Term& t : terms_) {
    auto it = labels.find(t.dotted);
    if (it == labels.end()) return InvalidArgumentError("field label not supported: " + t.dotted);
    t.path = SplitPath(it->second);
  }
  return OkStatus();
}

StatusOr<FieldSelector> FieldSelector::Parse(std::string_view text) {
  FieldSelector sel;
  for (std::string_view t : SplitTerms(text)) {
    Term term;
    size_t p = t.find('=');
    if (p == std::string_view::npos || p == 0) {
      return InvalidArgumentError("invalid field selector \"" + std::string(t) +
                                  "\": expected path=value or path!=value");
    }
    std::string_view path = t.substr(0, p);
    std::string_view value = t.substr(p + 1);
    if (path.back() == '!') {
      term.negate = true;
      path.remove_suffix(1);
    } else if (!value.empty() && value.front() == '=') {
      value.remove_prefix(1);
    }
    term.dotted = std::string(TrimWhitespace(path));
    term.value = std::string(TrimWhitespace(value));
    term.path = SplitPath(term.dotted);
    sel.terms_.push_back(std::move(term));
  }
  return sel;
}

bool FieldSelector::Matches(const nlohmann::json& object) const {
  for (const Term& t : terms_) {
    const nlohmann::json* cur = &object;
    for (const std::string& part : t.path) {
      if (cur == nullptr || !cur->is_object() || !cur->contains(part)) {
        cur = nullptr;
        break;
      }
      cur = &(*cur)[part];
    }
    std::string value = cur == nullptr || cur->is_null() ? std::string() : LabelString(*cur);
    if ((value == t.value) == t.negate) return false;
  }
  return true;
}

std::string FieldSelector::RequiredValue(std::string_view path) const {
  for (const Term& t : terms_) {
    if (!t.negate && t.dotted == path) return t.value;
  }
  return {};
}

bool Selector::Matches(const nlohmann::json& object) const {
  const nlohmann::json& meta = object.contains("metadata") ? object["metadata"] : object;
  if (!ns.empty()) {
    if (!meta.contains("namespace") || meta["namespace"] != ns) return false;
  }
  static const nlohmann::json kNull;
  if (!labels.empty() && !labels.Matches(meta.contains("labels") ? meta["labels"] : kNull)) {
    return false;
  }
  return fields.Matches(object);
}

StatusOr<Selector> MakeSelector(std::string ns, std::string_view label_selector,
                                std::string_view field_selector) {
  Selector s;
  s.ns = std::move(ns);
  ASSIGN_OR_RETURN(s.labels, LabelSelector::Parse(label_selector));
  ASSIGN_OR_RETURN(s.fields, FieldSelector::Parse(field_selector));
  return s;
}

}  // namespace ferry::store
