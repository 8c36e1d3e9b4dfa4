#include "storage/ordered_md5.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>

#include "common/strings.h"

namespace ferry::storage {

struct OrderedMd5::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

OrderedMd5::OrderedMd5(int fd, std::vector<uint64_t> part_starts, uint64_t size,
                       bool background)
    : ctx_(std::make_unique<Ctx>()),
      fd_(fd),
      starts_(std::move(part_starts)),
      written_(starts_.size(), 0),
      size_(size),
      background_(background) {
  valid_ = ctx_->md != nullptr && EVP_DigestInit_ex(ctx_->md, EVP_md5(), nullptr) == 1 &&
           !starts_.empty() && starts_.front() == 0;
  if (background_ && valid_) hasher_ = std::thread([this] { HashInBackground(); });
}

OrderedMd5::~OrderedMd5() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (hasher_.joinable()) hasher_.join();
}

uint64_t OrderedMd5::Available() const {
  size_t p = std::upper_bound(starts_.begin(), starts_.end(), hashed_) - starts_.begin() - 1;
  return std::max(hashed_, starts_[p] + written_[p]);
}

// Follows the frontier: reads what was written past hashed_ (up to 1 MB at a
// time, without the lock) and hashes it. A Restart() while a read was in
// flight invalidates the digest (the caller re-hashes the finished file).
void OrderedMd5::HashInBackground() {
  std::vector<char> buf(1 << 20);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !valid_ || hashed_ >= size_ || Available() > hashed_; });
    if (stop_ || !valid_ || hashed_ >= size_) break;
    const uint64_t at = hashed_;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), Available() - at));
    const uint64_t restarts = restarts_;
    lock.unlock();
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(fd_, buf.data() + got, want - got, static_cast<off_t>(at + got));
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got == want) EVP_DigestUpdate(ctx_->md, buf.data(), got);
    lock.lock();
    if (got != want || restarts_ != restarts) {
      valid_ = false;
    } else {
      hashed_ += got;
    }
    cv_.notify_all();  // HexDigest may be waiting
  }
  cv_.notify_all();
}

size_t OrderedMd5::AddPart(uint64_t start) {
  std::lock_guard<std::mutex> lock(mu_);
  if (start <= starts_.back() || start < hashed_) valid_ = false;
  starts_.push_back(start);
  written_.push_back(0);
  return starts_.size() - 1;
}

void OrderedMd5::Wrote(size_t part, uint64_t offset, const char* data, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (part >= written_.size()) {
    valid_ = false;
    return;
  }
  written_[part] += n;
  if (!valid_) return;
  if (background_) {
    cv_.notify_all();
    return;
  }
  if (offset == hashed_) {
    EVP_DigestUpdate(ctx_->md, data, n);
    hashed_ += n;
  }
  CatchUp();
}

void OrderedMd5::Restart(size_t part) {
  std::lock_guard<std::mutex> lock(mu_);
  if (part >= written_.size()) return;
  // Bytes of this part already hashed may come back different.
  if (hashed_ > starts_[part]) valid_ = false;
  written_[part] = 0;
  ++restarts_;
  cv_.notify_all();
}

void OrderedMd5::CatchUp() {
  char buf[1 << 16];
  while (valid_ && hashed_ < size_) {
    size_t p = std::upper_bound(starts_.begin(), starts_.end(), hashed_) - starts_.begin() - 1;
    uint64_t avail = starts_[p] + written_[p];
    if (avail <= hashed_) return;
    while (hashed_ < avail) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(buf), avail - hashed_));
      ssize_t got = ::pread(fd_, buf, want, static_cast<off_t>(hashed_));
      if (got <= 0) {
        valid_ = false;
        return;
      }
      EVP_DigestUpdate(ctx_->md, buf, static_cast<size_t>(got));
      hashed_ += static_cast<uint64_t>(got);
    }
  }
}

std::optional<std::string> OrderedMd5::HexDigest() {
  std::unique_lock<std::mutex> lock(mu_);
  if (background_) {
    // Wait only when every byte is written: otherwise the end never comes.
    uint64_t written_end = hashed_;
    for (size_t p = 0; p < starts_.size(); ++p) {
      if (starts_[p] > written_end) break;
      written_end = std::max(written_end, starts_[p] + written_[p]);
    }
    if (written_end >= size_) {
      cv_.wait(lock, [&] { return !valid_ || hashed_ >= size_; });
    }
  }
  if (!valid_ || hashed_ != size_) return std::nullopt;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, md, &len) != 1) return std::nullopt;
  valid_ = false;  // a digest is final once taken
  return LowerHex(md, len);
}

}  // namespace ferry::storage
