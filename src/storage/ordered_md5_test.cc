#include "storage/ordered_md5.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "storage/transfer.h"

namespace ferry::storage {
namespace {

// Parameter: background mode (a hashing thread of its own).
class OrderedMd5Test : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "ordered_md5_" + std::to_string(::getpid());
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd_, 0);
    std::mt19937 rng(7);
    data_.resize(1'000'003);
    for (auto& c : data_) c = static_cast<char>(rng());
  }
  void TearDown() override {
    ::close(fd_);
    std::remove(path_.c_str());
  }
  // Writes [begin, end) of data_ in chunks of `chunk`, reporting to `md5`.
  void WriteRange(OrderedMd5& md5, size_t part, uint64_t begin, uint64_t end, size_t chunk) {
    for (uint64_t off = begin; off < end; off += chunk) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(chunk, end - off));
      ASSERT_EQ(::pwrite(fd_, data_.data() + off, n, static_cast<off_t>(off)),
                static_cast<ssize_t>(n));
      md5.Wrote(part, off, data_.data() + off, n);
    }
  }
  std::string FileMd5() { return FileMd5Hex(path_).value(); }

  std::string path_;
  int fd_ = -1;
  std::string data_;
};

TEST_P(OrderedMd5Test, SinglePartInOrderMatchesFileDigest) {
  OrderedMd5 md5(fd_, {0}, data_.size(), GetParam());
  WriteRange(md5, 0, 0, data_.size(), 70'000);
  auto got = md5.HexDigest();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, FileMd5());
}

TEST_P(OrderedMd5Test, PartsInReverseOrderAreReadBack) {
  std::vector<uint64_t> starts = {0, 300'000, 600'000, 900'000};
  OrderedMd5 md5(fd_, starts, data_.size(), GetParam());
  for (size_t p = starts.size(); p-- > 0;) {
    uint64_t end = p + 1 < starts.size() ? starts[p + 1] : data_.size();
    WriteRange(md5, p, starts[p], end, 4096 + p);
  }
  auto got = md5.HexDigest();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, FileMd5());
}

TEST_P(OrderedMd5Test, ConcurrentPartsMatchFileDigest) {
  std::vector<uint64_t> starts;
  for (uint64_t off = 0; off < data_.size(); off += 65'536) starts.push_back(off);
  OrderedMd5 md5(fd_, starts, data_.size(), GetParam());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t p = t; p < starts.size(); p += 4) {
        uint64_t end = p + 1 < starts.size() ? starts[p + 1] : data_.size();
        WriteRange(md5, p, starts[p], end, 1000 + 37 * t);
      }
    });
  }
  for (auto& th : threads) th.join();
  auto got = md5.HexDigest();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, FileMd5());
}

TEST_P(OrderedMd5Test, PartsAddedWhileTheFirstStreamsMatchFileDigest) {
  // A whole-object stream splits its unwritten tail into parts mid-way.
  OrderedMd5 md5(fd_, {0}, data_.size(), GetParam());
  WriteRange(md5, 0, 0, 200'000, 30'000);
  size_t a = md5.AddPart(400'000);
  size_t b = md5.AddPart(700'000);
  WriteRange(md5, b, 700'000, data_.size(), 50'000);
  WriteRange(md5, a, 400'000, 700'000, 20'000);
  WriteRange(md5, 0, 200'000, 400'000, 30'000);
  auto got = md5.HexDigest();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, FileMd5());
}

TEST_P(OrderedMd5Test, IncompleteHasNoDigest) {
  OrderedMd5 md5(fd_, {0, 500'000}, data_.size(), GetParam());
  WriteRange(md5, 0, 0, 500'000, 10'000);
  EXPECT_FALSE(md5.HexDigest().has_value());
}

TEST_P(OrderedMd5Test, RestartAfterHashedBytesInvalidates) {
  OrderedMd5 md5(fd_, {0, 500'000}, data_.size(), GetParam());
  WriteRange(md5, 0, 0, 100'000, 10'000);
  md5.Restart(0);  // the retry may bring different bytes: never trust the old hash
  WriteRange(md5, 0, 0, 500'000, 10'000);
  WriteRange(md5, 1, 500'000, data_.size(), 10'000);
  auto got = md5.HexDigest();
  if (!GetParam()) {
    EXPECT_FALSE(got.has_value());
  } else if (got) {
    // The background thread may not have hashed anything before the restart.
    EXPECT_EQ(*got, FileMd5());
  }
}

TEST_P(OrderedMd5Test, RestartOfUnhashedPartKeepsDigestValid) {
  OrderedMd5 md5(fd_, {0, 500'000}, data_.size(), GetParam());
  WriteRange(md5, 1, 500'000, 600'000, 10'000);  // ahead of the frontier: not hashed yet
  md5.Restart(1);
  WriteRange(md5, 1, 500'000, data_.size(), 10'000);
  WriteRange(md5, 0, 0, 500'000, 10'000);
  auto got = md5.HexDigest();
  // In background mode a restart during a read in flight invalidates (the
  // caller then re-hashes the file); a digest given is always right.
  ASSERT_TRUE(got.has_value() || GetParam());
  if (got) EXPECT_EQ(*got, FileMd5());
}

// Background mode: the digest of a large file written in order, and the
// destructor joins the thread when the download stopped half-way.
TEST_P(OrderedMd5Test, AbandonedHalfWayJoinsCleanly) {
  auto md5 = std::make_unique<OrderedMd5>(fd_, std::vector<uint64_t>{0}, data_.size(), GetParam());
  WriteRange(*md5, 0, 0, 300'000, 50'000);
  md5.reset();
}

INSTANTIATE_TEST_SUITE_P(InlineAndBackground, OrderedMd5Test, ::testing::Bool());

}  // namespace
}  // namespace ferry::storage
