// ReadBlockYaml: the YAML MLflow writes for an MLmodel file (PyYAML's
// safe_dump, block style: nested mappings of plain or one-line quoted
// scalars) read without yaml-cpp's scanner, into a small tree of the same
// mappings, nulls and scalars yaml-cpp would build (mlmodel.cc reads both
// through one template). yaml-cpp's regex-driven scanner spent ~1.4M
// instructions on the seed model's 800-byte MLmodel, a fifth of `ferry
// serve`'s work until ready, and building its YAML::Node tree another 0.4M.
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

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::runtime {

struct BlockEntry;

// One value: `key:` with nothing after it (and nothing deeper) and `~`/`null` are kNull; a
// quoted or plain scalar is kScalar (`scalar` holds its decoded text); deeper lines are kMap.
struct BlockNode {
  enum class Kind { kNull, kScalar, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;
  std::vector<BlockEntry> entries;  // kMap: in the file's order, keys unique
};

struct BlockEntry {
  std::string_view key;  // points into the text given to ReadBlockYaml
  BlockNode value;
};

// The root mapping of `text`, or nullopt when the text is not the shape this reader handles.
// The tree's keys point into `text`.
std::optional<BlockNode> ReadBlockYaml(std::string_view text);

}  // namespace ferry::runtime
