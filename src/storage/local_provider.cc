#include "storage/local_provider.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace ferry::storage {
namespace {

namespace fs = std::filesystem;

std::string Version(const fs::path& p, uint64_t size) {
  std::error_code ec;
  auto t = fs::last_write_time(p, ec);
  return std::to_string(size) + "@" + std::to_string(t.time_since_epoch().count());
}

class LocalProvider : public StorageProvider {
 public:
  explicit LocalProvider(const FetchOptions& options) : options_(options) {}

  StatusOr<Manifest> List(std::string_view uri) override {
    ASSIGN_OR_RETURN(std::string path, LocalPathForUri(uri, options_.pvc_root));
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    Manifest m;
    m.location = std::string(uri) + (path != uri ? " (" + path + ")" : "");
    if (ec || !fs::exists(st)) {
      return NotFoundError("model path " + m.location +
                           " does not exist; check storageUri (pvc:// paths are mounted under " +
                           options_.pvc_root + ")");
    }
    if (fs::is_regular_file(st)) {
      uint64_t size = fs::file_size(path, ec);
      m.entries.push_back(
          {path, fs::path(path).filename().string(), size, Version(path, size), path});
      return m;
    }
    fs::recursive_directory_iterator it(path, fs::directory_options::follow_directory_symlink, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      uint64_t size = it->file_size();
      m.entries.push_back({it->path().string(), fs::relative(it->path(), path).string(), size,
                           Version(it->path(), size), it->path().string()});
    }
    if (ec) {
      return InternalError("cannot read model directory " + m.location + ": " + ec.message() +
                           "; check its permissions");
    }
    if (m.entries.empty()) {
      return NotFoundError("model directory " + m.location + " holds no files; check storageUri");
    }
    return m;
  }

  Status Download(const Manifest& manifest, const std::string& dir,
                  ProgressTracker& progress) override {
    for (const auto& e : manifest.entries) {
      fs::path to = fs::path(dir) / e.rel_path;
      std::error_code ec;
      fs::create_directories(to.parent_path(), ec);
      // link(2) does not follow symlinks; resolve so the copy holds the bytes.
      fs::path from = fs::canonical(e.source, ec);
      if (!ec) fs::create_hard_link(from, to, ec);
      if (ec) {
        ec.clear();
        fs::copy_file(e.source, to, fs::copy_options::overwrite_existing, ec);
      }
      if (ec) {
        return InternalError("cannot copy `" + e.source + "` to `" + to.string() +
                             "`: " + ec.message() + "; check permissions and free space");
      }
      progress.AddBytes(static_cast<int64_t>(e.size.value_or(0)));
      progress.ObjectDone();
    }
    return OkStatus();
  }

 private:
  const FetchOptions& options_;
};

}  // namespace

StatusOr<std::string> LocalPathForUri(std::string_view uri, const std::string& pvc_root) {
  if (uri.rfind("file://", 0) == 0) {
    std::string_view rest = uri.substr(7);
    if (rest.rfind("localhost/", 0) == 0) rest.remove_prefix(9);
    if (rest.empty() || rest.front() != '/') {
      return InvalidArgumentError("`" + std::string(uri) +
                                  "` is not an absolute file URI; write file:///abs/path");
    }
    return std::string(rest);
  }
  if (uri.rfind("pvc://", 0) == 0) {
    std::string_view rest = uri.substr(6);
    size_t slash = rest.find('/');
    std::string_view name = rest.substr(0, slash);
    if (name.empty()) {
      return InvalidArgumentError("`" + std::string(uri) +
                                  "` names no PersistentVolumeClaim; write pvc://CLAIM/path");
    }
    fs::path p = fs::path(pvc_root) / std::string(name);
    if (slash != std::string_view::npos) p /= std::string(rest.substr(slash + 1));
    fs::path norm = p.lexically_normal();
    fs::path root = (fs::path(pvc_root) / std::string(name)).lexically_normal();
    auto [a, b] = std::mismatch(root.begin(), root.end(), norm.begin(), norm.end());
    if (a != root.end()) {
      return InvalidArgumentError("`" + std::string(uri) + "` escapes its claim with `..`");
    }
    return norm.string();
  }
  return std::string(uri);
}

std::unique_ptr<StorageProvider> MakeLocalProvider(const FetchOptions& options) {
  return std::make_unique<LocalProvider>(options);
}

}  // namespace ferry::storage
