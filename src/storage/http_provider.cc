#include "storage/http_provider.h"

#include <cctype>

#include "storage/archive.h"
#include "storage/s3_path.h"
#include "storage/transfer.h"

namespace ferry::storage {
namespace {

std::string HostOf(std::string_view url) {
  size_t b = url.find("://");
  b = b == std::string_view::npos ? 0 : b + 3;
  size_t e = url.find_first_of("/?#", b);
  return std::string(url.substr(b, e == std::string_view::npos ? url.size() - b : e - b));
}

// KServe unpacks HTTP downloads by Content-Type; give such a file a name the
// archive step recognises when its URL has none (e.g. .../download?id=3).
std::string ArchiveSuffixForContentType(const std::string& name, std::string type) {
  if (IsArchiveName(name)) return "";
  type = type.substr(0, type.find(';'));
  if (type == "application/zip") return ".zip";
  if (type == "application/x-tar") return ".tar";
  if (type == "application/x-tgz" || type == "application/x-gtar") {
    return ".tar.gz";
  }
  return "";
}

Status MapHttpFailure(std::string_view url, const HttpResponse& r) {
  std::string head = std::string(url) + ": ";
  switch (r.failure) {
    case TransportFailure::kNone:
      break;
    case TransportFailure::kConnect:
    case TransportFailure::kResolve:
      return UnavailableError(head + "cannot reach `" + HostOf(url) + "`: " + DescribeFailure(r) +
                              "; check the URL in storageUri and network access");
    case TransportFailure::kTls:
      return UnavailableError(head + DescribeFailure(r) +
                              "; for a private CA set AWS_CA_BUNDLE to its PEM file");
    case TransportFailure::kTimeout:
      return DeadlineExceededError(head + DescribeFailure(r) + "; check the server, or retry");
    default:
      return UnavailableError(head + DescribeFailure(r) + "; retry");
  }
  if (r.status == 404 || r.status == 410) {
    return NotFoundError(head + "HTTP " + std::to_string(r.status) +
                         ": no file at this URL; check storageUri");
  }
  if (r.status == 401 || r.status == 403) {
    return PermissionDeniedError(
        head + "HTTP " + std::to_string(r.status) +
        ": access denied; give the headers the server needs in environment variable `" +
        UrlHostname(url) +
        "-headers` (a JSON object; KServe sets it from a Secret with data keys https-host and "
        "headers), use a presigned URL, or an s3:// URI with a Secret");
  }
  if (r.status >= 500) {
    return UnavailableError(head + "HTTP " + std::to_string(r.status) +
                            " even after retries; the server is failing, retry later");
  }
  return FailedPreconditionError(head + "unexpected HTTP " + std::to_string(r.status));
}

class HttpProvider : public StorageProvider {
 public:
  explicit HttpProvider(const FetchOptions& options) : options_(options) {}

  StatusOr<Manifest> List(std::string_view uri) override {
    std::string host = HostOf(uri);
    if (options_.http_headers) {
      ASSIGN_OR_RETURN(extra_headers_, options_.http_headers(UrlHostname(uri)));
    }
    if (host.ends_with(".blob.core.windows.net") || host.ends_with(".file.core.windows.net")) {
      return UnimplementedError("`" + std::string(uri) +
                                "`: Azure Blob/File storage is not supported yet; copy the model "
                                "to S3, HTTP or a PVC");
    }
    HttpRequest req = Base();
    req.url = std::string(uri);
    req.method = "HEAD";
    HttpResponse head = PerformWithRetry(req, options_);
    ManifestEntry e{std::string(uri), FileNameForUrl(uri), std::nullopt, "", std::string(uri)};
    if (!head.transport_ok()) return MapHttpFailure(uri, head);
    ranges_ok_ = false;
    if (head.status == 200) {
      std::string len = head.Header("content-length");
      if (!len.empty()) e.size = std::stoull(len);
      e.version = head.Header("etag");
      if (e.version.empty()) e.version = head.Header("last-modified");
      ranges_ok_ = head.Header("accept-ranges") == "bytes";
      e.rel_path += ArchiveSuffixForContentType(e.rel_path, head.Header("content-type"));
    } else if (head.status == 404 || head.status == 410 || head.status == 401) {
      return MapHttpFailure(uri, head);
    }  // other statuses (405...): some servers refuse HEAD; the GET decides
    Manifest m;
    m.location = std::string(uri);
    m.entries.push_back(std::move(e));
    return m;
  }

  Status Download(const Manifest& manifest, const std::string& dir,
                  ProgressTracker& progress) override {
    std::vector<RemoteFile> files;
    for (const auto& e : manifest.entries) {
      // Only S3-style servers promise ETag == MD5; elsewhere skip the MD5 check.
      files.push_back({e.source, e.rel_path, e.source, e.size, "", ranges_ok_});
    }
    FailureMapper mapper = [](const RemoteFile& f, const HttpResponse& r) {
      return MapHttpFailure(f.url, r);
    };
    return DownloadFiles(files, dir, Base(), options_, mapper, progress);
  }

 private:
  HttpRequest Base() const {
    HttpRequest req;
    req.follow_redirects = true;
    req.headers = extra_headers_;
    req.verify_ssl = options_.s3.verify_ssl;
    req.ca_bundle = options_.s3.ca_bundle;
    req.connect_timeout_ms = static_cast<long>(options_.connect_timeout.count());
    req.low_speed_time_s = static_cast<long>(options_.read_timeout.count());
    return req;
  }

  const FetchOptions& options_;
  bool ranges_ok_ = false;
  std::vector<std::string> extra_headers_;  // from `<host>-headers`
};

}  // namespace

std::string UrlHostname(std::string_view url) {
  std::string host = HostOf(url);
  if (size_t at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') == std::string::npos ? std::string::npos
                                                              : host.find(']') - 1);
  } else if (size_t colon = host.find(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

std::string FileNameForUrl(std::string_view url) {
  size_t b = url.find("://");
  b = b == std::string_view::npos ? 0 : b + 3;
  size_t path = url.find('/', b);
  if (path == std::string_view::npos) return "model";
  std::string_view p = url.substr(path);
  p = p.substr(0, p.find_first_of("?#"));
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  std::string_view name = p.substr(p.rfind('/') + 1);
  if (name.empty() || name == "." || name == "..") return "model";
  return std::string(name);
}

std::unique_ptr<StorageProvider> MakeHttpProvider(const FetchOptions& options) {
  return std::make_unique<HttpProvider>(options);
}

}  // namespace ferry::storage
