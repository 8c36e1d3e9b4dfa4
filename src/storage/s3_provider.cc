#include "storage/s3_provider.h"

#include <map>
#include <set>

#include "storage/s3_path.h"
#include "storage/s3_xml.h"
#include "storage/transfer.h"

namespace ferry::storage {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Where(const S3Config& cfg) {
  return "endpoint `" + cfg.EndpointHost() + "` (taken from " + cfg.source.endpoint + ")";
}

Status MapTransport(const S3Config& cfg, std::string_view what, const HttpResponse& resp) {
  std::string head = std::string(what) + ": ";
  std::string ep = cfg.EndpointHost();
  switch (resp.failure) {
    case TransportFailure::kConnect:
      return UnavailableError(head + "cannot reach endpoint `" + ep + "` taken from " +
                              cfg.source.endpoint + ": " + DescribeFailure(resp) +
                              "; check the host and port and that the S3 service is running");
    case TransportFailure::kResolve:
      return UnavailableError(head + "cannot resolve endpoint `" + ep + "` taken from " +
                              cfg.source.endpoint + ": " + DescribeFailure(resp) +
                              "; check the spelling and the namespace (e.g. "
                              "minio-service.kubeflow:9000)");
    case TransportFailure::kTls:
      return UnavailableError(
          head + "TLS with " + Where(cfg) + " failed: " + DescribeFailure(resp) +
          "; if the endpoint speaks plain HTTP set annotation serving.kserve.io/s3-usehttps: \"0\" "
          "(env S3_USE_HTTPS=0; https came from " +
          cfg.source.use_https +
          "), for a private CA set serving.kserve.io/s3-cabundle (env AWS_CA_BUNDLE), or disable "
          "verification with serving.kserve.io/s3-verifyssl: \"0\"");
    case TransportFailure::kTimeout:
      return DeadlineExceededError(head + Where(cfg) + " " + DescribeFailure(resp) +
                                   "; check network policies and the endpoint's health, or raise "
                                   "S3_CONNECT_TIMEOUT / S3_READ_TIMEOUT");
    default:
      return UnavailableError(head + "request to " + Where(cfg) + " failed: " +
                              DescribeFailure(resp) + "; retry, and check the endpoint's health");
  }
}

}  // namespace

std::string S3ObjectUrl(const S3Config& cfg, std::string_view bucket, std::string_view key) {
  std::string scheme = cfg.use_https ? "https://" : "http://";
  if (cfg.virtual_bucket) {
    return scheme + std::string(bucket) + "." + cfg.EndpointHost() + "/" + UriEncode(key, true);
  }
  return scheme + cfg.EndpointHost() + "/" + std::string(bucket) + "/" + UriEncode(key, true);
}

std::string S3ListUrl(const S3Config& cfg, std::string_view bucket, std::string_view query) {
  std::string scheme = cfg.use_https ? "https://" : "http://";
  if (cfg.virtual_bucket) {
    return scheme + std::string(bucket) + "." + cfg.EndpointHost() + "/?" + std::string(query);
  }
  return scheme + cfg.EndpointHost() + "/" + std::string(bucket) + "?" + std::string(query);
}

