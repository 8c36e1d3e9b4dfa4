// S3Config: the S3 connection settings, resolved the way KServe resolves them.
//
// KServe turns an S3 Secret (listed by the predictor's ServiceAccount) into
// environment variables for the storage-initializer container. Ferry accepts
// both ends of that pipeline: ResolveS3ConfigFromEnv() reads the container
// environment (S3_ENDPOINT, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...), and
// ResolveS3ConfigFromSecret() reads the Secret itself (annotations
// serving.kserve.io/s3-*, data keys AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY),
// given as plain structs so no Kubernetes client is needed.
//
// Every field remembers where it came from (S3Config::Sources) so that an
// error such as "cannot reach endpoint" can say "taken from annotation
// serving.kserve.io/s3-endpoint on Secret `s3creds`". Plain values, no
// threads, no ownership subtleties.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ferry::storage {

struct S3Config {
  std::string endpoint;  // host[:port], no scheme; empty = AWS (s3.<region>.amazonaws.com)
  bool use_https = true;
  bool verify_ssl = true;
  std::string region = "us-east-1";
  bool anonymous = false;       // send unsigned requests
  bool virtual_bucket = false;  // bucket.endpoint/key instead of endpoint/bucket/key
  std::string ca_bundle;        // PEM file path; empty = system store
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // temporary credentials (AWS_SESSION_TOKEN, STS)

  // EKS IRSA / web identity: when no keys are set, the storage initializer
  // trades the token file for temporary keys at STS (sts.h) before listing.
  struct WebIdentity {
    std::string token_file;    // AWS_WEB_IDENTITY_TOKEN_FILE
    std::string role_arn;      // AWS_ROLE_ARN
    std::string session_name;  // AWS_ROLE_SESSION_NAME (empty: generated)
    std::string sts_url;       // https://sts.<region>.amazonaws.com or the override
    std::string sts_url_source;
    bool configured() const { return !token_file.empty() && !role_arn.empty(); }
  } web_identity;

  // Human-readable origin of each setting, e.g. "environment variable S3_ENDPOINT"
  // or "annotation serving.kserve.io/s3-endpoint on Secret `s3creds`".
  struct Sources {
    std::string endpoint = "default (AWS S3)";
    std::string use_https = "default";
    std::string verify_ssl = "default";
    std::string region = "default";
    std::string anonymous = "default";
    std::string virtual_bucket = "default";
    std::string ca_bundle = "default";
    std::string credentials = "nowhere (no credentials were set)";
  } source;

  // Names used in "check Secret `X` listed by ServiceAccount `Y`" hints; may be empty.
  std::string secret_name;
  std::string service_account;

  bool has_credentials() const { return !access_key.empty() && !secret_key.empty(); }
  // Keys will come from STS (web identity configured, no keys, not anonymous).
  bool needs_web_identity() const {
    return !anonymous && !has_credentials() && web_identity.configured();
  }
  // "http://host:port" or the AWS default for the region.
  std::string EndpointUrl() const;
  // endpoint host[:port] (the AWS default host when endpoint is empty).
  std::string EndpointHost() const;
  // One-line hint naming the Secret / ServiceAccount / env vars to fix credentials.
  std::string CredentialsHint() const;
};

// Looks up an environment variable; returns nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup ProcessEnv();

// Reads KServe's storage-initializer environment the way its initializer
// (boto3) does: S3_ENDPOINT / AWS_ENDPOINT_URL, S3_USE_HTTPS, S3_VERIFY_SSL,
// AWS_DEFAULT_REGION / AWS_REGION, awsAnonymousCredential,
// S3_USER_VIRTUAL_BUCKET, the keys AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
// with AWS_SESSION_TOKEN, web identity (AWS_WEB_IDENTITY_TOKEN_FILE +
// AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME, AWS_STS_REGIONAL_ENDPOINTS,
// AWS_ENDPOINT_URL_STS; used only without keys), the storage spec
// (STORAGE_CONFIG JSON with STORAGE_OVERRIDE_CONFIG's keys merged over it;
// its fields win over the variables), and the CA bundle: AWS_CA_BUNDLE, else
// CA_BUNDLE_VOLUME_MOUNT_POINT/cabundle.crt when CA_BUNDLE_CONFIGMAP_NAME is
// set (a named bundle that does not exist is an error, as in KServe).
// Optional hint variables FERRY_S3_SECRET_NAME / FERRY_SERVICE_ACCOUNT name
// the Secret and ServiceAccount for error messages. Fails on unparsable
// values.
StatusOr<S3Config> ResolveS3ConfigFromEnv(const EnvLookup& env);

// The parts of a Kubernetes Secret (and its ServiceAccount) that KServe reads.
// `data` holds already-decoded values (base64 `data` decoded by the caller, or
// `stringData` as is).
struct SecretInfo {
  std::string name;
  std::string service_account;
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> data;
};

// Per setting: annotation serving.kserve.io/s3-X > data key s3-X > `defaults`.
StatusOr<S3Config> ResolveS3ConfigFromSecret(const SecretInfo& secret,
                                             const S3Config& defaults = S3Config());

// Splits "https://host:port/" into use_https + host:port. Exposed for tests.
struct ParsedEndpoint {
  std::optional<bool> https;  // set when the string carried a scheme
  std::string host;           // host[:port]
};
StatusOr<ParsedEndpoint> ParseEndpoint(std::string_view value, std::string_view source);

// "1"/"true"/"yes"/"on" and "0"/"false"/"no"/"off" (case-insensitive).
StatusOr<bool> ParseBool(std::string_view value, std::string_view source);

}  // namespace ferry::storage
