#include "storage/transfer.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "common/strings.h"
#include "storage/dest_path.h"
#include "storage/ordered_md5.h"

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;

// Per-file state shared by the parts of one object.
struct FileState {
  const RemoteFile* file = nullptr;
  std::string path;
  int fd = -1;
  std::atomic<int> parts_left{0};
  std::unique_ptr<OrderedMd5> md5;  // set when the ETag is a single-part MD5
  // The lead GET of a splittable object stops here; parts fetch the rest.
  // Written only by the lead's thread.
  uint64_t limit = UINT64_MAX;
};

struct Part {
  FileState* state = nullptr;
  size_t index = 0;  // within its file
  std::optional<std::pair<uint64_t, uint64_t>> range;  // inclusive; nullopt = whole file
  bool lead = false;  // a whole-object GET that may split off its tail
};

void SleepBackoff(const FetchOptions& options, int attempt) {
  static thread_local std::mt19937 rng(std::random_device{}());
  auto base = options.retry_backoff * (1 << std::min(attempt, 6));
  std::uniform_int_distribution<int64_t> jitter(0, base.count() / 2 + 1);
  std::this_thread::sleep_for(base + std::chrono::milliseconds(jitter(rng)));
}

bool IsMd5Etag(const std::string& etag) {
  return etag.size() == 32 &&
         std::all_of(etag.begin(), etag.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// Objects at least this large are hashed on a background thread.
constexpr uint64_t kBackgroundMd5Bytes = 16 << 20;

class Downloader {
 public:
  Downloader(const HttpRequest& base, const FetchOptions& options, const FailureMapper& on_failure,
             ProgressTracker& progress)
      : base_(base), options_(options), on_failure_(on_failure), progress_(progress) {}
  ~Downloader() {
    for (auto& st : states_) {
      st->md5.reset();  // joins a background hasher before its fd goes
      if (st->fd >= 0) ::close(st->fd);
    }
  }

  Status Run(const std::vector<RemoteFile>& files, const std::string& dir) {
    states_.reserve(files.size());
    for (const auto& f : files) {
      auto st = std::make_unique<FileState>();
      st->file = &f;
      ASSIGN_OR_RETURN(fs::path path, JoinInside(dir, f.rel_path, f.display));
      st->path = path.string();
      RETURN_IF_ERROR(Open(*st, dir));
      states_.push_back(std::move(st));
    }
    for (auto& st : states_) PlanParts(*st);
    for (auto& st : states_) {  // zero-byte objects need no request
      if (st->parts_left == 0) RETURN_IF_ERROR(FinishFile(*st));
    }
    size_t n = std::max(options_.concurrency, 1);
    if (undecided_leads_ == 0) n = std::min(n, queue_.size());
    std::vector<std::thread> workers;
    for (size_t i = 0; i < n; ++i) workers.emplace_back([this] { Work(); });
    for (auto& t : workers) t.join();
    return error_;
  }

 private:
  Status Open(FileState& st, const std::string& dir) {
    RETURN_IF_ERROR(CreateParentDirs(dir, st.path, options_.modes.dir));
    ASSIGN_OR_RETURN(st.fd, CreateFileExclusive(st.path, options_.modes.file, O_RDWR));
    return OkStatus();
  }

  void PlanParts(FileState& st) {
    const RemoteFile& f = *st.file;
    std::vector<uint64_t> starts;
    if (!f.size || *f.size > 0) {
      bool lead = f.size && f.ranges_ok && *f.size > options_.multipart_threshold;
      queue_.push_back({&st, 0, std::nullopt, lead});
      starts.push_back(0);
      st.parts_left = 1;
      if (lead) ++undecided_leads_;
    }
    // Hash while downloading (overlapping the network) when the size is known;
    // large objects on a thread of their own (see OrderedMd5).
    if (f.size && *f.size > 0 && IsMd5Etag(f.etag)) {
      st.md5 = std::make_unique<OrderedMd5>(st.fd, std::move(starts), *f.size,
                                            *f.size >= kBackgroundMd5Bytes);
    }
  }

  // Takes queued parts until none is left and no lead can add more.
  void Work() {
    while (true) {
      Part part;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return abort_ || !queue_.empty() || undecided_leads_ == 0; });
        if (abort_ || queue_.empty()) return;
        part = queue_.front();
        queue_.pop_front();
      }
      Status s = FetchPart(part);
      if (s.ok() && --part.state->parts_left == 0) s = FinishFile(*part.state);
      if (!s.ok()) Fail(std::move(s));
    }
  }

  void Fail(Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) error_ = std::move(s);
    abort_ = true;
    cv_.notify_all();
  }

  // The lead's one decision: keep streaming the whole object, or (when the
  // rest would take longer than split_after at the rate seen so far) stop at
  // a part boundary ahead and queue ranged parts for the tail.
  void Decide(FileState& st, uint64_t done, std::chrono::steady_clock::duration elapsed) {
    uint64_t size = *st.file->size;
    uint64_t part = std::max<uint64_t>(options_.part_size, 1 << 20);
    double secs = std::chrono::duration<double>(elapsed).count();
    double rest_secs = done == 0 ? 0 : (size - done) * secs / static_cast<double>(done);
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t split_at = (done / part + 1) * part;
    bool split = split_at < size &&
                 (options_.split_after.count() == 0 ||
                  rest_secs * 1000 > static_cast<double>(options_.split_after.count()));
    if (split) {
      for (uint64_t off = split_at; off < size; off += part) {
        size_t index = st.md5 ? st.md5->AddPart(off) : 0;
        ++st.parts_left;
        queue_.push_back({&st, index, std::make_pair(off, std::min(off + part, size) - 1)});
      }
      st.limit = split_at;
    }
    --undecided_leads_;
    cv_.notify_all();
  }

  Status FetchPart(Part part) {
    FileState& st = *part.state;
    const RemoteFile& f = *st.file;
    HttpRequest req = base_;
    req.url = f.url;
    for (int attempt = 0;; ++attempt) {
      req.range = part.range;
      uint64_t offset = part.range ? part.range->first : 0;
      uint64_t written = 0;
      bool cut = false;  // the lead reached st.limit and stopped on purpose
      auto first_byte = std::chrono::steady_clock::time_point();
      BodySink sink = [&](const char* data, size_t n) {
        if (abort_) return false;
        if (part.lead) {
          auto now = std::chrono::steady_clock::now();
          if (written == 0) first_byte = now;
          if (written >= kProbeBytes || now - first_byte >= kProbeTime ||
              options_.split_after.count() == 0) {
            part.lead = false;
            Decide(st, written, now - first_byte);
          }
        }
        if (!part.range && written + n > st.limit) {  // only the whole-object GET stops
          n = static_cast<size_t>(st.limit - written);
          cut = true;
        }
        if (!WriteAt(st, part.index, offset + written, data, n)) return false;
        written += n;
        progress_.AddBytes(static_cast<int64_t>(n));
        return !cut;
      };
      HttpResponse resp = PerformHttp(req, sink);
      if (part.lead) {  // ended before the decision: nothing to split
        part.lead = false;
        Decide(st, *f.size, std::chrono::steady_clock::duration::zero());
      }
      Status s = cut && resp.status == 200 && written == st.limit ? OkStatus()
                                                                   : Check(f, part, resp, written);
      if (s.ok()) return s;
      progress_.AddBytes(-static_cast<int64_t>(written));
      if (st.md5) st.md5->Restart(part.index);
      if (abort_) return s;
      bool retry = IsRetryable(resp) || s.code() == StatusCode::kUnavailable;
      if (!retry || attempt + 1 >= options_.max_attempts) return s;
      // A lead that already split off its tail retries only its own range.
      if (!part.range && st.limit != UINT64_MAX) part.range = std::make_pair(0, st.limit - 1);
      SleepBackoff(options_, attempt);
    }
  }

  bool WriteAt(FileState& st, size_t index, uint64_t at, const char* data, size_t n) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = ::pwrite(st.fd, data + done, n - done, static_cast<off_t>(at + done));
      if (w < 0) return false;
      done += static_cast<size_t>(w);
    }
    if (st.md5) st.md5->Wrote(index, at, data, n);
    return true;
  }

  // OK when the response carried exactly the expected bytes.
  Status Check(const RemoteFile& f, const Part& part, const HttpResponse& resp, uint64_t written) {
    if (resp.failure == TransportFailure::kAborted && abort_) {
      return AbortedError("download of " + f.display + " stopped after another failure");
    }
    if (resp.failure == TransportFailure::kAborted) {
      return InternalError("cannot write `" + part.state->path + "` for " + f.display + ": " +
                           std::strerror(errno) + "; check free space on the destination volume");
    }
    long want = part.range ? 206 : 200;
    if (!resp.transport_ok() || resp.status != want) {
      if (resp.transport_ok() && resp.status == 200 && part.range) {
        return FailedPreconditionError("server ignored the Range request for " + f.display);
      }
      return on_failure_(f, resp);
    }
    uint64_t expect =
        part.range ? part.range->second - part.range->first + 1 : f.size.value_or(written);
    if (written != expect) {
      return UnavailableError("short read for " + f.display + ": got " + std::to_string(written) +
                              " of " + std::to_string(expect) + " bytes");
    }
    return OkStatus();
  }

  Status FinishFile(FileState& st) {
    const RemoteFile& f = *st.file;
    struct stat sb;
    if (::fstat(st.fd, &sb) != 0) return InternalError("cannot stat `" + st.path + "`");
    if (f.size && static_cast<uint64_t>(sb.st_size) != *f.size) {
      return DataLossError(f.display + ": downloaded " + std::to_string(sb.st_size) +
                           " bytes but the listing says " + std::to_string(*f.size) +
                           "; the object changed during the download, retry");
    }
    if (IsMd5Etag(f.etag)) {
      std::optional<std::string> streamed = st.md5 ? st.md5->HexDigest() : std::nullopt;
      std::string md5;
      if (streamed) {
        md5 = std::move(*streamed);
      } else {
        ASSIGN_OR_RETURN(md5, FileMd5Hex(st.path));
      }
      if (md5 != AsciiLower(f.etag)) {
        return DataLossError(f.display + ": MD5 of the downloaded bytes is " + md5 +
                             " but the ETag is " + f.etag +
                             "; the transfer was corrupted or the object changed, retry");
      }
    }
    progress_.ObjectDone();
    return OkStatus();
  }

  const HttpRequest& base_;
  const FetchOptions& options_;
  const FailureMapper& on_failure_;
  ProgressTracker& progress_;
  std::vector<std::unique_ptr<FileState>> states_;
  static constexpr uint64_t kProbeBytes = 8ull << 20;
  static constexpr auto kProbeTime = std::chrono::milliseconds(250);

  std::atomic<bool> abort_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Part> queue_;     // guarded by mu_
  int undecided_leads_ = 0;    // guarded by mu_ (written before the workers start)
  Status error_;
};

}  // namespace

StatusOr<std::string> FileMd5Hex(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InternalError("cannot read `" + path + "`: " + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr);
  std::vector<char> buf(1 << 20);
  ssize_t n;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) {
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  if (n < 0) return InternalError("cannot read `" + path + "`: " + std::strerror(errno));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return LowerHex(md, len);
}

HttpResponse PerformWithRetry(const HttpRequest& req, const FetchOptions& options,
                              const BodySink& sink, const std::function<void()>& before_retry) {
  for (int attempt = 0;; ++attempt) {
    HttpResponse resp = PerformHttp(req, sink);
    if (!IsRetryable(resp) || attempt + 1 >= options.max_attempts) return resp;
    SleepBackoff(options, attempt);
    if (before_retry) before_retry();
  }
}

Status DownloadFiles(const std::vector<RemoteFile>& files, const std::string& dir,
                     const HttpRequest& base, const FetchOptions& options,
                     const FailureMapper& on_failure, ProgressTracker& progress) {
  Downloader d(base, options, on_failure, progress);
  return d.Run(files, dir);
}

}  // namespace ferry::storage
