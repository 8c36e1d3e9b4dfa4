// Local sources (file://, plain paths, pvc://) through Fetch on a real file
// system: links inside the source are copied, links out of it are refused
// (naming the link and its target) without anything written or read
// outside, loops end, copies are private and independent of the source.
#include <sys/stat.h>

#include "gtest/gtest.h"
#include "storage/fetch.h"
#include "storage/local_provider.h"
#include "storage/test_util.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::WriteFile;

mode_t ModeOf(const fs::path& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

class LocalProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTestDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    src_ = dir_ / "models" / "iris";
    WriteFile(src_ / "MLmodel", "flavors: {}\n");
    WriteFile(src_ / "sub" / "model.pkl", "pickle");
    WriteFile(dir_ / "data" / "users", "admin:hash\n");
    secret_mtime_ = fs::last_write_time(dir_ / "data" / "users");
  }

  StatusOr<FetchResult> FetchSrc() { return Fetch(src_.string(), dest().string(), options_); }
  fs::path dest() const { return dir_ / "dest"; }

  // The refusal names the link and its target, and nothing was written.
  void ExpectRefused(const StatusOr<FetchResult>& r, const std::string& link,
                     const std::string& target) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
    EXPECT_NE(r.status().message().find("`" + link + "` -> `" + target + "`"), std::string::npos)
        << r.status().message();
    EXPECT_FALSE(fs::exists(dest()));
    EXPECT_EQ(ReadFile(dir_ / "data" / "users"), "admin:hash\n");
    EXPECT_EQ(fs::last_write_time(dir_ / "data" / "users"), secret_mtime_);
  }

  fs::path dir_, src_;
  fs::file_time_type secret_mtime_;
  FetchOptions options_;
};

TEST_F(LocalProviderTest, LinksInsideTheSourceAreCopiedAsFiles) {
  fs::create_symlink("sub/model.pkl", src_ / "model-link.pkl");
  fs::create_directory_symlink("sub", src_ / "sub-link");
  auto r = FetchSrc();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadFile(dest() / "model-link.pkl"), "pickle");
  EXPECT_EQ(fs::symlink_status(dest() / "model-link.pkl").type(), fs::file_type::regular);
  EXPECT_EQ(ReadFile(dest() / "sub" / "model.pkl"), "pickle");
}

TEST_F(LocalProviderTest, LinkToAFileOutsideIsRefusedNamingIt) {
  std::string target = (dir_ / "data" / "users").string();
  fs::create_symlink(target, src_ / "sub" / "users");
  ExpectRefused(FetchSrc(), "sub/users", target);
  fs::remove(src_ / "sub" / "users");
  fs::create_symlink("../../../data/users", src_ / "sub" / "rel");
  ExpectRefused(FetchSrc(), "sub/rel", "../../../data/users");
}

TEST_F(LocalProviderTest, LinkToTheFileSystemRootIsRefusedNotThrown) {
  fs::create_directory_symlink("/", src_ / "rootlink");
  ExpectRefused(FetchSrc(), "rootlink", "/");
}

TEST_F(LocalProviderTest, LinkThatLeadsOutThroughAnotherLinkIsRefused) {
  // `a-tricky` is lexically inside (`zz/users`) but `zz` leads out; the walk
  // meets `a-tricky` first, so only its resolved target can tell.
  fs::create_directory_symlink(dir_ / "data", src_ / "zz");
  fs::create_symlink("zz/users", src_ / "a-tricky");
  ExpectRefused(FetchSrc(), "a-tricky", "zz/users");
}

TEST_F(LocalProviderTest, LinkLoopsEndAndEachDirectoryIsCopiedOnce) {
  fs::create_directory_symlink(".", src_ / "self");
  fs::create_directory_symlink("..", src_ / "sub" / "up");
  fs::create_symlink("loop-b", src_ / "loop-a");
  fs::create_symlink("loop-a", src_ / "loop-b");
  auto r = FetchSrc();
  ASSERT_FALSE(r.ok());  // a link that cannot be resolved is named, not skipped
  EXPECT_NE(r.status().message().find("`loop-a` -> `loop-b`"), std::string::npos)
      << r.status().message();
  fs::remove(src_ / "loop-a");
  fs::remove(src_ / "loop-b");
  r = FetchSrc();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, 2u);
  EXPECT_EQ(ReadFile(dest() / "sub" / "model.pkl"), "pickle");
}

