#include "storage/sts.h"

#include <chrono>
#include <fstream>
#include <map>

#include "storage/s3_path.h"
#include "storage/transfer.h"

namespace ferry::storage {
namespace {

constexpr size_t kMaxTokenBytes = 64 * 1024;

StatusOr<std::string> ReadToken(const S3Config::WebIdentity& wi) {
  std::ifstream in(wi.token_file, std::ios::binary);
  std::string token;
  if (in) {
    token.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (!in.good() && !in.eof()) token.clear();
  if (token.empty() || token.size() > kMaxTokenBytes) {
    return FailedPreconditionError(
        "web identity token file `" + wi.token_file +
        "` (AWS_WEB_IDENTITY_TOKEN_FILE) is missing, empty or over 64 KiB; on EKS the pod identity "
        "webhook mounts it when the predictor's ServiceAccount has annotation "
        "eks.amazonaws.com/role-arn, otherwise unset AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN "
        "and give keys instead");
  }
  return token;
}

std::string SessionName(const S3Config::WebIdentity& wi) {
  if (!wi.session_name.empty()) return wi.session_name;
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return "ferry-storage-initializer-" + std::to_string(secs);
}

std::string Where(const S3Config::WebIdentity& wi) {
  return "role " + wi.role_arn + " at STS endpoint `" + wi.sts_url + "` (" + wi.sts_url_source +
         ")";
}

}  // namespace

StatusOr<StsCredentials> AssumeRoleWithWebIdentity(const FetchOptions& options) {
  const S3Config::WebIdentity& wi = options.s3.web_identity;
  ASSIGN_OR_RETURN(std::string token, ReadToken(wi));
  std::map<std::string, std::string> form{{"Action", "AssumeRoleWithWebIdentity"},
                                          {"Version", "2011-06-15"},
                                          {"RoleArn", wi.role_arn},
                                          {"RoleSessionName", SessionName(wi)},
                                          {"WebIdentityToken", token}};
  HttpRequest req;
  req.method = "POST";
  req.url = wi.sts_url;
  if (req.url.empty() || req.url.back() != '/') req.url += "/";
  req.body = CanonicalQuery(form);
  req.headers = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                 "Accept: text/xml"};
  req.verify_ssl = true;  // S3_VERIFY_SSL is about the S3 endpoint only
  req.ca_bundle = options.s3.ca_bundle;
  req.connect_timeout_ms = static_cast<long>(options.connect_timeout.count());
  req.low_speed_time_s = static_cast<long>(options.read_timeout.count());
  HttpResponse resp = PerformWithRetry(req, options);
  std::string head = "AssumeRoleWithWebIdentity for " + Where(wi) + ": ";
  if (!resp.transport_ok()) {
    return UnavailableError(head + DescribeFailure(resp) +
                            "; check network access to STS (or set AWS_ENDPOINT_URL_STS), and "
                            "AWS_CA_BUNDLE for a private CA");
  }
  if (resp.status != 200) {
    S3Error e = ParseS3Error(resp.body);
    std::string detail = "HTTP " + std::to_string(resp.status) +
                         (e.code.empty() ? "" : " " + e.code) +
                         (e.message.empty() ? "" : " (" + e.message + ")");
    if (resp.status == 400 || resp.status == 403) {
      return PermissionDeniedError(
          head + detail + ": STS refused the token in `" + wi.token_file +
          "`; check the role's trust policy (the cluster's OIDC provider and this "
          "ServiceAccount as subject) and the eks.amazonaws.com/role-arn annotation");
    }
    return UnavailableError(head + detail + "; retry later");
  }
  auto creds = ParseAssumeRoleWithWebIdentity(resp.body);
  if (!creds.ok()) return creds.status().WithContext("AssumeRoleWithWebIdentity for " + Where(wi));
  return creds;
}

Status ResolveWebIdentity(FetchOptions* options) {
  if (!options->s3.needs_web_identity()) return OkStatus();
  ASSIGN_OR_RETURN(StsCredentials creds, AssumeRoleWithWebIdentity(*options));
  options->s3.access_key = creds.access_key;
  options->s3.secret_key = creds.secret_key;
  options->s3.session_token = creds.session_token;
  options->s3.source.credentials =
      "temporary keys from STS AssumeRoleWithWebIdentity for " + Where(options->s3.web_identity) +
      ", token file " + options->s3.web_identity.token_file + ", valid until " + creds.expiration;
  return OkStatus();
}

}  // namespace ferry::storage
