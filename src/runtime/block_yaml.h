// ReadBlockYaml: the YAML MLflow writes for an MLmodel file (PyYAML's
// safe_dump, block style: nested mappings of plain or one-line quoted
// scalars) read without yaml-cpp's scanner, into the YAML::Node yaml-cpp
// would build. yaml-cpp's regex-driven scanner spent ~1.4M instructions on
// the seed model's 800-byte MLmodel, a fifth of `ferry serve`'s work until
// ready.
//
// Exactness over coverage: the reader answers nullopt for anything it does
// not read exactly as yaml-cpp does — sequences, flow collections, anchors,
// aliases, tags, block and multi-line scalars, comments, document markers,
// escapes in double quotes, tabs, bytes outside printable ASCII, duplicate
// keys, an indented or empty root — and the caller then parses with yaml-cpp.
// mlmodel_test and the mlmodel fuzz target check that both agree wherever
// the reader answers.
//
// Pure function; thread-safe. Internal to ferry_runtime.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string_view>

namespace ferry::runtime {

std::optional<YAML::Node> ReadBlockYaml(std::string_view text);

}  // namespace ferry::runtime
