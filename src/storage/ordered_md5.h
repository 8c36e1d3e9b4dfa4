// OrderedMd5: the MD5 of a file whose byte ranges are written out of order by
// several download threads (ranged parts of one object), computed while the
// download runs instead of re-reading the whole file afterwards.
//
// Bytes written at the hash frontier are hashed straight from the writer's
// buffer; bytes written ahead of it are read back from the file (page cache)
// when the frontier reaches them. A part that restarts (a retry) after some of
// its bytes were hashed invalidates the digest: the caller then falls back to
// hashing the finished file. Thread-safe; Wrote() is called by the part's
// writer after its pwrite() returned.
//
// In background mode (large objects) the hashing runs on a thread of its own
// that follows the written frontier by reading the file back (page cache), so
// the receiving thread only writes: MD5 costs about as much CPU as receiving,
// and on a small machine the two then overlap instead of adding up.
#pragma once

#include <cstddef>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ferry::storage {

class OrderedMd5 {
 public:
  // `part_starts` are the ascending start offsets of the parts (first is 0);
  // `fd` stays open (readable) for the object's lifetime.
  OrderedMd5(int fd, std::vector<uint64_t> part_starts, uint64_t size, bool background = false);
  ~OrderedMd5();
  OrderedMd5(const OrderedMd5&) = delete;
  OrderedMd5& operator=(const OrderedMd5&) = delete;

  // Adds a part starting at `start`, beyond every existing part's start and
  // beyond the hash frontier (a split of the last part's unwritten tail).
  // Returns its index.
  size_t AddPart(uint64_t start);
  // `n` bytes from `data` were written at `offset`, which continues `part`.
  void Wrote(size_t part, uint64_t offset, const char* data, size_t n);
  // `part` starts over from its first byte.
  void Restart(size_t part);
  // Lower-case hex digest once every byte was hashed exactly once in order;
  // nullopt when incomplete or invalidated. In background mode it waits for
  // the hashing thread to reach the end when every byte was written.
  std::optional<std::string> HexDigest();

 private:
  void CatchUp();  // mu_ held
  uint64_t Available() const;  // end of the contiguous written bytes from hashed_; mu_ held
  void HashInBackground();

  struct Ctx;
  std::mutex mu_;
  std::unique_ptr<Ctx> ctx_;
  int fd_;
  std::vector<uint64_t> starts_;
  std::vector<uint64_t> written_;
  uint64_t size_;
  uint64_t hashed_ = 0;
  bool valid_ = true;
  // Background mode.
  bool background_ = false;
  bool stop_ = false;
  uint64_t restarts_ = 0;  // bumped by Restart(): a read in flight may be stale
  std::condition_variable cv_;
  std::thread hasher_;
};

}  // namespace ferry::storage
