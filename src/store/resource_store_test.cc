#include "store/resource_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace ferry::store {
namespace {

using nlohmann::json;
constexpr const char* kRes = "serving.kserve.io/inferenceservices";

json Obj(const std::string& ns, const std::string& name, json spec = json::object()) {
  return json{{"metadata", {{"namespace", ns}, {"name", name}, {"labels", {{"app", name}}}}},
              {"spec", spec}};
}

Selector All(std::string ns = "") { return *MakeSelector(ns, "", ""); }

TEST(ResourceStoreTest, CreateGetListDelete) {
  auto store = ResourceStore::InMemory();
  auto a = store->Create(kRes, Obj("ns1", "a"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((**a)["metadata"]["resourceVersion"], "1");
  ASSERT_TRUE(store->Create(kRes, Obj("ns2", "b")).ok());
  EXPECT_EQ(store->Create(kRes, Obj("ns1", "a")).status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(store->Get(kRes, "ns1", "a").ok());
  EXPECT_EQ(store->Get(kRes, "ns2", "a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->List(kRes, All())->items.size(), 2u);
  EXPECT_EQ(store->List(kRes, All("ns2"))->items.size(), 1u);
  EXPECT_EQ(store->List("core/secrets", All())->items.size(), 0u);
  EXPECT_EQ(store->List(kRes, *MakeSelector("", "app=b", ""))->items.size(), 1u);
  EXPECT_EQ(store->List(kRes, *MakeSelector("", "", "metadata.name=a"))->items.size(), 1u);
  auto d = store->Delete(kRes, "ns1", "a", 0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((**d)["metadata"]["resourceVersion"], "3");
  EXPECT_EQ(store->Get(kRes, "ns1", "a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->revision(), 3);
}

TEST(ResourceStoreTest, UpdateConflictAndNoOp) {
  auto store = ResourceStore::InMemory();
  ASSERT_TRUE(store->Create(kRes, Obj("n", "a", {{"x", 1}})).ok());
  auto same = store->Update(kRes, Obj("n", "a", {{"x", 1}}), 0);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(ResourceVersionOf(**same), 1);
  EXPECT_EQ(store->revision(), 1);
  auto changed = store->Update(kRes, Obj("n", "a", {{"x", 2}}), 1);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(ResourceVersionOf(**changed), 2);
  EXPECT_EQ(store->Update(kRes, Obj("n", "a", {{"x", 3}}), 1).status().code(),
            StatusCode::kAborted);
  EXPECT_EQ(store->Update(kRes, Obj("n", "zz"), 0).status().code(), StatusCode::kNotFound);
}

TEST(ResourceStoreTest, WatchReplaysThenLive) {
  auto store = ResourceStore::InMemory();
  ASSERT_TRUE(store->Create(kRes, Obj("n", "a")).ok());
  ASSERT_TRUE(store->Create(kRes, Obj("n", "b")).ok());
  auto q = EventQueue::Start(store.get(), kRes, All(), 1);
  ASSERT_TRUE(q.ok());
  WatchEvent e;
  ASSERT_TRUE((*q)->Next(1000, &e));
  EXPECT_EQ(e.type, EventType::kAdded);
  EXPECT_EQ((*e.object)["metadata"]["name"], "b");
  ASSERT_TRUE(store->Update(kRes, Obj("n", "a", {{"y", 1}}), 0).ok());
  ASSERT_TRUE(store->Delete(kRes, "n", "b", 0).ok());
  ASSERT_TRUE((*q)->Next(1000, &e));
  EXPECT_EQ(e.type, EventType::kModified);
  ASSERT_TRUE((*q)->Next(1000, &e));
  EXPECT_EQ(e.type, EventType::kDeleted);
  EXPECT_EQ(e.resource_version, 4);
  EXPECT_FALSE((*q)->Next(50, &e));
}

TEST(ResourceStoreTest, WatchFromZeroListsAndFilters) {
  auto store = ResourceStore::InMemory();
  ASSERT_TRUE(store->Create(kRes, Obj("n", "a")).ok());
  ASSERT_TRUE(store->Create(kRes, Obj("n", "b")).ok());
  auto q = EventQueue::Start(store.get(), kRes, *MakeSelector("", "", "metadata.name=b"), 0);
  ASSERT_TRUE(q.ok());
  WatchEvent e;
  ASSERT_TRUE((*q)->Next(1000, &e));
  EXPECT_EQ((*e.object)["metadata"]["name"], "b");
  EXPECT_FALSE((*q)->Next(50, &e));
}

TEST(ResourceStoreTest, WatchTooOldIsOutOfRange) {
  auto store = ResourceStore::InMemory(2);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->Create(kRes, Obj("n", std::to_string(i))).ok());
  EXPECT_EQ(EventQueue::Start(store.get(), kRes, All(), 1).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_TRUE(EventQueue::Start(store.get(), kRes, All(), 3).ok());
}

TEST(ResourceStoreTest, CancelStopsDelivery) {
  auto store = ResourceStore::InMemory();
  int calls = 0;
  std::shared_ptr<Subscription> sub;
  auto s = store->Watch(kRes, All(), store->revision(), [&](const WatchEvent&) {
    ++calls;
    sub->Cancel();  // cancelling from inside the callback must not deadlock
  });
  ASSERT_TRUE(s.ok());
  sub = *s;
  ASSERT_TRUE(store->Create(kRes, Obj("n", "a")).ok());
  ASSERT_TRUE(store->Create(kRes, Obj("n", "b")).ok());
  EXPECT_EQ(calls, 1);
}

std::string TempDb(const char* name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("ferry_store_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::filesystem::remove(p);
  return p.string();
}

TEST(ResourceStoreTest, SqlitePersistsAcrossReopen) {
  std::string path = TempDb("reopen.db");
  {
    auto store = ResourceStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Create(kRes, Obj("n", "a")).ok());
    ASSERT_TRUE((*store)->Create(kRes, Obj("n", "b")).ok());
    ASSERT_TRUE((*store)->Delete(kRes, "n", "b", 0).ok());
  }
  auto store = ResourceStore::Open(path);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->revision(), 3);  // deletion's revision is remembered too
  EXPECT_EQ((*store)->List(kRes, All())->items.size(), 1u);
  auto c = (*store)->Create(kRes, Obj("n", "c"));
  EXPECT_EQ(ResourceVersionOf(**c), 4);
  // Watching from before the restart cannot be served from the ring.
  EXPECT_EQ(EventQueue::Start(store->get(), kRes, All(), 1).status().code(),
            StatusCode::kOutOfRange);
}

// Acknowledged writes survive kill -9: a child writes and reports each ack on a
// pipe; the parent kills it mid-stream and checks every acked object is there.
TEST(ResourceStoreTest, AckedWritesSurviveKill9) {
  std::string path = TempDb("kill.db");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto store = ResourceStore::Open(path);
    if (!store.ok()) _exit(2);
    for (int i = 0;; ++i) {
      if (!(*store)->Create(kRes, Obj("n", "o" + std::to_string(i))).ok()) _exit(3);
      if (!(*store)->Sync().ok()) _exit(5);  // what the API server does before it answers
      if (write(fds[1], &i, sizeof(i)) != sizeof(i)) _exit(4);
    }
  }
  close(fds[1]);
  int last = -1, v;
  while (last < 20 && read(fds[0], &v, sizeof(v)) == sizeof(v)) last = v;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(fds[0]);
  ASSERT_GE(last, 20);
  auto store = ResourceStore::Open(path);
  ASSERT_TRUE(store.ok());
  for (int i = 0; i <= last; ++i) {
    auto got = (*store)->Get(kRes, "n", "o" + std::to_string(i));
    EXPECT_TRUE(got.ok()) << i << " " << got.status().ToString() << " rev " << (*store)->revision();
  }
}

}  // namespace
}  // namespace ferry::store
