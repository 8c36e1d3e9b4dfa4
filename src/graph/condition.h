// Condition: the GJSON expressions of InferenceGraph steps (`condition:`), parsed once at
// admission and by the controller, evaluated per request on the parsed step input.
//
// KServe's router asks gjson whether the expression finds anything in the JSON
// (`gjson.GetBytes(input, condition).Exists()`); Evaluate() answers the same question for the
// subset KServe's docs and tests use:
//   - paths of keys and array indexes: `predictions.0`, `a.b\.c` (escaped dot), `predictions.#`
//     (the array's length);
//   - queries on arrays: `#(path op value)` (first match) and `#(...)#` (all matches, which
//     exists even when empty, as gjson returns `[]`), with op ==, !=, <, <=, >, >=, % (glob
//     like), !% and value a number, a "string", true, false or null; `#(path)` tests presence; an
//     empty path compares the element itself (`#(>5)`);
//   - `@this` and the multipath `[@this]` (an array holding the document), as in KServe's
//     `[@this].#(predictions.0==1)` examples.
// Anything else (other modifiers, wildcards, pipes, literals) fails Parse with a message naming
// the part that is not supported, so a graph Ferry cannot evaluate is refused at admission.
//
// Threads: a parsed Condition is immutable; Evaluate is thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::graph {

class Condition {
 public:
  struct Part;  // one path component (condition.cc)

  static StatusOr<Condition> Parse(std::string_view text);

  // gjson's Exists() of this expression on `doc`.
  bool Exists(const nlohmann::json& doc) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const std::vector<Part>> parts_;
};

}  // namespace ferry::graph
