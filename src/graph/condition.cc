#include "graph/condition.h"

#include <cstdlib>
#include <optional>

namespace ferry::graph {

using nlohmann::json;

enum class Op { kNone, kEq, kNe, kLt, kLe, kGt, kGe, kLike, kNotLike };

struct Condition::Part {
  enum class Kind { kKey, kCount, kQuery, kThis, kWrapThis };
  Kind kind = Kind::kKey;
  std::string key;                // kKey
  std::vector<std::string> path;  // kQuery: keys inside the query
  Op op = Op::kNone;              // kQuery
  json value;                     // kQuery: the right-hand side
  bool all = false;               // kQuery: `#(...)#`
};

namespace {

using Part = Condition::Part;

Status Unsupported(std::string_view text, std::string_view what) {
  return InvalidArgumentError("condition `" + std::string(text) + "`: " + std::string(what) +
                              " is not supported by Ferry (supported: key paths, array indexes, "
                              "`#`, `#(path op value)` and `#(...)#` queries with ==, !=, <, <=, "
                              ">, >=, %, !%, `@this` and `[@this]`)");
}

// Keys of a dotted path with `\` escapes ("a.b\.c" → {"a", "b.c"}).
StatusOr<std::vector<std::string>> SplitKeys(std::string_view text, std::string_view path) {
  std::vector<std::string> keys;
  if (path.empty()) return keys;
  std::string cur;
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '\\' && i + 1 < path.size()) {
      cur += path[++i];
    } else if (c == '.') {
      if (cur.empty()) return Unsupported(text, "an empty path component");
      keys.push_back(std::move(cur));
      cur.clear();
    } else if (c == '*' || c == '?') {
      return Unsupported(text, "the wildcard `" + std::string(1, c) + "`");
    } else if (c == '|' || c == '@' || c == '#' || c == '[' || c == '{' || c == '!') {
      return Unsupported(text, "`" + std::string(1, c) + "` inside a key path");
    } else {
      cur += c;
    }
  }
  if (cur.empty()) return Unsupported(text, "an empty path component");
  keys.push_back(std::move(cur));
  return keys;
}

StatusOr<json> ParseValue(std::string_view text, std::string_view v) {
  if (v == "true") return json(true);
  if (v == "false") return json(false);
  if (!v.empty() && v.front() == '"') {
    json s = json::parse(v, nullptr, /*allow_exceptions=*/false);
    if (!s.is_string()) return Unsupported(text, "the value " + std::string(v));
    return s;
  }
  json n = json::parse(v, nullptr, false);
  if (n.is_number()) return n;
  return Unsupported(text, "the query value `" + std::string(v) + "`");
}

// The inside of `#(...)`: `path`, or `path op value`.
Status ParseQuery(std::string_view text, std::string_view in, Part* q) {
  size_t at = in.find_first_of("=!<>%");
  std::string_view path = in.substr(0, at), rest;
  while (!path.empty() && path.back() == ' ') path.remove_suffix(1);
  while (!path.empty() && path.front() == ' ') path.remove_prefix(1);
  if (at != std::string_view::npos) {
    static constexpr std::pair<std::string_view, Op> kOps[] = {
        {"==", Op::kEq}, {"!=", Op::kNe}, {"<=", Op::kLe},  {">=", Op::kGe}, {"!%", Op::kNotLike},
        {"<", Op::kLt},  {">", Op::kGt},  {"%", Op::kLike}, {"=", Op::kEq}};
    std::string_view ops = in.substr(at);
    for (const auto& [s, op] : kOps) {
      if (ops.substr(0, s.size()) == s) {
        q->op = op;
        rest = ops.substr(s.size());
        break;
      }
    }
    if (q->op == Op::kNone) return Unsupported(text, "the operator in `" + std::string(in) + "`");
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    auto v = ParseValue(text, rest);
    if (!v.ok()) return v.status();
    q->value = std::move(*v);
  } else if (path.empty()) {
    return Unsupported(text, "an empty query `#()`");
  }
  auto keys = SplitKeys(text, path);
  if (!keys.ok()) return keys.status();
  q->path = std::move(*keys);
  return OkStatus();
}

