#include "controller/route_table.h"

#include <gtest/gtest.h>

#include <functional>

#include "controller/serving_state.h"
#include "controller/work_queue.h"

namespace ferry::controller {
namespace {

std::shared_ptr<const ServiceRoute> Route(const std::string& name) {
  auto r = std::make_shared<ServiceRoute>();
  r->name_space = "ns";
  r->name = name;
  return r;
}

std::string NameAt(const RouteTable& t, const std::string& host, bool external) {
  const ServiceRoute* r = external ? t.FindExternal(host) : t.FindInternal(host);
  return r == nullptr ? "-" : r->name;
}

TEST(RouteTableTest, CopiesShareUntilChangedAndNeverChangeTheOriginal) {
  RouteTable base;
  for (int i = 0; i < 1000; ++i) {
    base.AddExternalHost("h" + std::to_string(i) + ".example.com", Route("r" + std::to_string(i)));
  }
  base.AddInternalHost("svc.ns", Route("internal"));
  ASSERT_EQ(base.size(), 1001u);

  RouteTable copy(base);
  copy.AddExternalHost("h7.example.com", Route("changed"));
  copy.AddExternalHost("new.example.com", Route("added"));
  copy.RemoveExternalHost("h9.example.com");
  copy.RemoveExternalHost("absent.example.com");
  copy.RemoveInternalHost("svc.ns");
  EXPECT_EQ(copy.size(), 1000u);
  EXPECT_EQ(NameAt(copy, "h7.example.com", true), "changed");
  EXPECT_EQ(NameAt(copy, "new.example.com", true), "added");
  EXPECT_EQ(NameAt(copy, "h9.example.com", true), "-");
  EXPECT_EQ(NameAt(copy, "svc.ns", false), "-");
  EXPECT_EQ(NameAt(copy, "h8.example.com", true), "r8");
  // The original snapshot is as it was.
  EXPECT_EQ(base.size(), 1001u);
  EXPECT_EQ(NameAt(base, "h7.example.com", true), "r7");
  EXPECT_EQ(NameAt(base, "new.example.com", true), "-");
  EXPECT_EQ(NameAt(base, "h9.example.com", true), "r9");
  EXPECT_EQ(NameAt(base, "svc.ns", false), "internal");
  // A copy of the copy changes neither.
  RouteTable third(copy);
  third.AddExternalHost("h8.example.com", Route("third"));
  EXPECT_EQ(NameAt(copy, "h8.example.com", true), "r8");
  EXPECT_EQ(NameAt(base, "h8.example.com", true), "r8");
  EXPECT_EQ(NameAt(third, "h8.example.com", true), "third");
}

// Publishing one service's change gives the same table as a full rebuild,
// including hosts two services claim ("a" and "a-predictor"), graphs of the
// same name, label (domain) changes and removals.
TEST(RouteTableTest, IncrementalPublishEqualsFullRebuild) {
  WorkQueue queue;
  ServingState inc(&queue, nullptr, 1, "example.com");
  ServingState full(&queue, nullptr, 1, "example.com");
  std::shared_ptr<const RouteTable> inc_table, full_table;
  inc.SetRoutesListener([&](std::shared_ptr<const RouteTable> t) { inc_table = t; });
  full.SetRoutesListener([&](std::shared_ptr<const RouteTable> t) { full_table = t; });
  for (ServingState* s : {&inc, &full}) {
    s->SetDomains({"example.com", {{"gold.example.org", {{"tier", "gold"}}}}});
    GraphState& g = s->graphs()["ns/g"];
    g.ns = "ns";
    g.name = "g";
    s->PublishRoutes();
  }
  std::vector<std::string> names = {"a", "a-predictor", "b", "g", "c"};
  std::vector<std::string> hosts;
  for (const std::string& n : names) {
    for (const std::string& d : {"example.com", "gold.example.org"}) {
      hosts.push_back(n + ".ns." + d);
      hosts.push_back(n + "-predictor.ns." + d);
    }
    for (const std::string& h : InternalHosts(n, "ns")) hosts.push_back(h);
  }
  auto check = [&](const std::string& step) {
    ASSERT_NE(inc_table, nullptr);
    ASSERT_NE(full_table, nullptr);
    EXPECT_EQ(inc_table->size(), full_table->size()) << step;
    for (const std::string& h : hosts) {
      for (bool ext : {true, false}) {
        const ServiceRoute* a = ext ? inc_table->FindExternal(h) : inc_table->FindInternal(h);
        const ServiceRoute* b = ext ? full_table->FindExternal(h) : full_table->FindInternal(h);
        ASSERT_EQ(a == nullptr, b == nullptr) << step << " " << h;
        if (a == nullptr) continue;
        EXPECT_EQ(a->name, b->name) << step << " " << h;
        EXPECT_EQ(a->is_graph, b->is_graph) << step << " " << h;
        EXPECT_EQ(a->not_ready_reason, b->not_ready_reason) << step << " " << h;
      }
    }
  };
  // Applies `edit` to the service `name` in both states; publishes it incrementally in one.
  auto step = [&](const std::string& name, const std::function<void(IsvcState&)>& edit) {
    for (ServingState* s : {&inc, &full}) {
      IsvcState& st = s->isvcs()["ns/" + name];
      st.ns = "ns";
      st.name = name;
      edit(st);
    }
    inc.PublishRoutes(inc.isvcs()["ns/" + name]);
    full.PublishRoutes();
    check("after " + name);
  };
  step("a", [](IsvcState&) {});
  step("b", [](IsvcState&) {});
  step("a-predictor", [](IsvcState&) {});  // takes a-predictor.ns.example.com from "a"
  step("a", [](IsvcState& st) { st.loading.reset(); });
  step("a-predictor", [](IsvcState& st) { st.labels = {{"tier", "gold"}}; });  // gives it back
  step("a", [](IsvcState&) {});
  step("g", [](IsvcState&) {});  // an InferenceService named like the graph keeps its hosts
  step("b", [](IsvcState& st) { st.labels = {{"tier", "gold"}}; });
  step("b", [](IsvcState& st) { st.labels.clear(); });
  for (ServingState* s : {&inc, &full}) {
    s->isvcs().erase("ns/a-predictor");
    s->PublishRoutes();
  }
  check("after a removal");
  step("c", [](IsvcState&) {});
  step("a", [](IsvcState&) {});
}

}  // namespace
}  // namespace ferry::controller