Status MapS3Failure(const S3Config& cfg, std::string_view what, const HttpResponse& resp) {
  if (!resp.transport_ok()) return MapTransport(cfg, what, resp);
  S3Error e = ParseS3Error(resp.body);
  std::string head = std::string(what) + " at " + Where(cfg) + ": ";
  std::string detail = e.code.empty() ? "HTTP " + std::to_string(resp.status)
                                      : "HTTP " + std::to_string(resp.status) + " " + e.code;
  if (e.code == "SignatureDoesNotMatch") {
    return PermissionDeniedError(head + detail +
                                 ": the secret access key does not match access "
                                 "key ID `" +
                                 cfg.access_key + "`; " + cfg.CredentialsHint());
  }
  if (e.code == "InvalidAccessKeyId") {
    return UnauthenticatedError(head + detail + ": access key ID `" + cfg.access_key +
                                "` is unknown to this endpoint; " + cfg.CredentialsHint());
  }
  if (e.code == "AccessDenied" || (e.code.empty() && resp.status == 403)) {
    return PermissionDeniedError(
        head + detail + ": access denied for access key ID `" + cfg.access_key +
        "`; grant it s3:ListBucket and s3:GetObject on the bucket, or " + cfg.CredentialsHint());
  }
  if (e.code == "NoSuchBucket") {
    return NotFoundError(head + detail +
                         ": the bucket does not exist; check the bucket name in storageUri and "
                         "that the endpoint is the right S3 service");
  }
  if (e.code == "NoSuchKey" || (e.code.empty() && resp.status == 404)) {
    return NotFoundError(head + detail + ": the object is gone (deleted after listing?); retry");
  }
  if (e.code == "RequestTimeTooSkewed") {
    return FailedPreconditionError(head + detail +
                                   ": this machine's clock differs from the "
                                   "server's by more than 15 minutes; fix NTP on the node");
  }
  if (e.code == "AuthorizationHeaderMalformed" || e.code == "PermanentRedirect" ||
      e.code == "IllegalLocationConstraintException") {
    return FailedPreconditionError(head + detail + ": region `" + cfg.region + "` (from " +
                                   cfg.source.region +
                                   ") does not match the bucket's; set "
                                   "serving.kserve.io/s3-region or AWS_DEFAULT_REGION");
  }
  std::string msg = e.message.empty() ? "" : " (" + e.message + ")";
  if (resp.status >= 500) {
    return UnavailableError(head + detail + msg +
                            ": the S3 service failed even after retries; "
                            "check its health and retry");
  }
  return Status(StatusCode::kUnknown,
                head + detail + msg + "; check the endpoint and bucket settings");
}

Status CheckS3Credentials(const S3Config& cfg, std::string_view uri) {
  if (cfg.anonymous || cfg.has_credentials()) return OkStatus();
  std::string missing = cfg.access_key.empty() && cfg.secret_key.empty() ? "no S3 credentials are"
                        : cfg.access_key.empty() ? "AWS_ACCESS_KEY_ID is not"
                                                 : "AWS_SECRET_ACCESS_KEY is not";
  return UnauthenticatedError(
      std::string(uri) + ": " + missing + " set for " + Where(cfg) +
      " and anonymous access is off; " + cfg.CredentialsHint() +
      ", or use web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, EKS IRSA), or set "
      "annotation serving.kserve.io/s3-useanoncredential: \"true\" "
      "(env awsAnonymousCredential=true) for a public bucket");
}

namespace {

class S3Provider : public StorageProvider {
 public:
  explicit S3Provider(const FetchOptions& options) : options_(options) {}

  StatusOr<Manifest> List(std::string_view uri) override {
    const S3Config& cfg = options_.s3;
    ASSIGN_OR_RETURN(uri_, ParseS3Uri(uri));
    RETURN_IF_ERROR(CheckS3Credentials(cfg, uri));
    std::vector<S3Object> all;
    RETURN_IF_ERROR(ListAll(std::string(uri), all));
    Manifest m;
    m.location = std::string(uri) + " at " + Where(cfg);
    std::set<std::string> siblings;
    for (auto& obj : all) {
      if (!obj.key.empty() && obj.key.back() == '/') continue;  // folder marker
      KeyMatch match = MatchKey(uri_.prefix, obj.key);
      if (match == KeyMatch::kNone) {
        siblings.insert(obj.key.substr(0, obj.key.find('/', uri_.prefix.size())));
        continue;
      }
      ASSIGN_OR_RETURN(std::string rel, RelativePathForKey(uri_.prefix, obj.key));
      ManifestEntry e{obj.key, rel, obj.size, obj.etag, "s3://" + uri_.bucket + "/" + obj.key};
      if (match == KeyMatch::kExact) {  // the URI names one object: only that one
        m.entries = {e};
        return m;
      }
      m.entries.push_back(std::move(e));
    }
    if (m.entries.empty()) return EmptyPrefixError(siblings);
    return m;
  }

