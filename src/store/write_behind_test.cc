#include "store/write_behind.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>

#include "store/resource_store.h"

namespace ferry::store {
namespace {

using nlohmann::json;

std::string TempDb(const std::string& name) {
  std::string dir = ::testing::TempDir() + "write_behind_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/" + name;
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  return path;
}

// The real SQLite persister whose first commit waits until the test lets it
// go, so the changes queued meanwhile are known to be pending together.
class HeldFirstCommit : public Persister {
 public:
  HeldFirstCommit(std::unique_ptr<Persister> real, std::shared_future<void> release)
      : real_(std::move(real)), release_(std::move(release)) {}
  Status Apply(const std::vector<Change>& changes) override {
    if (first_) {
      first_ = false;
      entered_.set_value();
      release_.wait();
    }
    sizes_.push_back(changes.size());
    return real_->Apply(changes);
  }
  const std::vector<size_t>& sizes() const { return sizes_; }  // read after Sync
  StatusOr<int64_t> LoadAll(const Visitor& visit) override { return real_->LoadAll(visit); }
  std::future<void> entered() { return entered_.get_future(); }

 private:
  std::unique_ptr<Persister> real_;
  std::shared_future<void> release_;
  std::promise<void> entered_;
  bool first_ = true;
  std::vector<size_t> sizes_;
};

// Revision `rv` of object `name` (default: one object per revision).
Change Put(int rv, std::string name = "") {
  if (name.empty()) name = "o" + std::to_string(rv);
  json obj = {{"metadata", {{"namespace", "n"}, {"name", name},
                            {"resourceVersion", std::to_string(rv)}}}};
  return Change{"core/pods", "n", name, std::make_shared<const json>(obj), rv};
}

// Changes queued while a commit is running share the next one, and Sync
// returns only once they are all in the database.
TEST(WriteBehindTest, ChangesQueuedDuringACommitShareTheNext) {
  std::string path = TempDb("group.db");
  std::promise<void> release;
  auto real = OpenSqlitePersister(path);
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  auto held = std::make_unique<HeldFirstCommit>(std::move(*real), release.get_future().share());
  std::future<void> entered = held->entered();
  WriteBehind writer(std::move(held));
  writer.Queue(Put(1));
  entered.wait();  // commit 1 is running
  for (int i = 2; i <= 100; ++i) writer.Queue(Put(i));
  std::future<Status> synced = std::async(std::launch::async, [&] { return writer.Sync(); });
  EXPECT_EQ(synced.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  release.set_value();
  ASSERT_TRUE(synced.get().ok());
  EXPECT_EQ(writer.commits(), 2);

  auto reopened = OpenSqlitePersister(path);
  ASSERT_TRUE(reopened.ok());
  int n = 0;
  auto rev = (*reopened)->LoadAll([&](std::string_view, std::string_view) {
    ++n;
    return OkStatus();
  });
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(*rev, 100);
  EXPECT_EQ(n, 100);
}

// An object changed many times while a commit runs is written once, in its
// last state; other objects in the batch keep their own last states.
TEST(WriteBehindTest, ABatchWritesEachObjectsLastStateOnce) {
  std::string path = TempDb("last.db");
  std::promise<void> release;
  auto real = OpenSqlitePersister(path);
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  auto owned = std::make_unique<HeldFirstCommit>(std::move(*real), release.get_future().share());
  HeldFirstCommit* held = owned.get();
  std::future<void> entered = held->entered();
  {
    WriteBehind writer(std::move(owned));
    writer.Queue(Put(1, "a"));
    entered.wait();
    for (int rv = 2; rv <= 50; ++rv) writer.Queue(Put(rv, rv % 2 == 0 ? "a" : "b"));
    Change removal = Put(51, "b");
    removal.object = nullptr;  // "b" deleted last
    writer.Queue(std::move(removal));
    writer.Queue(Put(52, "c"));
    release.set_value();
    ASSERT_TRUE(writer.Sync().ok());
    EXPECT_EQ(held->sizes(), (std::vector<size_t>{1, 3}));
  }
  auto reopened = OpenSqlitePersister(path);
  ASSERT_TRUE(reopened.ok());
  std::vector<std::string> rows;
  auto rev = (*reopened)->LoadAll([&](std::string_view, std::string_view body) {
    json obj = json::parse(body);
    rows.push_back(obj["metadata"]["name"].get<std::string>() + "@" +
                   obj["metadata"]["resourceVersion"].get<std::string>());
    return OkStatus();
  });
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(*rev, 52);
  EXPECT_EQ(rows, (std::vector<std::string>{"a@50", "c@52"}));
}

// Creates, updates and deletes made through the store reach the file in
// order; what Sync covered is there after reopening.
TEST(WriteBehindTest, StoreWritesAreOnDiskAfterSync) {
  std::string path = TempDb("store.db");
  {
    auto store = ResourceStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int i = 0; i < 50; ++i) {
      json obj = {{"metadata", {{"namespace", "n"}, {"name", "o" + std::to_string(i)}}},
                  {"spec", {{"v", 1}}}};
      ASSERT_TRUE((*store)->Create("core/pods", obj).ok());
      obj["spec"]["v"] = 2;
      ASSERT_TRUE((*store)->Update("core/pods", obj, 0).ok());
      if (i % 2 == 0) {
        ASSERT_TRUE((*store)->Delete("core/pods", "n", "o" + std::to_string(i), 0).ok());
      }
    }
    ASSERT_TRUE((*store)->Sync().ok());
  }
  auto store = ResourceStore::Open(path);
  ASSERT_TRUE(store.ok());
  auto list = (*store)->List("core/pods", *MakeSelector("", "", ""));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->items.size(), 25u);
  for (const ObjectPtr& o : list->items) EXPECT_EQ((*o)["spec"]["v"], 2);
  EXPECT_EQ((*store)->revision(), 125);
}

}  // namespace
}  // namespace ferry::store
