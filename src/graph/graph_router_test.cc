#include "graph/graph_router.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>

namespace ferry::graph {
namespace {

using nlohmann::json;

// Fake services by step target name: each answers a fixed status and a body built from its input.
// Completions are queued and delivered later, last first, as an asynchronous peer may.
class FakeCaller : public StepCaller {
 public:
  std::map<std::string, std::function<Reply(const std::string&)>> services;
  std::vector<std::string> called;
  std::deque<std::function<void()>> pending;
  std::mt19937 rng{42};

  void Call(const Step& step, std::string body, std::function<void(Reply)> done) override {
    std::string name = step.service_name.empty() ? step.host : step.service_name;
    called.push_back(name);
    Reply r = services.at(name)(body);
    pending.push_back([done, r] { done(r); });
  }
  int Roll() override { return static_cast<int>(rng() % 100); }
  void Drain() {
    while (!pending.empty()) {
      auto f = std::move(pending.back());
      pending.pop_back();
      f();
    }
  }
};

std::shared_ptr<const Graph> Build(const char* nodes) {
  ParsedGraph p = ParseGraph(json{{"metadata", {{"name", "g"}, {"namespace", "ns"}}},
                                  {"spec", {{"nodes", json::parse(nodes)}}}});
  EXPECT_TRUE(p.errors.empty()) << (p.errors.empty() ? "" : p.errors[0].message);
  return std::make_shared<Graph>(std::move(p.graph));
}

Reply Echo(const std::string& tag, const std::string& in) {
  return {200, json{{"from", tag}, {"got", json::parse(in)}}.dump(), "", false};
}

struct Harness {
  std::shared_ptr<FakeCaller> caller = std::make_shared<FakeCaller>();
  Harness() {
    caller->services["a"] = [](const std::string& in) { return Echo("a", in); };
    caller->services["b"] = [](const std::string& in) { return Echo("b", in); };
    caller->services["cat"] = [](const std::string&) {
      return Reply{200, R"J({"predictions":["cat"]})J", "", false};
    };
    caller->services["down"] = [](const std::string&) {
      return Reply{503, R"J({"error":"model down"})J", "", false};
    };
    caller->services["gone"] = [](const std::string&) {
      return Reply{0, "", "dial tcp: lookup gone: no such host", false};
    };
    caller->services["text"] = [](const std::string&) { return Reply{200, "plain", "", false}; };
  }
  GraphReply Run(const char* nodes, const std::string& input) {
    GraphReply out;
    bool done = false;
    RunGraph(Build(nodes), input, caller, [&](GraphReply r) {
      out = std::move(r);
      done = true;
    });
    caller->Drain();
    EXPECT_TRUE(done);
    return out;
  }
};

TEST(GraphRouter, SequencePassesRequestOrResponse) {
  Harness h;
  GraphReply r = h.Run(R"J({"root":{"routerType":"Sequence","steps":[
      {"serviceName":"a"},{"serviceName":"b","data":"$response"}]}})J",
                       R"J({"x":1})J");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json::parse(R"J({"from":"b","got":{"from":"a","got":{"x":1}}})J"));
  r = h.Run(R"J({"root":{"routerType":"Sequence","steps":[
      {"serviceName":"a"},{"serviceName":"b","data":"$request"}]}})J",
            R"J({"x":1})J");
  EXPECT_EQ(json::parse(r.body), json::parse(R"J({"from":"b","got":{"x":1}})J"));
}

TEST(GraphRouter, SequenceHardStopsSoftContinues) {
  Harness h;
  GraphReply r = h.Run(R"J({"root":{"routerType":"Sequence","steps":[
      {"serviceName":"down","dependency":"Hard"},{"serviceName":"b"}]}})J",
                       "{}");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"J({"error":"model down"})J");
  EXPECT_EQ(h.caller->called, std::vector<std::string>{"down"});
  r = h.Run(R"J({"root":{"routerType":"Sequence","steps":[
      {"serviceName":"down"},{"serviceName":"b"}]}})J",
            "{}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["from"], "b");
}

