// The destination checks every provider's entries pass: names that could
// leave the destination are refused, nothing is ever overwritten.
#include "storage/dest_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "storage/test_util.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::WriteFile;

TEST(DestPathTest, RefusesEveryNameThatCouldLeaveTheDestination) {
  for (std::string rel : std::vector<std::string>{"../users", "a/../../users", "a/..", "..", ".",
                                                  "./a", "a//b", "/etc/x", "", "a/",
                                                  std::string("a\0b", 3)}) {
    Status st = CheckRelativePath(rel, "object `k`");
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << "accepted `" << rel << "`";
    EXPECT_NE(st.message().find("object `k`"), std::string::npos) << st.message();
    EXPECT_FALSE(JoinInside("/dest", rel, "k").ok()) << rel;
  }
  for (std::string rel : {"MLmodel", "data/model.pkl", "a.b/..c/...", "with space/x"}) {
    EXPECT_TRUE(CheckRelativePath(rel, "k").ok()) << rel;
    auto joined = JoinInside("/dest/", rel, "k");
    ASSERT_TRUE(joined.ok()) << rel;
    EXPECT_TRUE(PathIsUnder(*joined, "/dest")) << *joined;
  }
}

TEST(DestPathTest, PathIsUnderComparesWholeComponents) {
  EXPECT_TRUE(PathIsUnder("/a/b", "/a/b"));
  EXPECT_TRUE(PathIsUnder("/a/b/c", "/a/b/"));
  EXPECT_FALSE(PathIsUnder("/a/bc", "/a/b"));
  EXPECT_FALSE(PathIsUnder("/a", "/a/b"));
  EXPECT_TRUE(PathIsUnder("/anything", "/"));
}

TEST(DestPathTest, CreateFileExclusiveNeverReplacesAFileOrFollowsALink) {
  fs::path dir = testing::MakeTestDir("DestPathExclusive");
  WriteFile(dir / "victim", "precious");
  WriteFile(dir / "dest" / "existing", "old");
  fs::create_symlink(dir / "victim", dir / "dest" / "link");
  for (const char* name : {"existing", "link"}) {
    auto fd = CreateFileExclusive(dir / "dest" / name, 0600);
    EXPECT_EQ(fd.status().code(), StatusCode::kAlreadyExists) << name;
  }
  EXPECT_EQ(ReadFile(dir / "victim"), "precious");
  EXPECT_EQ(ReadFile(dir / "dest" / "existing"), "old");
  auto fd = CreateFileExclusive(dir / "dest" / "new", 0644);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  ::close(*fd);
  struct stat st;
  ASSERT_EQ(::stat((dir / "dest" / "new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077 & ~0644, 0u);
}

TEST(DestPathTest, CreateParentDirsUsesTheModeAndRefusesALinkedDirectory) {
  fs::path dir = testing::MakeTestDir("DestPathParents");
  fs::create_directories(dir / "dest");
  ASSERT_TRUE(CreateParentDirs(dir / "dest", dir / "dest" / "a" / "b" / "f", 0700).ok());
  struct stat st;
  ASSERT_EQ(::stat((dir / "dest" / "a" / "b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  fs::create_directories(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", dir / "dest" / "sneaky");
  Status linked = CreateParentDirs(dir / "dest", dir / "dest" / "sneaky" / "x" / "f", 0700);
  EXPECT_FALSE(linked.ok());
  EXPECT_FALSE(fs::exists(dir / "elsewhere" / "x"));
}

}  // namespace
}  // namespace ferry::storage
