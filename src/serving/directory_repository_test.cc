#include "serving/directory_repository.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <atomic>
#include <future>

namespace ferry::serving {
namespace {

namespace fs = std::filesystem;

// A model directory is "loadable" when it holds a file `ok`; anything else fails to load.
class RepoFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ferry_repo_test_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    AddModel("iris", true);
    AddModel("broken", false);
    fs::create_directories(root_ / ".hidden");
    std::ofstream(root_ / "README") << "not a model";
  }
  void TearDown() override { fs::remove_all(root_); }

  void AddModel(const std::string& name, bool ok) {
    fs::create_directories(root_ / name);
    if (ok) std::ofstream(root_ / name / "ok") << "1";
  }

  std::unique_ptr<DirectoryRepository> Make(std::string single = "") {
    auto load = [this](const std::string& name, const fs::path& dir,
                       Metrics::ModelCounters* counters) -> StatusOr<std::shared_ptr<ModelEntry>> {
      ++loads_;
      if (gate_.valid()) gate_.wait();
      if (!fs::exists(dir / "ok")) return InvalidArgumentError(dir.string() + " holds no model");
      auto e = std::make_shared<ModelEntry>();
      e->name = name;
      e->state = ModelEntry::State::kReady;
      e->counters = counters;
      return e;
    };
    auto publish = [this](std::shared_ptr<const ModelCatalog> c) { catalog_ = std::move(c); };
    return std::make_unique<DirectoryRepository>(
        DirectoryRepository::Options{root_, std::move(single)}, load, publish, &metrics_);
  }

  static Status Wait(const std::function<void(ModelRepository::Done)>& op) {
    std::promise<Status> p;
    op([&p](Status s) { p.set_value(std::move(s)); });
    return p.get_future().get();
  }

  const ModelEntry* Entry(const std::string& name) const { return catalog_->Find(name); }

  fs::path root_;
  Metrics metrics_;
  std::atomic<int> loads_{0};
  std::shared_future<void> gate_;  // when set, loads wait for it
  std::shared_ptr<const ModelCatalog> catalog_;
};

TEST_F(RepoFixture, StartUpLoadsEveryDirectoryAndIndexesWithReasons) {
  auto repo = Make();
  EXPECT_EQ(repo->LoadAll(), 1);
  ASSERT_EQ(catalog_->models.size(), 2u);  // hidden directory and plain file are no models
  EXPECT_EQ(Entry("iris")->state, ModelEntry::State::kReady);
  EXPECT_EQ(Entry("broken")->state, ModelEntry::State::kFailed);
  auto index = repo->Index(false);
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(index[0].name, "broken");
  EXPECT_EQ(index[0].state, "UNAVAILABLE");
  EXPECT_NE(index[0].reason.find("holds no model"), std::string::npos) << index[0].reason;
  EXPECT_EQ(index[1].name, "iris");
  EXPECT_EQ(index[1].state, "READY");
  EXPECT_EQ(index[1].reason, "");
  auto ready = repo->Index(true);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].name, "iris");
}

TEST_F(RepoFixture, UnloadMakesTheModelUnavailableUntilLoaded) {
  auto repo = Make();
  repo->LoadAll();
  ASSERT_TRUE(Wait([&](auto d) { repo->Unload("iris", d); }).ok());
  EXPECT_EQ(Entry("iris")->state, ModelEntry::State::kUnloaded);
  EXPECT_FALSE(catalog_->AllReady());
  auto index = repo->Index(false);
  EXPECT_EQ(index[1].state, "UNAVAILABLE");
  EXPECT_NE(index[1].reason.find("unloaded"), std::string::npos);
  // Unloading again has nothing to do.
  EXPECT_TRUE(Wait([&](auto d) { repo->Unload("iris", d); }).ok());
  ASSERT_TRUE(Wait([&](auto d) { repo->Load("iris", d); }).ok());
  EXPECT_EQ(Entry("iris")->state, ModelEntry::State::kReady);
}

TEST_F(RepoFixture, UnknownNamesAreNotFoundInKServesWords) {
  auto repo = Make();
  repo->LoadAll();
  for (const std::string name : {"nope", "../iris", "iris/..", ".hidden", "README", ""}) {
    Status load = Wait([&](auto d) { repo->Load(name, d); });
    EXPECT_EQ(load.code(), StatusCode::kNotFound) << name;
    EXPECT_EQ(load.message(), "Model with name " + name + " does not exist.");
    EXPECT_EQ(Wait([&](auto d) { repo->Unload(name, d); }).code(), StatusCode::kNotFound) << name;
  }
}

