// Fuzz: InferenceGraph specs and conditions as a user writes them. Input = a GJSON condition, a
// 0x00 byte, then a JSON document: the condition is parsed and evaluated on the document, and
// the document is parsed as a graph's `nodes`. Must never crash or loop.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "graph/condition.h"
#include "graph/graph_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t sep = in.find('\0');
  std::string_view cond = in.substr(0, sep);
  std::string_view doc_text = sep == std::string_view::npos ? "{}" : in.substr(sep + 1);
  nlohmann::json doc = nlohmann::json::parse(doc_text, nullptr, false);
  if (doc.is_discarded()) doc = nlohmann::json::object();
  auto c = ferry::graph::Condition::Parse(cond);
  if (c.ok()) (void)c->Exists(doc);
  auto parsed = ferry::graph::ParseGraph(nlohmann::json{
      {"metadata", {{"name", "g"}, {"namespace", "ns"}}}, {"spec", {{"nodes", doc}}}});
  (void)parsed;
  return 0;
}
