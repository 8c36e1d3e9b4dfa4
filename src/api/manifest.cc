#include "api/manifest.h"

#include <string>

#include "api/kinds.h"
#include "api/yaml_json.h"

namespace ferry::api {
namespace {

using nlohmann::json;

// yaml-cpp 0.7 reports endless documents when a document's root is a flow
// collection followed by ',' (e.g. `{"a":1},` or `--- [1],`). YamlToJson
// bounds the documents of any text; this finds that common case first so
// the error can name its line. Returns the 1-based line of the ',' or 0.
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
  ASSIGN_OR_RETURN(out, YamlToJson(text));
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