TEST_F(RepoFixture, LoadReadsADirectoryAddedAfterStartUp) {
  auto repo = Make();
  repo->LoadAll();
  AddModel("late", true);
  auto index = repo->Index(false);
  ASSERT_EQ(index.size(), 3u);
  EXPECT_EQ(index[2].name, "late");
  EXPECT_EQ(index[2].state, "UNAVAILABLE");
  ASSERT_TRUE(Wait([&](auto d) { repo->Load("late", d); }).ok());
  ASSERT_NE(Entry("late"), nullptr);
  EXPECT_EQ(Entry("late")->state, ModelEntry::State::kReady);
  // Its directory removed, the loaded model serves on until unloaded; then it is gone.
  fs::remove_all(root_ / "late");
  EXPECT_EQ(Entry("late")->state, ModelEntry::State::kReady);
  ASSERT_TRUE(Wait([&](auto d) { repo->Unload("late", d); }).ok());
  EXPECT_EQ(Entry("late"), nullptr);
  EXPECT_EQ(repo->Index(false).size(), 2u);
}

TEST_F(RepoFixture, FailedReloadKeepsTheReadyModelServing) {
  auto repo = Make();
  repo->LoadAll();
  const ModelEntry* before = Entry("iris");
  fs::remove(root_ / "iris" / "ok");
  Status s = Wait([&](auto d) { repo->Load("iris", d); });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("keeps serving"), std::string::npos) << s.message();
  EXPECT_EQ(Entry("iris"), before);
  // A broken model that gets fixed loads.
  AddModel("broken", true);
  EXPECT_TRUE(Wait([&](auto d) { repo->Load("broken", d); }).ok());
  EXPECT_EQ(Entry("broken")->state, ModelEntry::State::kReady);
}

TEST_F(RepoFixture, ReplacedEntryLivesWhileACatalogHoldsIt) {
  auto repo = Make();
  repo->LoadAll();
  std::shared_ptr<const ModelCatalog> held = catalog_;  // a request in flight
  std::weak_ptr<const ModelEntry> old = held->models[1];
  ASSERT_TRUE(Wait([&](auto d) { repo->Load("iris", d); }).ok());
  EXPECT_FALSE(old.expired());
  held.reset();
  ASSERT_TRUE(Wait([&](auto d) { repo->Unload("broken", d); }).ok());  // any later operation
  EXPECT_TRUE(old.expired());
}

TEST_F(RepoFixture, SingleModelRepositoryHoldsOnlyItsModel) {
  auto repo = Make("irish");
  auto e = std::make_shared<ModelEntry>();
  e->name = "irish";
  e->state = ModelEntry::State::kReady;
  repo->Adopt(e);
  auto index = repo->Index(false);
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].name, "irish");
  EXPECT_EQ(Wait([&](auto d) { repo->Load("iris", d); }).code(), StatusCode::kNotFound);
  ASSERT_TRUE(Wait([&](auto d) { repo->Unload("irish", d); }).ok());
  EXPECT_EQ(Entry("irish")->state, ModelEntry::State::kUnloaded);
  // The root itself is not loadable as a model here (no `ok` file).
  EXPECT_EQ(Wait([&](auto d) { repo->Load("irish", d); }).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Entry("irish")->state, ModelEntry::State::kFailed);
}

TEST_F(RepoFixture, AFullQueueIsRefusedNotWaitedOn) {
  auto repo = Make();
  repo->LoadAll();
  std::promise<void> open;
  gate_ = open.get_future().share();
  std::atomic<int> answered{0};
  bool got_refusal = false;
  int calls = 0;
  // One load runs (blocked), 64 wait in the queue; the next is refused at once (the answer is
  // already there when Load returns).
  for (int i = 0; i < 66 && !got_refusal; ++i, ++calls) {
    std::promise<Status> p;
    auto f = p.get_future();
    repo->Load("iris", [&answered, p = std::make_shared<std::promise<Status>>(std::move(p))](
                           Status s) mutable {
      ++answered;
      p->set_value(std::move(s));
    });
    if (f.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      Status s = f.get();
      EXPECT_EQ(s.code(), StatusCode::kUnavailable);
      EXPECT_NE(s.message().find("busy"), std::string::npos) << s.message();
      got_refusal = true;
    }
  }
  EXPECT_TRUE(got_refusal);
  open.set_value();
  repo.reset();  // finishes what was queued
  EXPECT_GE(calls, 65);
  EXPECT_EQ(answered.load(), calls);
}

}  // namespace
}  // namespace ferry::serving
