#include "api/manifest.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

// YAML 1.2 core schema for plain (unquoted) scalars.
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

StatusOr<json> ToJson(const YAML::Node& node, int depth) {
  if (depth > 200) return InvalidArgumentError("the manifest nests deeper than 200 levels");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return json(nullptr);
    case YAML::NodeType::Scalar:
      return node.Tag() == "?" ? PlainScalar(node.Scalar()) : json(node.Scalar());
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const YAML::Node& item : node) {
        ASSIGN_OR_RETURN(json v, ToJson(item, depth + 1));
        out.push_back(std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return InvalidArgumentError("a mapping key in the manifest is not a plain string");
        }
        ASSIGN_OR_RETURN(json v, ToJson(kv.second, depth + 1));
        out[kv.first.Scalar()] = std::move(v);
      }
      return out;
    }
  }
  return json(nullptr);
}

// yaml-cpp 0.7 never returns from LoadAll when a document's root is a flow
// collection followed by ',' (e.g. `{"a":1},` or `--- [1],`): it allocates
// until memory runs out. Such text is not valid YAML, so find it first and
// answer with a parse error. Returns the 1-based line of the ',' or 0.
size_t RootFlowTrailingComma(std::string_view t) {
  size_t line = 1, depth = 0;
  bool doc_start = true, after_root = false, line_start = true;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '\n') {
      ++line;
      line_start = true;
      continue;
    }
    if (depth > 0) {  // inside the root flow collection
      if (c == '"' || c == '\'') {
        for (++i; i < t.size() && t[i] != c; ++i) {
          if (t[i] == '\n') ++line;
          if (c == '"' && t[i] == '\\') ++i;
        }
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        after_root = true;
      }
      line_start = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    bool at_line_start = line_start;
    line_start = false;
    if (c == '#') {
      while (i + 1 < t.size() && t[i + 1] != '\n') ++i;
      continue;
    }
    if (at_line_start && (t.substr(i, 3) == "---" || t.substr(i, 3) == "...")) {
      doc_start = true;
      after_root = false;
      i += 2;
      continue;
    }
    if (after_root && c == ',') return line;
    after_root = false;
    if (doc_start && (c == '{' || c == '[')) {
      depth = 1;
    } else if (at_line_start && c == '%') {
      // directive line: not content
    } else {
      doc_start = false;  // block content: skip the rest of the line
    }
    while (depth == 0 && i + 1 < t.size() && t[i + 1] != '\n') ++i;
  }
  return 0;
}

}  // namespace

StatusOr<std::vector<json>> ParseManifests(std::string_view text) {
  std::vector<json> out;
  json j = json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    if (j.is_object() && StringAt(j, "kind") == "List" && j.contains("items") &&
        j["items"].is_array()) {
      for (json& item : j["items"]) out.push_back(std::move(item));
    } else {
      out.push_back(std::move(j));
    }
    return out;
  }
  if (size_t bad = RootFlowTrailingComma(text); bad != 0) {
    return InvalidArgumentError("the manifest is neither JSON nor valid YAML: line " +
                                std::to_string(bad) +
                                ": unexpected ',' after the end of the document");
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
    for (size_t i = 0; i < docs.size(); ++i) {
      auto doc = ToJson(docs[i], 0);
      if (!doc.ok()) return doc.status().WithContext("document " + std::to_string(i + 1));
      if (!doc->is_null()) out.push_back(std::move(*doc));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("the manifest is neither JSON nor valid YAML: line " +
                                std::to_string(e.mark.line + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the manifest cannot be read: ") + e.what());
  }
  return out;
}

StatusOr<json> ParseOneManifest(std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<json> docs, ParseManifests(text));
  if (docs.size() != 1) {
    return InvalidArgumentError("expected exactly one object in the body, found " +
                                std::to_string(docs.size()));
  }
  return std::move(docs[0]);
}

}  // namespace ferry::api
