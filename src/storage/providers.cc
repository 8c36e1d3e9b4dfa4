// The provider registry and ProgressTracker.
#include <algorithm>
#include <cctype>

#include "storage/http_provider.h"
#include "storage/local_provider.h"
#include "storage/provider.h"
#include "storage/s3_provider.h"

namespace ferry::storage {

const std::vector<ProviderRegistration>& Providers() {
  static const std::vector<ProviderRegistration> kProviders = {
      {{"s3"}, MakeS3Provider},
      {{"http", "https"}, MakeHttpProvider},
      {{"file", "pvc", ""}, MakeLocalProvider},
  };
  return kProviders;
}

std::string UriScheme(std::string_view uri) {
  size_t sep = uri.find("://");
  if (sep == std::string_view::npos) return "";
  std::string scheme(uri.substr(0, sep));
  bool valid = !scheme.empty() && std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '+' || c == '-' || c == '.';
  });
  if (!valid) return "";
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return scheme;
}

StatusOr<std::unique_ptr<StorageProvider>> ProviderFor(std::string_view uri,
                                                       const FetchOptions& options) {
  std::string scheme = UriScheme(uri);
  for (const auto& reg : Providers()) {
    if (std::find(reg.schemes.begin(), reg.schemes.end(), scheme) != reg.schemes.end()) {
      return reg.make(options);
    }
  }
  std::string supported;
  for (const auto& reg : Providers()) {
    for (auto s : reg.schemes) {
      if (s.empty()) continue;
      supported += (supported.empty() ? "" : ", ") + std::string(s) + "://";
    }
  }
  return UnimplementedError("storage URI `" + std::string(uri) + "`: scheme `" + scheme +
                            "://` is not supported yet; supported are " + supported +
                            " and local paths (copy the model to one of those)");
}

ProgressTracker::ProgressTracker(ProgressCallback cb, uint64_t bytes_total, size_t objects_total)
    : cb_(std::move(cb)), bytes_total_(bytes_total), objects_total_(objects_total) {}

void ProgressTracker::AddBytes(int64_t delta) {
  bytes_done_ += delta;
  Report(false);
}

void ProgressTracker::ObjectDone() {
  ++objects_done_;
  Report(false);
}

void ProgressTracker::Finish() { Report(true); }

Progress ProgressTracker::Snapshot() const {
  Progress p;
  p.bytes_done = static_cast<uint64_t>(std::max<int64_t>(bytes_done_.load(), 0));
  p.bytes_total = bytes_total_;
  p.objects_done = objects_done_.load();
  p.objects_total = objects_total_;
  return p;
}

void ProgressTracker::Report(bool force) {
  if (!cb_) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_report_ < std::chrono::milliseconds(100)) return;
  last_report_ = now;
  cb_(Snapshot());
}

}  // namespace ferry::storage
