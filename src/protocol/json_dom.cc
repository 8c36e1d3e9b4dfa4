#include "protocol/json_dom.h"

#include <limits>

#include "common/lazy_simdjson.h"

namespace ferry::protocol::internal {

StatusOr<element> ParseJsonDocument(std::string_view json, std::string_view what) {
  thread_local simdjson::dom::parser parser;
  // realloc_if_needed: the caller's buffer has no simdjson padding, so the
  // parser copies it into its own padded buffer (cheap next to parsing).
  auto result = parser.parse(json.data(), json.size(), true);
  if (result.error() != simdjson::SUCCESS) {
    return InvalidArgumentError(std::string(what) + " is not valid JSON (" +
                                SimdjsonErrorMessage(result.error()) +
                                "); check the body and Content-Type");
  }
  return result.value_unsafe();
}

std::string_view JsonTypeName(element e) {
  switch (e.type()) {
    case element_type::OBJECT:
      return "an object";
    case element_type::ARRAY:
      return "a list";
    case element_type::STRING:
      return "a string";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "unknown";
}

std::string JsonSnippet(element e) {
  std::string s = simdjson::minify(e);
  constexpr size_t kMax = 40;
  if (s.size() > kMax) {
    s.resize(kMax);
    s += "...";
  }
  return s;
}

Status ParseParameterObject(element e, std::string_view where, Parameters* out) {
  object obj;
  if (e.get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError(std::string(where) + ": \"parameters\" must be an object, not " +
                                std::string(JsonTypeName(e)));
  }
  for (auto field : obj) {
    std::string key(field.key);
    element v = field.value;
    switch (v.type()) {
      case element_type::STRING:
        out->Set(key, std::string(v.get_string().value_unsafe()));
        break;
      case element_type::BOOL:
        out->Set(key, v.get_bool().value_unsafe());
        break;
      case element_type::INT64:
        out->Set(key, v.get_int64().value_unsafe());
        break;
      case element_type::UINT64: {
        uint64_t u = v.get_uint64().value_unsafe();
        out->Set(key, static_cast<double>(u));
        break;
      }
      case element_type::DOUBLE:
        out->Set(key, v.get_double().value_unsafe());
        break;
      case element_type::NULL_VALUE:
        break;
      default:
        return InvalidArgumentError(std::string(where) + ": parameter '" + key + "' is " +
                                    std::string(JsonTypeName(v)) +
                                    "; parameter values must be strings, numbers or booleans");
    }
  }
  return OkStatus();
}

bool GetField(object obj, std::string_view key, element* out) {
  return obj.at_key(key).get(*out) == simdjson::SUCCESS;
}

}  // namespace ferry::protocol::internal
