// The backend loader's refusals, with the real libferry_sklearn.so built into
// this build tree: a backend built for another binary (BackendAbi differs), a
// file that is not a backend, and one listed for the wrong format.
#include "runtime/backend_loader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ferry::runtime {
namespace {

namespace fs = std::filesystem;

TEST(BackendAbiTest, SameBuildMatchesAndEachDifferenceIsNamed) {
  EXPECT_EQ(CompareBackendAbi(BackendAbi{}), "");
  BackendAbi other;
  other.sizeof_tensor += 8;
  other.interface_hash = "0123456789abcdef";
  const std::string diff = CompareBackendAbi(other);
  EXPECT_NE(diff.find("Tensor size"), std::string::npos) << diff;
  EXPECT_NE(diff.find("interface hash"), std::string::npos) << diff;
  EXPECT_EQ(diff.find("Frame size"), std::string::npos) << diff;
  BackendAbi newer;
  newer.version = kBackendAbiVersion + 1;
  EXPECT_NE(CompareBackendAbi(newer).find("interface version"), std::string::npos);
}

class BackendLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One directory per test: ctest runs these tests as parallel processes, and a shared one
    // was emptied by one test's SetUp while another loaded from it.
    dir_ = fs::path(testing::TempDir()) /
           (std::string("ferry_backend_loader_test_") +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    setenv("FERRY_BACKEND_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("FERRY_BACKEND_DIR");
    fs::remove_all(dir_);
  }
  Status Load(const BackendSpec& spec) {
    auto runtime = NewBackendRuntime(spec, BackendSettings{});
    return runtime->LoadFile(dir_ / "model.joblib", LoadOptions{}).status();
  }
  fs::path dir_;
};

BackendSpec Spec(std::string format, std::string file) {
  return {std::move(format), "Label", "flavor", {"model.joblib"}, std::move(file), "libfoo1",
          "install libfoo-dev and rebuild"};
}

TEST_F(BackendLoaderTest, MissingFileNamesFormatFileDirectoryAndFix) {
  Status s = Load(Spec("sklearn", "libferry_nothere.so"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("model format sklearn (Label) needs the backend "
                             "libferry_nothere.so, which is not in " + dir_.string()),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("install libfoo-dev and rebuild"), std::string::npos);
}

TEST_F(BackendLoaderTest, AFileThatIsNotABackendNamesThePackage) {
  std::ofstream(dir_ / "libferry_x.so") << "not an ELF object";
  Status s = Load(Spec("x", "libferry_x.so"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("cannot load the backend " + (dir_ / "libferry_x.so").string()),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("apt-get install libfoo1"), std::string::npos) << s.message();
}

TEST_F(BackendLoaderTest, ARealBackendListedForAnotherFormatIsRefused) {
  const fs::path built =
      fs::path(FERRY_BINARY_DIR) / "lib" / "ferry" / "backends" / "libferry_sklearn.so";
  ASSERT_TRUE(fs::exists(built)) << "build libferry_sklearn.so (target ferry_sklearn) first";
  fs::copy_file(built, dir_ / "libferry_sklearn.so");
  Status s = Load(Spec("xgboost", "libferry_sklearn.so"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("serves format sklearn, not xgboost"), std::string::npos)
      << s.message();
  // The same file under its own format loads and reaches the runtime.
  Status ok = Load(Spec("sklearn", "libferry_sklearn.so"));
  EXPECT_NE(ok.code(), StatusCode::kFailedPrecondition) << ok.message();
}

}  // namespace
}  // namespace ferry::runtime
