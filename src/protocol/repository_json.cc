#include "protocol/repository_json.h"

#include <string>

#include "protocol/json_dom.h"

namespace ferry::protocol {
namespace {

using internal::element;
using internal::JsonTypeName;
using internal::object;

bool Blank(std::string_view body) {
  for (char c : body) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

StatusOr<object> BodyObject(std::string_view body, std::string_view what) {
  ASSIGN_OR_RETURN(element doc, internal::ParseJsonDocument(body, what));
  object obj;
  if (doc.get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError(std::string(what) + " must be a JSON object, not " +
                                std::string(JsonTypeName(doc)));
  }
  return obj;
}

}  // namespace

StatusOr<RepositoryIndexRequest> ParseRepositoryIndexRequest(std::string_view body) {
  RepositoryIndexRequest out;
  if (Blank(body)) return out;
  constexpr std::string_view kWhat = "the repository index request body";
  ASSIGN_OR_RETURN(object obj, BodyObject(body, kWhat));
  for (auto field : obj) {
    if (field.key != "ready") {
      return InvalidArgumentError(std::string(kWhat) + " has an unknown field \"" +
                                  std::string(field.key) +
                                  "\"; it takes only {\"ready\": true|false}");
    }
    if (field.value.get(out.ready) != simdjson::SUCCESS) {
      return InvalidArgumentError(std::string(kWhat) + ": \"ready\" must be a boolean, not " +
                                  std::string(JsonTypeName(field.value)));
    }
  }
  return out;
}

Status ParseRepositoryModelRequest(std::string_view body, std::string_view verb) {
  if (Blank(body)) return Status();
  const std::string what = "the repository " + std::string(verb) + " request body";
  ASSIGN_OR_RETURN(object obj, BodyObject(body, what));
  for (auto field : obj) {
    if (field.key != "parameters") {
      return InvalidArgumentError(what + " has an unknown field \"" + std::string(field.key) +
                                  "\"; send no body (or {})");
    }
    object params;
    if (field.value.get(params) != simdjson::SUCCESS) {
      return InvalidArgumentError(what + ": \"parameters\" must be an object, not " +
                                  std::string(JsonTypeName(field.value)));
    }
    for (auto p : params) {
      return InvalidArgumentError(
          what + ": parameter \"" + std::string(p.key) + "\" is not supported: Ferry " +
          std::string(verb) + "s the model's directory as it is (no configuration or file " +
          "overrides, no dependents); send no parameters");
    }
  }
  return Status();
}

}  // namespace ferry::protocol
