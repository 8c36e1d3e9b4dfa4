#include "storage/transfer.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

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
};

struct Part {
  FileState* state;
  size_t index;  // within its file
  std::optional<std::pair<uint64_t, uint64_t>> range;  // inclusive; nullopt = whole file
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

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

class Downloader {
 public:
  Downloader(const HttpRequest& base, const FetchOptions& options, const FailureMapper& on_failure,
             ProgressTracker& progress)
      : base_(base), options_(options), on_failure_(on_failure), progress_(progress) {}
  ~Downloader() {
    for (auto& st : states_) {
      if (st->fd >= 0) ::close(st->fd);
    }
  }

  Status Run(const std::vector<RemoteFile>& files, const std::string& dir) {
    states_.reserve(files.size());
    for (const auto& f : files) {
      auto st = std::make_unique<FileState>();
      st->file = &f;
      st->path = (fs::path(dir) / f.rel_path).string();
      RETURN_IF_ERROR(Open(*st));
      states_.push_back(std::move(st));
    }
    for (auto& st : states_) PlanParts(*st);
    for (auto& st : states_) {  // zero-byte objects need no request
      if (st->parts_left == 0) RETURN_IF_ERROR(FinishFile(*st));
    }
    size_t n = std::min<size_t>(std::max(options_.concurrency, 1), parts_.size());
    std::vector<std::thread> workers;
    for (size_t i = 0; i < n; ++i) workers.emplace_back([this] { Work(); });
    for (auto& t : workers) t.join();
    return error_;
  }

 private:
  Status Open(FileState& st) {
    std::error_code ec;
    fs::create_directories(fs::path(st.path).parent_path(), ec);
    st.fd = ::open(st.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (st.fd < 0 || ec) {
      return InternalError("cannot create `" + st.path + "` for " + st.file->display + ": " +
                           (ec ? ec.message() : std::strerror(errno)) +
                           "; check that the destination is writable and has space");
    }
    return OkStatus();
  }

  void PlanParts(FileState& st) {
    const RemoteFile& f = *st.file;
    std::vector<uint64_t> starts;
    if (f.size && f.ranges_ok && *f.size > options_.multipart_threshold) {
      uint64_t part = std::max<uint64_t>(options_.part_size, 1 << 20);
      for (uint64_t off = 0; off < *f.size; off += part) {
        parts_.push_back({&st, starts.size(), std::make_pair(off, std::min(off + part, *f.size) - 1)});
        starts.push_back(off);
        ++st.parts_left;
      }
    } else if (!f.size || *f.size > 0) {
      parts_.push_back({&st, 0, std::nullopt});
      starts.push_back(0);
      st.parts_left = 1;
    }
    // Hash while downloading (overlapping the network) when the size is known.
    if (f.size && *f.size > 0 && IsMd5Etag(f.etag)) {
      st.md5 = std::make_unique<OrderedMd5>(st.fd, std::move(starts), *f.size);
    }
  }

  void Work() {
    while (!abort_) {
      size_t i = next_++;
      if (i >= parts_.size()) return;
      Status s = FetchPart(parts_[i]);
      if (s.ok() && --parts_[i].state->parts_left == 0) s = FinishFile(*parts_[i].state);
      if (!s.ok()) Fail(std::move(s));
    }
  }

  void Fail(Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) error_ = std::move(s);
    abort_ = true;
  }

  Status FetchPart(const Part& part) {
    const RemoteFile& f = *part.state->file;
    HttpRequest req = base_;
    req.url = f.url;
    req.range = part.range;
    uint64_t offset = part.range ? part.range->first : 0;
    for (int attempt = 0;; ++attempt) {
      uint64_t written = 0;
      int fd = part.state->fd;
      BodySink sink = [&](const char* data, size_t n) {
        if (abort_) return false;
        size_t done = 0;
        while (done < n) {
          ssize_t w =
              ::pwrite(fd, data + done, n - done, static_cast<off_t>(offset + written + done));
          if (w < 0) return false;
          done += static_cast<size_t>(w);
        }
        if (part.state->md5) part.state->md5->Wrote(part.index, offset + written, data, n);
        written += n;
        progress_.AddBytes(static_cast<int64_t>(n));
        return true;
      };
      HttpResponse resp = PerformHttp(req, sink);
      Status s = Check(f, part, resp, written);
      if (s.ok()) return s;
      progress_.AddBytes(-static_cast<int64_t>(written));
      if (part.state->md5) part.state->md5->Restart(part.index);
      if (abort_) return s;
      bool retry = IsRetryable(resp) || s.code() == StatusCode::kUnavailable;
      if (!retry || attempt + 1 >= options_.max_attempts) return s;
      SleepBackoff(options_, attempt);
    }
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
      if (md5 != Lower(f.etag)) {
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
  std::vector<Part> parts_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> abort_{false};
  std::mutex mu_;
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
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
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
