// Fetch orchestration with the local providers (file://, plain paths, pvc://):
// atomic install, up-to-date detection, content cache, archives, bad input.
#include "storage/fetch.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "gtest/gtest.h"
#include "storage/storage_initializer.h"
#include "storage/test_util.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::WriteFile;

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTestDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    src_ = dir_ / "src" / "iris_model";
    WriteFile(src_ / "MLmodel", "flavors:\n  python_function: {}\n");
    WriteFile(src_ / "model.pkl", std::string(5000, 'p'));
    WriteFile(src_ / "sub" / "conda.yaml", "name: x\n");
  }
  fs::path dir_, src_;
  FetchOptions options_;
};

TEST_F(FetchTest, CopiesDirectoryFromPlainPathAndFileUri) {
  for (std::string uri : {src_.string(), "file://" + src_.string()}) {
    fs::path dest = dir_ / "dest";
    fs::remove_all(dest);
    auto r = Fetch(uri, dest.string(), options_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->files, 3u);
    EXPECT_EQ(ReadFile(dest / "MLmodel"), "flavors:\n  python_function: {}\n");
    EXPECT_EQ(ReadFile(dest / "sub" / "conda.yaml"), "name: x\n");
    EXPECT_TRUE(fs::exists(dest / std::string(kCompleteMarker)));
  }
  // No temp directories are left next to the destination.
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".ferry-tmp"), std::string::npos) << e.path();
  }
}

TEST_F(FetchTest, SecondFetchIsUpToDateAndChangeReplacesAtomically) {
  fs::path dest = dir_ / "dest";
  ASSERT_TRUE(Fetch(src_.string(), dest.string(), options_).ok());
  auto again = Fetch(src_.string(), dest.string(), options_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->source, FetchResult::Source::kUpToDate);
  fs::remove(src_ / "sub" / "conda.yaml");
  WriteFile(src_ / "model.pkl", std::string(6000, 'q'));
  auto changed = Fetch(src_.string(), dest.string(), options_);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->source, FetchResult::Source::kDownloaded);
  EXPECT_EQ(fs::file_size(dest / "model.pkl"), 6000u);
  EXPECT_FALSE(fs::exists(dest / "sub" / "conda.yaml"));  // replaced, not merged
}

TEST_F(FetchTest, ContentCacheServesSecondDestination) {
  options_.cache_dir = (dir_ / "cache").string();
  ASSERT_TRUE(Fetch(src_.string(), (dir_ / "a").string(), options_).ok());
  auto r = Fetch(src_.string(), (dir_ / "b").string(), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source, FetchResult::Source::kCache);
  EXPECT_EQ(ReadFile(dir_ / "b" / "model.pkl"), std::string(5000, 'p'));
}

TEST_F(FetchTest, PvcUriMapsUnderPvcRoot) {
  options_.local.pvc_root = (dir_ / "pvc").string();
  WriteFile(dir_ / "pvc" / "claim" / "models" / "m" / "model.bst", "bst");
  auto r = Fetch("pvc://claim/models/m", (dir_ / "dest").string(), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadFile(dir_ / "dest" / "model.bst"), "bst");
  auto escape = Fetch("pvc://claim/../other", (dir_ / "dest2").string(), options_);
  EXPECT_EQ(escape.status().code(), StatusCode::kInvalidArgument);
  auto missing = Fetch("pvc://claim/nope", (dir_ / "dest3").string(), options_);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("pvc://claim/nope"), std::string::npos);
}

TEST_F(FetchTest, SingleArchiveIsUnpacked) {
  fs::path a = dir_ / "model.tar.gz";
  testing::WriteArchive(a, {{"MLmodel", "m"}, {"data/model.pkl", "pkl"}},
                        testing::ArchiveKind::kTarGz);
  auto r = Fetch(a.string(), (dir_ / "dest").string(), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->unpacked);
  EXPECT_EQ(ReadFile(dir_ / "dest" / "data" / "model.pkl"), "pkl");
  EXPECT_FALSE(fs::exists(dir_ / "dest" / "model.tar.gz"));
}

TEST_F(FetchTest, EvilArchiveLeavesDestinationUntouched) {
  fs::path a = dir_ / "evil.tar";
  testing::WriteArchive(a, {{"MLmodel", "m"}, {"../../escaped", "x"}}, testing::ArchiveKind::kTar);
  fs::path dest = dir_ / "dest";
  auto r = Fetch(a.string(), dest.string(), options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "escaped"));
}

