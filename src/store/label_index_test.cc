#include "store/label_index.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "store/resource_store.h"

namespace ferry::store {
namespace {

using nlohmann::json;
constexpr const char* kPods = "core/pods";

json Pod(const std::string& ns, const std::string& name, json labels) {
  return json{{"metadata", {{"namespace", ns}, {"name", name}, {"labels", std::move(labels)}}}};
}

// Names listed for `labels` in `ns` (all namespaces when empty), in List order.
std::vector<std::string> Names(const ResourceStore& store, const std::string& ns,
                               const std::string& labels) {
  auto sel = MakeSelector(ns, labels, "");
  EXPECT_TRUE(sel.ok()) << sel.status().ToString();
  auto list = store.List(kPods, *sel);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  std::vector<std::string> names;
  for (const ObjectPtr& o : list->items) {
    names.push_back((*o)["metadata"].value("namespace", "") + "/" +
                    (*o)["metadata"].value("name", ""));
  }
  return names;
}

TEST(LabelIndexTest, FindsByResourceKeyAndValue) {
  LabelIndex index;
  index.Add(kPods, "k1", Pod("a", "p1", {{"app", "x"}, {"tier", "web"}}));
  index.Add(kPods, "k2", Pod("a", "p2", {{"app", "x"}}));
  index.Add("core/services", "k3", Pod("a", "s", {{"app", "x"}}));
  index.Add(kPods, "k4", Pod("a", "p4", {{"n", 3}}));  // non-string: as its JSON text
  ASSERT_NE(index.Find(kPods, "app", "x"), nullptr);
  EXPECT_EQ(*index.Find(kPods, "app", "x"), (std::set<std::string>{"k1", "k2"}));
  EXPECT_EQ(index.Find(kPods, "app", "y"), nullptr);
  EXPECT_EQ(index.Find(kPods, "n", "3")->size(), 1u);
  index.Remove(kPods, "k1", Pod("a", "p1", {{"app", "x"}, {"tier", "web"}}));
  EXPECT_EQ(*index.Find(kPods, "app", "x"), (std::set<std::string>{"k2"}));
  EXPECT_EQ(index.Find(kPods, "tier", "web"), nullptr);  // an emptied entry is dropped
}

TEST(LabelIndexTest, StoreListFollowsLabelChangesAndDeletes) {
  auto store = ResourceStore::InMemory();
  ASSERT_TRUE(store->Create(kPods, Pod("b", "p1", {{"isvc", "iris"}})).ok());
  ASSERT_TRUE(store->Create(kPods, Pod("a", "p2", {{"isvc", "iris"}, {"rev", "1"}})).ok());
  ASSERT_TRUE(store->Create(kPods, Pod("a", "p3", {{"isvc", "wine"}})).ok());
  EXPECT_EQ(Names(*store, "", "isvc=iris"), (std::vector<std::string>{"a/p2", "b/p1"}));
  EXPECT_EQ(Names(*store, "a", "isvc=iris"), (std::vector<std::string>{"a/p2"}));
  EXPECT_EQ(Names(*store, "", "isvc in (iris),rev=1"), (std::vector<std::string>{"a/p2"}));
  EXPECT_EQ(Names(*store, "", "isvc=iris,rev!=1"), (std::vector<std::string>{"b/p1"}));
  EXPECT_TRUE(Names(*store, "", "isvc=nothing").empty());

  // A label's value changes: the object moves from one entry to the other.
  ASSERT_TRUE(store->Update(kPods, Pod("a", "p2", {{"isvc", "wine"}}), 0).ok());
  EXPECT_EQ(Names(*store, "", "isvc=iris"), (std::vector<std::string>{"b/p1"}));
  EXPECT_EQ(Names(*store, "", "isvc=wine"), (std::vector<std::string>{"a/p2", "a/p3"}));
  EXPECT_TRUE(Names(*store, "", "rev=1").empty());
  // A label is removed altogether.
  ASSERT_TRUE(store->Update(kPods, Pod("b", "p1", json::object()), 0).ok());
  EXPECT_TRUE(Names(*store, "", "isvc=iris").empty());
  EXPECT_EQ(Names(*store, "", "!isvc"), (std::vector<std::string>{"b/p1"}));
  // Deleted objects leave the index; a re-created one is found again.
  ASSERT_TRUE(store->Delete(kPods, "a", "p3", 0).ok());
  EXPECT_EQ(Names(*store, "", "isvc=wine"), (std::vector<std::string>{"a/p2"}));
  ASSERT_TRUE(store->Delete(kPods, "a", "p2", 0).ok());
  EXPECT_TRUE(Names(*store, "", "isvc=wine").empty());
  ASSERT_TRUE(store->Create(kPods, Pod("a", "p2", {{"isvc", "iris"}})).ok());
  EXPECT_EQ(Names(*store, "", "isvc=iris"), (std::vector<std::string>{"a/p2"}));
}

// The indexed List returns exactly what a full scan with the same selector
// would, over many objects and selectors.
TEST(LabelIndexTest, IndexedListEqualsScan) {
  auto store = ResourceStore::InMemory();
  for (int i = 0; i < 60; ++i) {
    json labels = {{"isvc", "m" + std::to_string(i % 7)}, {"rev", std::to_string(i % 3)}};
    if (i % 5 == 0) labels.erase("rev");
    std::string ns = "ns" + std::to_string(i % 4);
    ASSERT_TRUE(store->Create(kPods, Pod(ns, "p" + std::to_string(i), labels)).ok());
  }
  for (int i = 0; i < 60; i += 4) {
    ASSERT_TRUE(store->Delete(kPods, "ns0", "p" + std::to_string(i), 0).ok());
  }
  for (std::string ns : {"", "ns1", "ns2"}) {
    for (int m = 0; m < 8; ++m) {
      for (const char* extra : {"", ",rev=1", ",rev!=2", ",!rev"}) {
        std::string sel = "isvc=m" + std::to_string(m) + extra;
        std::vector<std::string> scanned;
        for (const std::string& name : Names(*store, ns, "")) {
          size_t slash = name.find('/');
          auto obj = store->Get(kPods, name.substr(0, slash), name.substr(slash + 1));
          ASSERT_TRUE(obj.ok());
          if (MakeSelector(ns, sel, "")->Matches(**obj)) scanned.push_back(name);
        }
        EXPECT_EQ(Names(*store, ns, sel), scanned) << "selector " << sel << " ns " << ns;
      }
    }
  }
}

// The index is rebuilt from the database on open.
TEST(LabelIndexTest, RebuiltOnOpen) {
  std::string dir = ::testing::TempDir() + "label_index_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/store.db";
  {
    auto store = ResourceStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Create(kPods, Pod("a", "p1", {{"isvc", "iris"}})).ok());
    ASSERT_TRUE((*store)->Create(kPods, Pod("a", "p2", {{"isvc", "wine"}})).ok());
  }
  auto store = ResourceStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(Names(**store, "", "isvc=iris"), (std::vector<std::string>{"a/p1"}));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferry::store
