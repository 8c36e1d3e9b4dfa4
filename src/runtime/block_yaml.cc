#include "runtime/block_yaml.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ferry::runtime {
namespace {

enum class ValueKind { kNone, kNull, kScalar };

struct Line {
  size_t indent = 0;
  std::string_view key;
  ValueKind kind = ValueKind::kNone;  // kNone: `key:` with nothing after it
  std::string value;
};

bool KeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// A plain scalar yaml-cpp reads as this same text: no indicator first, no
// ": " or " #" inside, no ':' last (any of those: nullopt).
std::optional<std::string> Plain(std::string_view v) {
  const std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (v.empty()) return std::nullopt;
  if (kIndicators.find(v[0]) != std::string_view::npos &&
      !(v[0] == '-' && v.size() > 1 && v[1] >= '0' && v[1] <= '9')) {
    return std::nullopt;
  }
  if (v.find(": ") != std::string_view::npos || v.find(" #") != std::string_view::npos ||
      v.back() == ':') {
    return std::nullopt;
  }
  return std::string(v);
}

// Decodes one line's part of a single-quoted scalar into *out ('' is a quote): 1 when a
// quote closes the scalar at the line's end, 0 when the scalar goes on, -1 when a quote closes
// it before the line ends. Each line is scanned once, so a scalar wrapped over many lines
// costs linear time.
int ScanSingleQuoted(std::string_view part, std::string* out) {
  for (size_t i = 0; i < part.size(); ++i) {
    if (part[i] != '\'') {
      out->push_back(part[i]);
    } else if (i + 1 < part.size() && part[i + 1] == '\'') {
      out->push_back('\'');
      ++i;
    } else {
      return i + 1 == part.size() ? 1 : -1;
    }
  }
  return 0;
}

// A double-quoted scalar without escapes, closed on its line.
std::optional<std::string> DoubleQuoted(std::string_view v) {
  if (v.size() < 2 || v.back() != '"') return std::nullopt;
  std::string_view inner = v.substr(1, v.size() - 2);
  if (inner.find_first_of("\"\\") != std::string_view::npos) return std::nullopt;
  return std::string(inner);
}

// Joins a single-quoted scalar that PyYAML wrapped over several lines: each
// line break between non-blank lines folds to one space, the continuation's
// leading and the broken line's trailing spaces dropped (YAML's flow folding).
// `more` yields the following raw lines; false when the scalar does not close
// the way this reader handles (a blank line, an indent not deeper than the key).
template <typename More>
bool FoldSingleQuoted(std::string_view first, size_t key_indent, More&& more, std::string* out) {
  std::string text;
  int state = ScanSingleQuoted(first.substr(1), &text);  // after the opening quote
  while (state == 0) {
    std::optional<std::string_view> next = more();
    if (!next) return false;
    size_t lead = next->find_first_not_of(' ');
    if (lead == std::string_view::npos || lead <= key_indent) return false;
    std::string_view rest = next->substr(lead);
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    text += ' ';
    state = ScanSingleQuoted(rest, &text);
  }
  if (state < 0) return false;
  *out = std::move(text);
  return true;
}

template <typename More>
bool ParseLine(std::string_view text, More&& more, Line* line) {
  size_t i = 0;
  while (i < text.size() && text[i] == ' ') ++i;
  line->indent = i;
  size_t key_start = i;
  while (i < text.size() && KeyChar(text[i])) ++i;
  if (i == key_start || i >= text.size() || text[i] != ':') return false;
  char first = text[key_start];
  if (first == '-' || first == '.') return false;  // "- x" is a sequence; "..." ends a document
  line->key = text.substr(key_start, i - key_start);
  if (line->key == "null" || line->key == "Null" || line->key == "NULL")
    return false;                     // a null key
  ++i;                                // ':'
  if (i == text.size()) return true;  // `key:`
  if (text[i] != ' ') return false;
  while (i < text.size() && text[i] == ' ') ++i;
  std::string_view v = text.substr(i);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return true;
  std::optional<std::string> value;
  if (v[0] == '\'') {
    std::string folded;
    if (!FoldSingleQuoted(v, line->indent, more, &folded)) return false;
    value = std::move(folded);
  } else if (v[0] == '"') {
    value = DoubleQuoted(v);
  } else if (v == "~" || v == "null" || v == "Null" || v == "NULL") {
    line->kind = ValueKind::kNull;
    return true;
  } else {
    value = Plain(v);
  }
  if (!value) return false;
  line->kind = ValueKind::kScalar;
  line->value = std::move(*value);
  return true;
}

// The entries lines[i..] at `indent` into `map`; false when the text is not
// the simple shape this reader handles.
bool BuildMap(std::vector<Line>& lines, size_t& i, size_t indent, BlockNode& map) {
  map.kind = BlockNode::Kind::kMap;
  std::set<std::string_view> seen;
  while (i < lines.size() && lines[i].indent == indent) {
    Line& l = lines[i++];
    if (!seen.insert(l.key).second) return false;
    BlockEntry& entry = map.entries.emplace_back();
    entry.key = l.key;
    bool deeper = i < lines.size() && lines[i].indent > indent;
    if (l.kind == ValueKind::kNone && deeper) {
      if (!BuildMap(lines, i, lines[i].indent, entry.value)) return false;
    } else if (deeper) {
      return false;  // a scalar continued on the next line
    } else if (l.kind == ValueKind::kScalar) {
      entry.value.kind = BlockNode::Kind::kScalar;
      entry.value.scalar = std::move(l.value);
    }
  }
  return true;
}

}  // namespace

std::optional<BlockNode> ReadBlockYaml(std::string_view text) {
  std::vector<Line> lines;
  size_t start = 0;
  bool bad_byte = false;
  // The next raw line, or nullopt at the end of the text.
  auto next_raw = [&]() -> std::optional<std::string_view> {
    if (start >= text.size()) return std::nullopt;
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    for (char c : raw) {
      if (c < 0x20 || c > 0x7e) bad_byte = true;  // tabs, CR, control and non-ASCII bytes
    }
    return raw;
  };
  while (std::optional<std::string_view> raw = next_raw()) {
    if (bad_byte) return std::nullopt;
    if (raw->find_first_not_of(' ') == std::string_view::npos) continue;
    Line line;
    if (!ParseLine(*raw, next_raw, &line) || bad_byte) return std::nullopt;
    lines.push_back(std::move(line));
  }
  if (lines.empty() || lines.front().indent != 0) return std::nullopt;
  BlockNode root;
  size_t i = 0;
  if (!BuildMap(lines, i, 0, root) || i != lines.size()) return std::nullopt;
  return root;
}

}  // namespace ferry::runtime