TEST_F(LocalProviderTest, CopiesArePrivateAndIndependentOfTheSource) {
  fs::permissions(src_ / "sub" / "model.pkl", fs::perms(0664));
  ASSERT_TRUE(FetchSrc().ok());
  EXPECT_EQ(ModeOf(dest()), 0700u);
  EXPECT_EQ(ModeOf(dest() / "sub"), 0700u);
  EXPECT_EQ(ModeOf(dest() / "sub" / "model.pkl"), 0600u);
  EXPECT_EQ(ModeOf(dest() / std::string(kCompleteMarker)), 0600u);
  EXPECT_EQ(ModeOf(src_ / "sub" / "model.pkl"), 0664u);  // the user's file keeps its mode
  struct stat a, b;
  ASSERT_EQ(::stat((src_ / "sub" / "model.pkl").c_str(), &a), 0);
  ASSERT_EQ(::stat((dest() / "sub" / "model.pkl").c_str(), &b), 0);
  EXPECT_NE(a.st_ino, b.st_ino);  // not a hard link: later writes stay apart
  WriteFile(src_ / "sub" / "model.pkl", "changed");
  EXPECT_EQ(ReadFile(dest() / "sub" / "model.pkl"), "pickle");
}

TEST_F(LocalProviderTest, SharedModesForTheStorageInitializer) {
  options_.modes = kSharedModes;
  mode_t umask = ::umask(022);
  auto r = FetchSrc();
  ::umask(umask);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ModeOf(dest() / "sub"), 0755u);
  EXPECT_EQ(ModeOf(dest() / "sub" / "model.pkl"), 0644u);
}

TEST_F(LocalProviderTest, AFileSwappedForALinkAfterListingIsNotRead) {
  auto provider = ProviderFor(src_.string(), options_);
  ASSERT_TRUE(provider.ok());
  auto manifest = (*provider)->List(src_.string());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  fs::remove(src_ / "sub" / "model.pkl");
  fs::create_symlink(dir_ / "data" / "users", src_ / "sub" / "model.pkl");
  fs::create_directories(dest());
  ProgressTracker progress(nullptr, 0, manifest->entries.size());
  Status st = (*provider)->Download(*manifest, dest().string(), progress);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_FALSE(fs::exists(dest() / "sub" / "model.pkl"));
  // The directory swapped for a link to elsewhere: the opened file is outside.
  fs::remove(src_ / "sub" / "model.pkl");
  fs::rename(src_ / "sub", dir_ / "moved");
  WriteFile(dir_ / "moved" / "model.pkl", "elsewhere");
  fs::create_directory_symlink(dir_ / "moved", src_ / "sub");
  fs::remove_all(dest());
  fs::create_directories(dest());
  st = (*provider)->Download(*manifest, dest().string(), progress);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
}

TEST_F(LocalProviderTest, RestrictedAccessHonoursRootsAndNeverEntersTheDataDirectory) {
  options_.local.restricted = true;
  options_.local.roots = {(dir_ / "models").string()};
  options_.local.denied = {(dir_ / "data").string()};
  options_.local.pvc_root = (dir_ / "data" / "pvc").string();
  ASSERT_TRUE(FetchSrc().ok());
  auto outside = Fetch("file://" + (dir_ / "data").string(), (dir_ / "d2").string(), options_);
  EXPECT_EQ(outside.status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(dir_ / "d2"));
  // A root that holds the data directory still never reads it.
  options_.local.roots = {dir_.string()};
  auto holds = Fetch("file://" + dir_.string(), (dir_ / "d3").string(), options_);
  EXPECT_EQ(holds.status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(dir_ / "d3"));
  WriteFile(dir_ / "data" / "pvc" / "claim" / "m" / "model.bst", "bst");
  auto claim = Fetch("pvc://claim/m", (dir_ / "d4").string(), options_);
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  EXPECT_EQ(ReadFile(dir_ / "d4" / "model.bst"), "bst");
}

}  // namespace
}  // namespace ferry::storage