TEST(GraphRouter, SequenceConditionReadsThePreviousResponse) {
  Harness h;
  const char* g = R"J({"root":{"routerType":"Sequence","steps":[{"serviceName":"cat"},
      {"serviceName":"b","condition":"[@this].#(predictions.0==\"%s\")"}]}})J";
  char buf[512];
  std::snprintf(buf, sizeof(buf), g, "cat");
  EXPECT_EQ(json::parse(h.Run(buf, "{}").body)["from"], "b");
  std::snprintf(buf, sizeof(buf), g, "dog");
  GraphReply r = h.Run(buf, "{}");  // no match: the previous output, status 500
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"J({"predictions":["cat"]})J");
  // A condition on the first step has no previous output: "invalid response".
  r = h.Run(R"J({"root":{"routerType":"Sequence","steps":[{"serviceName":"a","condition":"x"}]}})J",
            "{}");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(json::parse(r.body), json::parse(RoutingErrorBody("invalid response")));
}

TEST(GraphRouter, SwitchPicksTheFirstMatchOnTheInput) {
  Harness h;
  const char* g = R"J({"root":{"routerType":"Switch","steps":[
      {"serviceName":"a","condition":"[@this].#(instances.0.0>5)"},
      {"serviceName":"b","condition":"[@this].#(instances.0.0<=5)"}]}})J";
  EXPECT_EQ(json::parse(h.Run(g, R"J({"instances":[[6.1,1]]})J").body)["from"], "a");
  EXPECT_EQ(json::parse(h.Run(g, R"J({"instances":[[4.9,1]]})J").body)["from"], "b");
  GraphReply r = h.Run(g, R"J({"other":1})J");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body),
            json::parse(RoutingErrorBody("None of the routes matched with the switch condition")));
  EXPECT_EQ(h.Run(g, "not json").status, 404);
}

TEST(GraphRouter, EnsembleMergesByStepName) {
  Harness h;
  GraphReply r = h.Run(R"J({"root":{"routerType":"Ensemble","steps":[
      {"serviceName":"a","name":"first"},{"serviceName":"down"},{"nodeName":"inner"}]},
      "inner":{"routerType":"Sequence","steps":[{"serviceName":"cat"}]}})J",
                       R"J({"x":1})J");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json::parse(R"J({"first":{"from":"a","got":{"x":1}},
      "1":{"error":"model down"},"2":{"predictions":["cat"]}})J"));
  r = h.Run(R"J({"root":{"routerType":"Ensemble","steps":[
      {"serviceName":"a"},{"serviceName":"down","dependency":"Hard"}]}})J",
            "{}");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body), json::parse(R"J({"error":"model down"})J"));
  r = h.Run(R"J({"root":{"routerType":"Ensemble","steps":[{"serviceName":"text"}]}})J", "{}");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(json::parse(r.body)["cause"].get<std::string>().find("not a JSON object"),
            std::string::npos);
}

TEST(GraphRouter, SplitterFollowsTheWeights) {
  Harness h;
  const char* g = R"J({"root":{"routerType":"Splitter","steps":[
      {"serviceName":"a","weight":20},{"serviceName":"b","weight":80}]}})J";
  std::map<std::string, int> count;
  for (int i = 0; i < 2000; ++i) ++count[json::parse(h.Run(g, "{}").body)["from"]];
  // 20% / 80% of 2000 draws from a seeded generator: far inside these bounds.
  EXPECT_GT(count["a"], 300);
  EXPECT_LT(count["a"], 500);
  EXPECT_EQ(count["a"] + count["b"], 2000);
}

TEST(GraphRouter, AStepWithoutAnswerFailsTheGraphWithItsCause) {
  Harness h;
  GraphReply r = h.Run(R"J({"root":{"routerType":"Sequence","steps":[{"serviceName":"gone"},
      {"serviceName":"a"}]}})J",
                       "{}");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(json::parse(r.body),
            json::parse(RoutingErrorBody("dial tcp: lookup gone: no such host")));
  EXPECT_EQ(h.caller->called, std::vector<std::string>{"gone"});
}

TEST(GraphRouter, NonJsonAnswerIsPassedThrough) {
  Harness h;
  GraphReply r =
      h.Run(R"J({"root":{"routerType":"Sequence","steps":[{"serviceName":"text"}]}})J", "{}");
  EXPECT_EQ(r.body, "plain");
  EXPECT_FALSE(r.json_body);
}

}  // namespace
}  // namespace ferry::graph
