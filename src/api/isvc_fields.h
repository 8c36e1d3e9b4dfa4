// The one classification of every field of an InferenceService's spec
// (serving.kserve.io/v1beta1, KServe v0.13–v0.15): what Ferry honours, what
// it refuses at admission (fields whose absence would change results, or that
// name something Ferry cannot run: transformer and explainer containers,
// custom predictor containers, multi-node workers ...) and what it accepts but
// cannot apply on one machine (replica counts, resources, scheduling ...),
// answered with a `Warning:` header at admission and listed in a status
// condition by the controller.
//
// A rule covers its path and everything below it unless a longer rule exists;
// kStructure rules only hold children, so a field under one that has no rule
// of its own is unclassified. isvc_fields_test walks the pinned CRDs'
// openAPIV3Schema and fails on any unclassified path.
//
// Called by the API's InferenceService validation and warnings (kinds_kserve)
// and by the controller (status condition; refusal of objects stored before a
// rule existed). The table is static and immutable: thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::api {

enum class FieldUse { kStructure, kHonoured, kRefused, kNoEffect };

struct FieldRule {
  std::string path;  // dotted; array items share their array's path
  FieldUse use = FieldUse::kHonoured;
  std::string why;  // for kRefused and kNoEffect: what the user should know
  // For kNoEffect: only values for which this returns true have no effect
  // (minReplicas: 1 is what one machine does); null = every value.
  bool (*applies)(const nlohmann::json& value) = nullptr;
};

const std::vector<FieldRule>& InferenceServiceFieldRules();

// The rule for `path` (itself or its nearest ancestor with a rule), or null.
const FieldRule* NearestFieldRule(std::string_view path);

struct FieldFinding {
  std::string path;
  const FieldRule* rule;
};

// The refused and no-effect fields present in `isvc` (the whole object; only
// `spec` is examined), in document order. A covered subtree is reported once
// at its root. Fields no rule reaches (not in KServe's schema) are left to
// strict field validation.
struct IsvcFieldReport {
  std::vector<FieldFinding> refused;
  std::vector<FieldFinding> no_effect;
};
IsvcFieldReport ClassifyInferenceServiceFields(const nlohmann::json& isvc);

// "FIELD: has no effect in Ferry: WHY", one per no-effect field (admission
// warnings and the controller's status condition).
std::vector<std::string> NoEffectMessages(const IsvcFieldReport& report);

// "FIELD: WHY" for the first refused field, or "" (the controller's refusal
// of a stored object admission would refuse today).
std::string FirstRefusal(const IsvcFieldReport& report);

}  // namespace ferry::api