  Status Download(const Manifest& manifest, const std::string& dir,
                  ProgressTracker& progress) override {
    std::vector<RemoteFile> files;
    for (const auto& e : manifest.entries) {
      files.push_back({S3ObjectUrl(options_.s3, uri_.bucket, e.source), e.rel_path,
                       "s3://" + uri_.bucket + "/" + e.source, e.size, e.version, true});
    }
    FailureMapper mapper = [this](const RemoteFile& f, const HttpResponse& r) {
      return MapS3Failure(options_.s3, f.display, r);
    };
    return DownloadFiles(files, dir, BaseRequest(), options_, mapper, progress);
  }

 private:
  HttpRequest BaseRequest() const {
    const S3Config& cfg = options_.s3;
    HttpRequest req;
    req.headers.push_back(std::string("x-amz-content-sha256: ") + kEmptySha256);
    if (!cfg.anonymous) {
      req.sigv4_region = cfg.region.empty() ? "us-east-1" : cfg.region;
      req.access_key = cfg.access_key;
      req.secret_key = cfg.secret_key;
      // Temporary keys need their token; libcurl signs it with the other x-amz-* headers.
      if (!cfg.session_token.empty()) {
        req.headers.push_back("x-amz-security-token: " + cfg.session_token);
      }
    }
    req.verify_ssl = cfg.verify_ssl;
    req.ca_bundle = cfg.ca_bundle;
    req.connect_timeout_ms = static_cast<long>(options_.connect_timeout.count());
    req.low_speed_time_s = static_cast<long>(options_.read_timeout.count());
    return req;
  }

  Status ListAll(const std::string& uri, std::vector<S3Object>& out) {
    std::string token;
    do {
      std::map<std::string, std::string> params{{"list-type", "2"}};
      if (!uri_.prefix.empty()) params["prefix"] = ListPrefix(uri_);
      if (!token.empty()) params["continuation-token"] = token;
      if (options_.s3_list_page_size > 0) {
        params["max-keys"] = std::to_string(options_.s3_list_page_size);
      }
      HttpRequest req = BaseRequest();
      req.url = S3ListUrl(options_.s3, uri_.bucket, CanonicalQuery(params));
      HttpResponse resp = PerformWithRetry(req, options_);
      if (!resp.transport_ok() || resp.status != 200) {
        return MapS3Failure(options_.s3, "listing " + uri, resp);
      }
      auto page = ParseListObjectsV2(resp.body);
      if (!page.ok())
        return page.status().WithContext("listing " + uri + " at " + Where(options_.s3));
      for (auto& o : page->objects) out.push_back(std::move(o));
      token = page->is_truncated ? page->next_continuation_token : "";
    } while (!token.empty());
    return OkStatus();
  }

  Status EmptyPrefixError(const std::set<std::string>& siblings) const {
    std::string dir = "s3://" + uri_.bucket + "/" + uri_.prefix;
    if (!uri_.prefix.empty() && uri_.prefix.back() != '/') dir += "/";
    std::string msg = "no objects under " + dir + " at " + Where(options_.s3);
    if (!siblings.empty()) {
      msg += "; found only sibling paths such as s3://" + uri_.bucket + "/" + *siblings.begin() +
             " (Ferry matches whole path segments, so a prefix never selects a sibling model)";
    }
    return NotFoundError(msg +
                         "; check the path in storageUri (for MLflow it usually ends in "
                         "/artifacts/<model name>)");
  }

  const FetchOptions& options_;
  S3Uri uri_;
};

}  // namespace

std::unique_ptr<StorageProvider> MakeS3Provider(const FetchOptions& options) {
  return std::make_unique<S3Provider>(options);
}

}  // namespace ferry::storage
