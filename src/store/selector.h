// Label and field selectors as Kubernetes spells them in ?labelSelector= and
// ?fieldSelector= (e.g. "app=iris,tier!=db,env in (a,b),!legacy" and
// "metadata.name=x,involvedObject.uid=u").
//
// Called by ResourceStore::List/Watch and by the API server when it parses a
// request. Parsed selectors are immutable values, safe to share across threads.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ferry::store {

// A label's value as selectors compare it: a string as it is, anything else as its JSON text.
std::string LabelString(const nlohmann::json& v);

class LabelSelector {
 public:
  // Empty text selects everything.
  static StatusOr<LabelSelector> Parse(std::string_view text);
  // `labels` is metadata.labels (may be null).
  bool Matches(const nlohmann::json& labels) const;
  bool empty() const { return terms_.empty(); }
  // The labels every match must carry with exactly this value (key=value, key
  // in (value)): the store looks these up in its label index.
  std::vector<std::pair<std::string, std::string>> RequiredLabels() const;

  enum class Op { kEq, kNotEq, kIn, kNotIn, kExists, kNotExists };
  struct Term {
    std::string key;
    Op op = Op::kEq;
    std::vector<std::string> values;
  };

 private:
  std::vector<Term> terms_;
};

class FieldSelector {
 public:
  // Empty text selects everything. Any dotted path is accepted (Events use
  // involvedObject.*); values are compared as strings.
  static StatusOr<FieldSelector> Parse(std::string_view text);
  bool Matches(const nlohmann::json& object) const;
  bool empty() const { return terms_.empty(); }
  // The value required for `path` with "=", or empty (lets the store pick one key).
  std::string RequiredValue(std::string_view path) const;
  // Replaces each term's field by labels[field] (a kind's supported field
  // labels and the stored paths they read); a field not in `labels` is
  // InvalidArgument "field label not supported: F", kube-apiserver's words.
  Status MapLabels(const std::map<std::string, std::string, std::less<>>& labels);

 private:
  struct Term {
    std::vector<std::string> path;
    std::string dotted;  // as selected (the label, before MapLabels)
    bool negate = false;
    std::string value;
  };
  std::vector<Term> terms_;
};

// Everything a List or Watch filters by. An empty namespace means all namespaces.
struct Selector {
  std::string ns;
  LabelSelector labels;
  FieldSelector fields;

  bool Matches(const nlohmann::json& object) const;
};

// Parses both selector strings into a Selector; errors name the bad selector.
StatusOr<Selector> MakeSelector(std::string ns, std::string_view label_selector,
                                std::string_view field_selector);

}  // namespace ferry::store
