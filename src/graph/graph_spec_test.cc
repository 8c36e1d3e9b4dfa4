#include "graph/graph_spec.h"

#include <gtest/gtest.h>

namespace ferry::graph {
namespace {

using nlohmann::json;

ParsedGraph Parse(const char* nodes) {
  return ParseGraph(json{{"metadata", {{"name", "g"}, {"namespace", "ns"}}},
                         {"spec", {{"nodes", json::parse(nodes)}}}});
}

// The first error's field and whether its message holds `text`.
void ExpectError(const char* nodes, const std::string& field, const std::string& text) {
  ParsedGraph p = Parse(nodes);
  ASSERT_FALSE(p.errors.empty()) << nodes;
  EXPECT_EQ(p.errors[0].field, field) << p.errors[0].message;
  EXPECT_NE(p.errors[0].message.find(text), std::string::npos) << p.errors[0].message;
}

TEST(GraphSpec, ParsesKServesExamples) {
  ParsedGraph p = Parse(R"({"root":{"routerType":"Sequence","steps":[
      {"serviceName":"sklearn-iris","name":"sklearn-iris"},
      {"serviceName":"xgboost-iris","name":"xgboost-iris","data":"$request"},
      {"nodeName":"split","data":"$response","dependency":"Hard"}]},
    "split":{"routerType":"Splitter","steps":[{"serviceName":"a","weight":20},
      {"serviceUrl":"http://b.ns.svc.cluster.local/v2/models/b/infer","weight":80}]}})");
  ASSERT_TRUE(p.errors.empty()) << p.errors[0].field << ": " << p.errors[0].message;
  const Node& root = p.graph.nodes.at("root");
  EXPECT_EQ(root.steps.size(), 3u);
  EXPECT_TRUE(root.steps[2].data_response);
  EXPECT_TRUE(root.steps[2].hard);
  const Step& url = p.graph.nodes.at("split").steps[1];
  EXPECT_EQ(url.host, "b.ns.svc.cluster.local");
  EXPECT_EQ(url.path, "/v2/models/b/infer");
  EXPECT_EQ(PredictPath("iris", false), "/v1/models/iris:predict");
}

TEST(GraphSpec, RefusesWhatKServeOrFerryCannotRun) {
  ExpectError(R"({"main":{"routerType":"Sequence","steps":[{"serviceName":"a"}]}})", "spec.nodes",
              "root node not found");
  ExpectError(R"({"root":{"routerType":"Sequence","steps":[{"name":"x"}]}})",
              "spec.nodes.root.steps[0]", "names no inference target");
  ExpectError(R"({"root":{"routerType":"Sequence","steps":[{"serviceName":"a","nodeName":"b"}]}})",
              "spec.nodes.root.steps[0]", "more than one of nodeName");
  ExpectError(R"({"root":{"routerType":"Sequence","steps":[{"serviceName":"a","name":"x"},
              {"serviceName":"b","name":"x"}]}})",
              "spec.nodes.root.steps[1].name", "more than one step named");
  ExpectError(R"({"root":{"routerType":"Splitter","steps":[{"serviceName":"a","weight":20},
              {"serviceName":"b","weight":70}]}})",
              "spec.nodes.root.steps", "should be 100");
  ExpectError(R"({"root":{"routerType":"Splitter","steps":[{"serviceName":"a"}]}})",
              "spec.nodes.root.steps[0].weight", "needs a weight");
  ExpectError(R"({"root":{"routerType":"Switch","steps":[{"serviceName":"a"}]}})",
              "spec.nodes.root.steps[0].condition", "needs a condition");
  ExpectError(R"({"root":{"routerType":"Switch","steps":[{"serviceName":"a",
              "condition":"a.@reverse"}]}})",
              "spec.nodes.root.steps[0].condition", "a.@reverse");
  ExpectError(R"({"root":{"routerType":"Sequence","steps":[{"serviceName":"a","data":"$x"}]}})",
              "spec.nodes.root.steps[0].data", "$x");
  ExpectError(R"({"root":{"routerType":"Sequence","steps":[{"nodeName":"nope"}]}})",
              "spec.nodes.root.steps[0].nodeName", "names no node");
  ExpectError(R"({"root":{"routerType":"Sequence","steps":[{"nodeName":"b"}]},
              "b":{"routerType":"Sequence","steps":[{"nodeName":"root"}]}})",
              "spec.nodes.root", "must not loop");
  ExpectError(R"({"root":{"routerType":"Sequence","steps":[
              {"serviceUrl":"http://example.com/v1/models/a:predict"}]}})",
              "spec.nodes.root.steps[0].serviceUrl", "outside Ferry");
  ExpectError(R"({"root":{"routerType":"Sequence","steps":[
              {"serviceUrl":"http://a.ns.svc.cluster.local/"}]}})",
              "spec.nodes.root.steps[0].serviceUrl", "no model path");
  ExpectError(R"({"root":{"routerType":"Sequence","steps":{"a":1}}})", "spec.nodes.root.steps",
              "must be a list");
  ExpectError(R"({"root":{"routerType":"Chain","steps":[{"serviceName":"a"}]}})",
              "spec.nodes.root.routerType", "Chain");
}

}  // namespace
}  // namespace ferry::graph
