// ReadCgroupCpuLimit over the cgroup trees in tests/fixtures/cgroup (see its
// README), and the rounding/clamping of CpusFromLimit.
#include "common/cpu_limit.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace ferry {
namespace {

std::string Tree(const std::string& name) {
  return std::string(FERRY_SOURCE_DIR) + "/tests/fixtures/cgroup/" + name;
}

TEST(CgroupCpuLimitTest, V2NamespacedContainer) {
  auto limit = ReadCgroupCpuLimit(Tree("v2-ns"), "0::/\n");
  ASSERT_TRUE(limit.cpus.has_value());
  EXPECT_DOUBLE_EQ(*limit.cpus, 1.5);
  EXPECT_NE(limit.source.find("cpu.max: 150000 100000"), std::string::npos) << limit.source;
  EXPECT_EQ(CpusFromLimit(limit, 64), 2);
  EXPECT_EQ(CpusFromLimit(limit, 1), 1);
}

TEST(CgroupCpuLimitTest, V2HostPathTakesTightestAncestor) {
  auto limit = ReadCgroupCpuLimit(Tree("v2-host"), "0::/kubepods.slice/pod1.slice/ctr.scope\n");
  ASSERT_TRUE(limit.cpus.has_value());
  EXPECT_DOUBLE_EQ(*limit.cpus, 2.5);
  EXPECT_NE(limit.source.find("pod1.slice/cpu.max"), std::string::npos) << limit.source;
  EXPECT_EQ(CpusFromLimit(limit, 64), 3);
}

TEST(CgroupCpuLimitTest, V2UnlimitedAndMalformedMeanNoLimit) {
  for (const char* tree : {"v2-unlimited", "v2-malformed"}) {
    auto limit = ReadCgroupCpuLimit(Tree(tree), "0::/\n");
    EXPECT_FALSE(limit.cpus.has_value()) << tree;
    EXPECT_EQ(CpusFromLimit(limit, 8), 8) << tree;
  }
}

TEST(CgroupCpuLimitTest, V1CpuController) {
  const char* self =
      "12:memory:/docker/abc\n"
      "4:cpu,cpuacct:/docker/abc\n"
      "1:name=systemd:/docker/abc\n";
  auto limit = ReadCgroupCpuLimit(Tree("v1"), self);
  ASSERT_TRUE(limit.cpus.has_value());
  EXPECT_DOUBLE_EQ(*limit.cpus, 0.5);
  EXPECT_NE(limit.source.find("cpu.cfs_quota_us: 50000 / 100000"), std::string::npos)
      << limit.source;
  EXPECT_EQ(CpusFromLimit(limit, 16), 1);  // at least one
  auto unlimited = ReadCgroupCpuLimit(Tree("v1-unlimited"), "3:cpu:/\n");
  EXPECT_FALSE(unlimited.cpus.has_value());
}

TEST(CgroupCpuLimitTest, MissingTreesAndHostilePathsAreNoLimit) {
  EXPECT_FALSE(ReadCgroupCpuLimit(Tree("nope"), "0::/\n").cpus.has_value());
  EXPECT_FALSE(ReadCgroupCpuLimit(Tree("v2-host"), "0::/../v2-ns\n").cpus.has_value());
  EXPECT_FALSE(ReadCgroupCpuLimit(Tree("v2-ns"), "garbage\n0:x\n").cpus.has_value());
  // No /proc/self/cgroup at all: the mount root still counts.
  EXPECT_TRUE(ReadCgroupCpuLimit(Tree("v2-ns"), "").cpus.has_value());
}

TEST(CgroupCpuLimitTest, RoundingAndClamping) {
  CgroupCpuLimit l;
  EXPECT_EQ(CpusFromLimit(l, 0), 1);
  l.cpus = 0.01;
  EXPECT_EQ(CpusFromLimit(l, 4), 1);
  l.cpus = 2.0;
  EXPECT_EQ(CpusFromLimit(l, 4), 2);
  l.cpus = 2.0000001;
  EXPECT_EQ(CpusFromLimit(l, 4), 3);
  l.cpus = 100;
  EXPECT_EQ(CpusFromLimit(l, 4), 4);
}

// A tree in a fresh temporary directory whose cpu.max (at the root) holds `text`.
std::string TempTree(const std::string& name, const std::string& text) {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / name;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cpu.max", std::ios::binary) << text;
  return dir.string();
}

TEST(CgroupCpuLimitTest, FilesOver4KBAreIgnored) {
  // Trailing newlines and spaces are trimmed, but only a file of at most 4096 bytes is read.
  std::string fits = "150000 100000" + std::string(4096 - 13, '\n');
  auto limit = ReadCgroupCpuLimit(TempTree("fits", fits), "0::/\n");
  ASSERT_TRUE(limit.cpus.has_value());
  EXPECT_DOUBLE_EQ(*limit.cpus, 1.5);
  EXPECT_FALSE(ReadCgroupCpuLimit(TempTree("over", fits + "\n"), "0::/\n").cpus.has_value());
  // Text after a NUL byte is not read.
  limit = ReadCgroupCpuLimit(TempTree("nul", std::string("50000 100000\0 junk", 18)), "0::/\n");
  ASSERT_TRUE(limit.cpus.has_value());
  EXPECT_DOUBLE_EQ(*limit.cpus, 0.5);
}

TEST(CgroupCpuLimitTest, ProcSelfCgroupLinesAndControllerLists) {
  // Blank lines, a last line without its newline, and cpu anywhere in a controller list.
  auto limit =
      ReadCgroupCpuLimit(Tree("v1"), "\n12:memory:/docker/abc\n\n4:cpuacct,cpu:/docker/abc");
  ASSERT_TRUE(limit.cpus.has_value());
  EXPECT_DOUBLE_EQ(*limit.cpus, 0.5);
  // "cpuset" is not "cpu"; an empty controller list with an ID other than 0 is not v2.
  EXPECT_FALSE(ReadCgroupCpuLimit(Tree("v1"), "4:cpuset,cpuacct:/docker/abc\n").cpus.has_value());
  EXPECT_FALSE(ReadCgroupCpuLimit(Tree("v2-ns"), "1::/\n").cpus.has_value());
}

TEST(CgroupCpuLimitTest, ThisProcess) {
  EffectiveCpus e = DetectEffectiveCpus();
  EXPECT_GE(e.cpus, 1);
  EXPECT_LE(e.cpus, e.visible);
  EXPECT_NE(e.Describe().find("visible"), std::string::npos);
}

}  // namespace
}  // namespace ferry