// End of a `#(` query starting at `open` (the '('): the matching ')', quotes respected.
size_t QueryEnd(std::string_view s, size_t open) {
  int depth = 0;
  bool quoted = false;
  for (size_t i = open; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

bool Glob(std::string_view s, std::string_view p) {
  if (p.empty()) return s.empty();
  if (p[0] == '*') return Glob(s, p.substr(1)) || (!s.empty() && Glob(s.substr(1), p));
  if (s.empty()) return false;
  if (p[0] == '?' || p[0] == s[0]) return Glob(s.substr(1), p.substr(1));
  return false;
}

template <typename T>
bool Compare(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNe:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kLe:
      return a <= b;
    case Op::kGt:
      return a > b;
    case Op::kGe:
      return a >= b;
    default:
      return false;
  }
}

const json* Child(const json& cur, const std::string& key) {
  if (cur.is_object()) {
    auto it = cur.find(key);
    return it == cur.end() ? nullptr : &*it;
  }
  if (cur.is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos) {
    size_t i = std::strtoull(key.c_str(), nullptr, 10);
    return i < cur.size() ? &cur[i] : nullptr;
  }
  return nullptr;
}

// gjson's queryMatches: a value compares only with a right-hand side of its own type.
bool Matches(const Part& q, const json& element) {
  const json* v = &element;
  for (const std::string& k : q.path) {
    if ((v = Child(*v, k)) == nullptr) return false;
  }
  switch (q.op) {
    case Op::kNone:
      return true;
    case Op::kLike:
    case Op::kNotLike:
      if (!v->is_string() || !q.value.is_string()) return false;
      return Glob(v->get_ref<const std::string&>(), q.value.get_ref<const std::string&>()) ==
             (q.op == Op::kLike);
    default:
      break;
  }
  if (q.value.is_string()) {
    return v->is_string() &&
           Compare(q.op, v->get_ref<const std::string&>(), q.value.get_ref<const std::string&>());
  }
  if (q.value.is_number()) {
    return v->is_number() && Compare(q.op, v->get<double>(), q.value.get<double>());
  }
  if (q.value.is_boolean()) {
    return v->is_boolean() && Compare(q.op, v->get<bool>(), q.value.get<bool>());
  }
  return false;
}

bool Walk(const std::vector<Part>& parts, size_t i, const json& cur) {
  if (i == parts.size()) return true;
  const Part& p = parts[i];
  switch (p.kind) {
    case Part::Kind::kThis:
      return Walk(parts, i + 1, cur);
    case Part::Kind::kWrapThis: {
      json wrapped = json::array({cur});
      return Walk(parts, i + 1, wrapped);
    }
    case Part::Kind::kKey: {
      const json* next = Child(cur, p.key);
      return next != nullptr && Walk(parts, i + 1, *next);
    }
    case Part::Kind::kCount:
      // `#` is the length; `#.rest` maps the rest over the elements (an array, maybe empty).
      return cur.is_array();
    case Part::Kind::kQuery:
      if (!cur.is_array()) return false;
      if (p.all) return true;  // gjson answers `[]` when nothing matches: it exists
      for (const json& e : cur) {
        if (Matches(p, e)) return Walk(parts, i + 1, e);
      }
      return false;
  }
  return false;
}

}  // namespace

StatusOr<Condition> Condition::Parse(std::string_view text) {
  auto parts = std::make_shared<std::vector<Part>>();
  if (text.empty()) return InvalidArgumentError("condition is empty");
  size_t i = 0;
  while (i < text.size()) {
    Part p;
    std::string_view rest = text.substr(i);
    size_t end;
    if (rest.substr(0, 7) == "[@this]") {
      p.kind = Part::Kind::kWrapThis;
      end = 7;
    } else if (rest.substr(0, 5) == "@this" && (rest.size() == 5 || rest[5] == '.')) {
      p.kind = Part::Kind::kThis;
      end = 5;
    } else if (rest.substr(0, 2) == "#(") {
      size_t close = QueryEnd(rest, 1);
      if (close == std::string_view::npos) return Unsupported(text, "an unclosed `#(`");
      p.kind = Part::Kind::kQuery;
      Status s = ParseQuery(text, rest.substr(2, close - 2), &p);
      if (!s.ok()) return s;
      end = close + 1;
      if (end < rest.size() && rest[end] == '#') {
        p.all = true;
        ++end;
      }
    } else if (rest[0] == '#' && (rest.size() == 1 || rest[1] == '.')) {
      p.kind = Part::Kind::kCount;
      end = 1;
    } else if (rest[0] == '@' || rest[0] == '[' || rest[0] == '{' || rest[0] == '!' ||
               rest[0] == '#') {
      return Unsupported(text, "`" + std::string(rest.substr(0, rest.find('.'))) + "`");
    } else {
      // A key up to the next unescaped '.'.
      end = 0;
      while (end < rest.size() && rest[end] != '.') end += rest[end] == '\\' ? 2 : 1;
      end = std::min(end, rest.size());
      if (end == 0) return Unsupported(text, "an empty path component");
      auto keys = SplitKeys(text, rest.substr(0, end));
      if (!keys.ok()) return keys.status();
      p.key = std::move((*keys)[0]);
    }
    parts->push_back(std::move(p));
    i += end;
    if (i < text.size()) {
      if (text[i] != '.' || i + 1 == text.size()) {
        return Unsupported(text, "`" + std::string(text.substr(i)) + "` after a path component");
      }
      ++i;
    }
  }
  Condition c;
  c.text_ = std::string(text);
  c.parts_ = std::move(parts);
  return c;
}

bool Condition::Exists(const json& doc) const { return parts_ != nullptr && Walk(*parts_, 0, doc); }

}  // namespace ferry::graph
