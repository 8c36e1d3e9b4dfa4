#include "storage/archive.h"

#include "gtest/gtest.h"
#include "storage/test_util.h"

namespace ferry::storage {
namespace {

using testing::ArchiveEntry;
using testing::ArchiveKind;
namespace fs = std::filesystem;

TEST(ArchiveTest, NamesAndPathChecks) {
  EXPECT_TRUE(IsArchiveName("model.tar.gz"));
  EXPECT_TRUE(IsArchiveName("M.TGZ"));
  EXPECT_TRUE(IsArchiveName("m.zip"));
  EXPECT_TRUE(IsArchiveName("m.tar"));
  EXPECT_FALSE(IsArchiveName("model.pkl"));
  EXPECT_FALSE(IsArchiveName("environment.tar.gz.sha256"));
  EXPECT_TRUE(IsSafeEntryPath("a/b/c.txt"));
  EXPECT_TRUE(IsSafeEntryPath("./a/..b"));
  EXPECT_FALSE(IsSafeEntryPath("../evil"));
  EXPECT_FALSE(IsSafeEntryPath("a/../../evil"));
  EXPECT_FALSE(IsSafeEntryPath("a/.."));
  EXPECT_FALSE(IsSafeEntryPath("/etc/passwd"));
  EXPECT_FALSE(IsSafeEntryPath(""));
  EXPECT_TRUE(IsSafeLinkTarget("a/link", "../b"));
  EXPECT_TRUE(IsSafeLinkTarget("link", "a/b"));
  EXPECT_FALSE(IsSafeLinkTarget("link", "../b"));
  EXPECT_FALSE(IsSafeLinkTarget("a/link", "../../b"));
  EXPECT_FALSE(IsSafeLinkTarget("a/link", "/etc"));
}

class ArchiveExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTestDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    out_ = dir_ / "out";
    fs::create_directories(out_);
  }
  fs::path dir_, out_;
};

TEST_F(ArchiveExtractTest, UnpacksTarGzAndZip) {
  for (auto kind : {ArchiveKind::kTarGz, ArchiveKind::kTar, ArchiveKind::kZip}) {
    fs::remove_all(out_);
    fs::create_directories(out_);
    fs::path a = dir_ / "m.archive";
    testing::WriteArchive(a,
                          {{"model/", "", "", true},
                           {"model/MLmodel", "flavors: {}\n"},
                           {"model/sub/w.bin", std::string(100000, 'x')},
                           {"model/link", "", "sub/w.bin"}},
                          kind);
    ASSERT_TRUE(ExtractArchive(a.string(), out_.string(), "m.archive").ok());
    EXPECT_EQ(testing::ReadFile(out_ / "model/MLmodel"), "flavors: {}\n");
    EXPECT_EQ(fs::file_size(out_ / "model/sub/w.bin"), 100000u);
    EXPECT_TRUE(fs::is_symlink(out_ / "model/link"));
  }
}

TEST_F(ArchiveExtractTest, RefusesDotDotEntries) {
  fs::path a = dir_ / "evil.tar";
  testing::WriteArchive(a, {{"ok.txt", "fine"}, {"../escaped.txt", "pwned"}}, ArchiveKind::kTar);
  Status s = ExtractArchive(a.string(), out_.string(), "s3://b/evil.tar");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("../escaped.txt"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("s3://b/evil.tar"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "escaped.txt"));
}

TEST_F(ArchiveExtractTest, RefusesAbsoluteAndEscapingSymlinks) {
  fs::path a = dir_ / "abs.tar.gz";
  testing::WriteArchive(a, {{"/tmp/ferry-abs-evil", "x"}}, ArchiveKind::kTarGz);
  EXPECT_EQ(ExtractArchive(a.string(), out_.string(), "abs").code(), StatusCode::kPermissionDenied);
  fs::path l = dir_ / "link.tar";
  testing::WriteArchive(l, {{"etc", "", "../../../etc"}}, ArchiveKind::kTar);
  EXPECT_EQ(ExtractArchive(l.string(), out_.string(), "link").code(),
            StatusCode::kPermissionDenied);
}

TEST_F(ArchiveExtractTest, RefusesSymlinkChainsThatEscape) {
  // Each link looks harmless lexically; together b resolves to out_/.. .
  fs::path a = dir_ / "chain.tar";
  testing::WriteArchive(a, {{"d/", "", "", true}, {"d/up", "", ".."}, {"b", "", "d/up/.."}},
                        ArchiveKind::kTar);
  Status s = ExtractArchive(a.string(), out_.string(), "chain");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
}

TEST_F(ArchiveExtractTest, CorruptArchiveIsDataLoss) {
  fs::path good = dir_ / "good.tar.gz";
  testing::WriteArchive(good, {{"model.pkl", std::string(200000, 'p')}}, ArchiveKind::kTarGz);
  std::string bytes = testing::ReadFile(good);
  fs::path bad = dir_ / "bad.tar.gz";
  testing::WriteFile(bad, bytes.substr(0, bytes.size() / 2));
  Status s = ExtractArchive(bad.string(), out_.string(), "s3://b/bad.tar.gz");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("corrupt"), std::string::npos);
  fs::path junk = dir_ / "junk.zip";
  testing::WriteFile(junk, "this is not a zip file at all");
  EXPECT_EQ(ExtractArchive(junk.string(), out_.string(), "junk").code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ferry::storage
