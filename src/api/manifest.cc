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
