// Internal to ferry_protocol: the simdjson DOM plumbing the parsers share.
// Not for use outside src/protocol (it pulls in simdjson.h).
//
// Each thread owns one simdjson::dom::parser, reused across requests, so a
// parse allocates nothing once the parser has grown. Elements returned by
// ParseJsonDocument() are valid until the next ParseJsonDocument() call on
// the same thread.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "common/status.h"
#include "protocol/tensor.h"

namespace ferry::protocol::internal {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Parses `json` with this thread's parser. `what` names the body in errors
// ("V2 request body").
StatusOr<element> ParseJsonDocument(std::string_view json, std::string_view what);

// "an object", "a list", "a string", "a number", "a boolean", "null".
std::string_view JsonTypeName(element e);
// Short JSON text of e for error messages (truncated).
std::string JsonSnippet(element e);

// Reads a {"key": string|number|bool} object into *out; `where` names the
// owner in errors ("request", "input 'x'"). null values are skipped.
Status ParseParameterObject(element e, std::string_view where, Parameters* out);

// Looks up a field, returning false when e is not an object or lacks it.
bool GetField(object obj, std::string_view key, element* out);

// Several fields of `obj` in one pass: fields[i] gets the value of the first field named
// keys[i] (as GetField would), found[i] whether there was one. For a decoder that reads most
// of an object's fields: one walk instead of one per key.
template <size_t N>
void GetFields(object obj, const std::string_view (&keys)[N], element (&fields)[N],
               bool (&found)[N]) {
  for (size_t i = 0; i < N; ++i) found[i] = false;
  for (auto field : obj) {
    for (size_t i = 0; i < N; ++i) {
      if (!found[i] && field.key == keys[i]) {
        fields[i] = field.value;
        found[i] = true;
        break;
      }
    }
  }
}

}  // namespace ferry::protocol::internal