TEST_F(FetchTest, UnsupportedSchemesNameTheScheme) {
  for (std::string uri : {"gs://bucket/model", "hf://org/repo", "hdfs://nn/model"}) {
    auto r = Fetch(uri, (dir_ / "dest").string(), options_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
    EXPECT_NE(r.status().message().find(uri.substr(0, uri.find(':')) + "://` is not supported yet"),
              std::string::npos)
        << r.status().message();
  }
}

TEST_F(FetchTest, RefusesForeignNonEmptyDestination) {
  fs::path dest = dir_ / "dest";
  WriteFile(dest / "precious.txt", "keep me");
  auto r = Fetch(src_.string(), dest.string(), options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFile(dest / "precious.txt"), "keep me");
}

TEST_F(FetchTest, EmptyExistingDirectoryIsReplaced) {
  fs::path dest = dir_ / "dest";
  fs::create_directories(dest);
  ASSERT_TRUE(Fetch(src_.string(), dest.string(), options_).ok());
  EXPECT_TRUE(fs::exists(dest / "MLmodel"));
}

TEST_F(FetchTest, InPlaceInstallForMountPoints) {
  options_.in_place = true;
  fs::path dest = dir_ / "mnt-models";
  ASSERT_TRUE(Fetch(src_.string(), dest.string(), options_).ok());
  EXPECT_TRUE(fs::exists(dest / "sub" / "conda.yaml"));
  fs::remove(src_ / "sub" / "conda.yaml");
  WriteFile(src_ / "new.txt", "new");
  auto r = Fetch(src_.string(), dest.string(), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source, FetchResult::Source::kDownloaded);
  EXPECT_FALSE(fs::exists(dest / "sub"));  // the previous version is gone
  EXPECT_EQ(ReadFile(dest / "new.txt"), "new");
  for (const auto& e : fs::directory_iterator(dest)) {
    EXPECT_EQ(e.path().filename().string().find(".ferry-tmp"), std::string::npos) << e.path();
  }
  // A failure leaves the previous complete version untouched.
  fs::path evil = dir_ / "evil.tar";
  testing::WriteArchive(evil, {{"MLmodel", "m"}, {"../x", "x"}}, testing::ArchiveKind::kTar);
  auto bad = Fetch(evil.string(), dest.string(), options_);
  EXPECT_EQ(bad.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ReadFile(dest / "new.txt"), "new");
  EXPECT_TRUE(fs::exists(dest / std::string(kCompleteMarker)));
  auto entries = std::distance(fs::directory_iterator(dest), fs::directory_iterator());
  EXPECT_EQ(entries, 4);  // MLmodel, model.pkl, new.txt, marker: no temp dir left
}

// KServe mounts an emptyDir at /mnt/models; a bind mount from the same
// filesystem has its parent's st_dev, so only the mount table tells. Run in a
// child with its own mount namespace so no mount outlives the test.
TEST_F(FetchTest, SameDeviceBindMountIsFilledInPlace) {
  fs::path dest = dir_ / "mnt-models";
  fs::create_directories(dest);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount(dest.c_str(), dest.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      ::_exit(77);  // no privilege to mount here
    }
    auto r = Fetch(src_.string(), dest.string(), options_);
    bool ok = r.ok() && fs::exists(dest / "sub" / "conda.yaml") &&
              fs::exists(dest / std::string(kCompleteMarker));
    if (!r.ok()) std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot create a mount namespace here";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(FetchTest, StorageInitializerContract) {
  std::ostringstream out, err;
  EXPECT_EQ(RunStorageInitializer({"only-one-arg"}, out, err), 2);
  auto env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  fs::path d1 = dir_ / "m1", d2 = dir_ / "m2";
  int rc = RunStorageInitializer({src_.string(), d1.string(), src_.string(), d2.string()}, out, err,
                                 env);
  EXPECT_EQ(rc, 0) << err.str();
  EXPECT_NE(out.str().find("Model downloaded in"), std::string::npos) << out.str();
  EXPECT_TRUE(fs::exists(d2 / "model.pkl"));
  std::ostringstream out2, err2;
  EXPECT_EQ(RunStorageInitializer({"gs://b/m", (dir_ / "m3").string()}, out2, err2, env), 1);
  EXPECT_NE(err2.str().find("gs://"), std::string::npos);
}

}  // namespace
}  // namespace ferry::storage
