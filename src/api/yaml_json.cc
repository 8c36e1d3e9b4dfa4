#include "api/yaml_json.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <string>

namespace ferry::api {
namespace {

using nlohmann::json;

// YAML 1.2 core schema for plain (unquoted) scalars. yaml-cpp reports the
// null spellings (~, null, empty) as OnNull already.
json PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  const char* b = s.c_str();
  char* end = nullptr;
  errno = 0;
  long long i = std::strtoll(b, &end, 10);
  if (*end == '\0' && errno == 0 && (std::isdigit(s[0]) || s[0] == '-' || s[0] == '+')) return i;
  bool numeric_start = std::isdigit(s[0]) || ((s[0] == '-' || s[0] == '+' || s[0] == '.') &&
                                              s.size() > 1 && std::isdigit(s[1]));
  if (numeric_start) {
    double d = std::strtod(b, &end);
    if (*end == '\0') return d;
  }
  return s;
}

// Thrown out of the event handler to stop the parse at the first refusal.
struct Refused {
  Status status;
};

// Builds JSON values from parse events. One instance per text; documents
// are collected in `docs`.
class JsonBuilder : public YAML::EventHandler {
 public:
  JsonBuilder(const YamlLimits& limits, size_t max_values)
      : limits_(limits), max_values_(max_values) {}

  std::vector<json> docs;

  void OnDocumentStart(const YAML::Mark&) override {
    anchors_.clear();  // anchors are per document
    stack_.clear();
    root_.reset();
  }
  void OnDocumentEnd() override {
    if (root_ && !root_->is_null()) docs.push_back(std::move(*root_));
    root_.reset();
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (ExpectingKey()) Refuse(mark, "a mapping key is empty or null");
    Count(mark, 1);
    Complete(json(nullptr), anchor, 1, std::nullopt);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      Refuse(mark, "an alias refers to a node that contains it");
    }
    const Anchored& a = it->second;
    if (ExpectingKey()) {
      if (!a.raw) Refuse(mark, "a mapping key in the manifest is not a plain string");
      stack_.back().key = *a.raw;
      stack_.back().have_key = true;
      return;
    }
    Count(mark, a.values);
    Complete(a.value, 0, a.values, a.raw);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (ExpectingKey()) {
      stack_.back().key = value;
      stack_.back().have_key = true;
      if (anchor != 0) anchors_[anchor] = Anchored{json(value), 1, value};
      return;
    }
    Count(mark, 1);
    Complete(tag == "?" ? PlainScalar(value) : json(value), anchor, 1, value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, json::array(), false, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, json::object(), true, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    json value;
    bool is_map = false;
    bool have_key = false;
    std::string key;
    YAML::anchor_t anchor = 0;
    size_t values_at_start = 0;
  };
  struct Anchored {
    json value;
    size_t values = 0;               // expanded size, counted again at each alias
    std::optional<std::string> raw;  // scalar text (usable as a mapping key)
  };

  [[noreturn]] void Refuse(const YAML::Mark& mark, const std::string& what) {
    throw Refused{InvalidArgumentError("line " + std::to_string(mark.line + 1) + ": " + what)};
  }

  bool ExpectingKey() const {
    return !stack_.empty() && stack_.back().is_map && !stack_.back().have_key;
  }

  void Count(const YAML::Mark& mark, size_t n) {
    values_ += n;
    if (values_ > max_values_) {
      Refuse(mark, "the manifest expands to more than " + std::to_string(max_values_) +
                       " values (YAML aliases repeating large nodes?); refused");
    }
  }

  void Open(const YAML::Mark& mark, json empty, bool is_map, YAML::anchor_t anchor) {
    if (ExpectingKey()) Refuse(mark, "a mapping key in the manifest is not a plain string");
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      Refuse(mark, "the manifest nests deeper than " + std::to_string(limits_.max_depth) +
                       " levels");
    }
    Count(mark, 1);
    Frame f;
    f.value = std::move(empty);
    f.is_map = is_map;
    f.anchor = anchor;
    f.values_at_start = values_ - 1;
    stack_.push_back(std::move(f));
  }

  void Close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    Complete(std::move(f.value), f.anchor, values_ - f.values_at_start, std::nullopt);
  }

  // A finished value: remember it under its anchor, then attach it to its
  // parent (or make it the document's root).
  void Complete(json v, YAML::anchor_t anchor, size_t values, std::optional<std::string> raw) {
    if (anchor != 0) anchors_[anchor] = Anchored{v, values, std::move(raw)};
    if (stack_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& parent = stack_.back();
    if (!parent.is_map) {
      parent.value.push_back(std::move(v));
      return;
    }
    parent.value[parent.key] = std::move(v);  // a repeated key: the last wins
    parent.have_key = false;
  }

  const YamlLimits& limits_;
  const size_t max_values_;
  size_t values_ = 0;
  std::vector<Frame> stack_;
  std::optional<json> root_;
  std::map<YAML::anchor_t, Anchored> anchors_;
};

// How many documents `text` can hold at most: a document after the first
// needs a "---" or follows a "...".
size_t MaxDocuments(std::string_view text) {
  size_t n = 1;
  for (size_t i = 0; i + 3 <= text.size(); ++i) {
    if (text.compare(i, 3, "---") == 0 || text.compare(i, 3, "...") == 0) ++n;
  }
  return n;
}

}  // namespace

StatusOr<std::vector<json>> YamlToJson(std::string_view text, const YamlLimits& limits) {
  size_t max_values =
      limits.max_values != 0 ? limits.max_values : std::max<size_t>(100000, 4 * text.size());
  JsonBuilder builder(limits, max_values);
  const size_t max_docs = MaxDocuments(text);
  size_t docs = 0;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
      if (++docs > max_docs) {
        return InvalidArgumentError(
            "the manifest is not valid YAML: the parser found more documents than the text "
            "can hold (stray characters after a document?)");
      }
    }
  } catch (const Refused& r) {
    return r.status.WithContext("document " + std::to_string(docs + 1));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("the manifest is neither JSON nor valid YAML: line " +
                                std::to_string(e.mark.line + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the manifest cannot be read: ") + e.what());
  }
  return std::move(builder.docs);
}

}  // namespace ferry::api
