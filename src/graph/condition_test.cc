#include "graph/condition.h"

#include <gtest/gtest.h>

namespace ferry::graph {
namespace {

using nlohmann::json;

struct Case {
  const char* doc;
  const char* condition;
  bool exists;
};

// Documents and expressions of KServe's router tests and docs, with gjson's answers.
const Case kCases[] = {
    {R"({"predictions":[1,2]})", "predictions", true},
    {R"({"predictions":[1,2]})", "predictions.0", true},
    {R"({"predictions":[1,2]})", "predictions.2", false},
    {R"({"predictions":[1,2]})", "predictions.#", true},
    {R"({"predictions":[1,2]})", "missing", false},
    {R"({"predictions":["cat"]})", R"([@this].#(predictions.0=="cat"))", true},
    {R"({"predictions":["dog"]})", R"([@this].#(predictions.0=="cat"))", false},
    {R"({"predictions":[1]})", "[@this].#(predictions.0==1)", true},
    {R"({"predictions":[0]})", "[@this].#(predictions.0==1)", false},
    {R"({"predictions":[0]})", "[@this].#(predictions.0!=1)", true},
    {R"({"instances":[[6.8,2.8,4.8,1.4]]})", "[@this].#(instances.0.0>5)", true},
    {R"({"instances":[[4.8,2.8,4.8,1.4]]})", "[@this].#(instances.0.0>5)", false},
    {R"({"instances":[[5,2.8,4.8,1.4]]})", "[@this].#(instances.0.0>=5)", true},
    {R"({"instances":[[5,2.8,4.8,1.4]]})", "[@this].#(instances.0.0<5)", false},
    {R"({"instances":[[5,2.8,4.8,1.4]]})", "[@this].#(instances.0.0<=5)", true},
    {R"({"instances":[[5,2.8]]})", "instances.0.#(>2.5)", true},
    {R"({"instances":[[1,2]]})", "instances.0.#(>2.5)", false},
    {R"({"friends":[{"first":"Dale","age":44},{"first":"Roger","age":68}]})",
     R"(friends.#(first%"D*"))", true},
    {R"({"friends":[{"first":"Dale","age":44},{"first":"Roger","age":68}]})",
     R"(friends.#(first!%"D*").age)", true},
    {R"({"friends":[{"first":"Dale","age":44}]})", R"(friends.#(first%"R*"))", false},
    {R"({"friends":[{"first":"Dale","age":44}]})", "friends.#(age>100)#", true},  // [] exists
    {R"({"friends":[{"first":"Dale","age":44}]})", "friends.#(age>100)", false},
    {R"({"friends":[{"nets":{"fb":true}}]})", "friends.#(nets.fb==true)", true},
    {R"({"friends":[{"nets":{"fb":false}}]})", "friends.#(nets.fb==true)", false},
    {R"({"a":[{"b":1}]})", "a.#(b)", true},
    {R"({"a":[{"c":1}]})", "a.#(b)", false},
    {R"({"a.b":{"c":1}})", R"(a\.b.c)", true},
    {R"({"a":{"b":1}})", "@this.a.b", true},
    // A string never equals a number, as in gjson.
    {R"({"predictions":["1"]})", "[@this].#(predictions.0==1)", false},
    {R"({"predictions":[1]})", R"([@this].#(predictions.0=="1"))", false},
    {"[1,2]", "#(==2)", true},
    {R"({"x":1})", "#(==2)", false},  // a query needs an array
};

TEST(Condition, KServeExpressions) {
  for (const Case& c : kCases) {
    auto cond = Condition::Parse(c.condition);
    ASSERT_TRUE(cond.ok()) << c.condition << ": " << cond.status().message();
    EXPECT_EQ(cond->Exists(json::parse(c.doc)), c.exists) << c.condition << " on " << c.doc;
  }
}

TEST(Condition, RefusesWhatItCannotEvaluateNamingIt) {
  for (const char* bad : {"predictions.@reverse", "friends.*.age", "a|b", "a..b", "[a,b]",
                          "#(a=~1)", "#(a==nul)", "a.#(b==1", "", "a.", "!true", "{a,b}"}) {
    auto cond = Condition::Parse(bad);
    EXPECT_FALSE(cond.ok()) << bad;
    if (!cond.ok() && *bad) {
      EXPECT_NE(cond.status().message().find(bad), std::string::npos) << cond.status().message();
    }
  }
}

}  // namespace
}  // namespace ferry::graph
