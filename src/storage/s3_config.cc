#include "storage/s3_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace ferry::storage {
namespace {

constexpr std::string_view kAnnotationPrefix = "serving.kserve.io/";

std::string EnvSource(std::string_view name) { return "environment variable " + std::string(name); }

// Applies one endpoint string to `cfg`; a scheme in the value decides use_https.
Status ApplyEndpoint(S3Config& cfg, std::string_view value, const std::string& source) {
  ASSIGN_OR_RETURN(ParsedEndpoint ep, ParseEndpoint(value, source));
  cfg.endpoint = ep.host;
  cfg.source.endpoint = source;
  if (ep.https.has_value()) {
    cfg.use_https = *ep.https;
    cfg.source.use_https = "scheme of the endpoint in " + source;
  }
  return OkStatus();
}

// KServe's storage-spec alternative: env STORAGE_CONFIG holds the JSON of an
// entry of Secret `storage-config` (e.g. {"type":"s3","access_key_id":...})
// and STORAGE_OVERRIDE_CONFIG the InferenceService's storage.parameters,
// whose keys replace the entry's. Like KServe's initializer, a "s3" spec's
// fields then override the individual variables.
StatusOr<nlohmann::json> ParseJsonObjectEnv(const std::string& text, const std::string& name) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return InvalidArgumentError("environment variable " + name +
                                " is not a JSON object; it should hold a storage-config "
                                "Secret entry, e.g. {\"type\":\"s3\",...}");
  }
  return j;
}

Status ApplyStorageConfig(S3Config& cfg, const std::optional<std::string>& config_text,
                          const std::optional<std::string>& override_text) {
  nlohmann::json j = nlohmann::json::object();
  nlohmann::json overrides = nlohmann::json::object();
  if (config_text) {
    ASSIGN_OR_RETURN(j, ParseJsonObjectEnv(*config_text, "STORAGE_CONFIG"));
  }
  if (override_text) {
    ASSIGN_OR_RETURN(overrides, ParseJsonObjectEnv(*override_text, "STORAGE_OVERRIDE_CONFIG"));
    for (auto& [k, v] : overrides.items()) j[k] = v;
  }
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  if (str("type").value_or("") != "s3") return OkStatus();  // not for this provider
  auto origin = [&](const char* key) -> std::string {
    return overrides.contains(key)
               ? "environment variable STORAGE_OVERRIDE_CONFIG (storage.parameters)"
               : "environment variable STORAGE_CONFIG (Secret storage-config)";
  };
  auto src = [&](const char* key) { return "field " + std::string(key) + " of " + origin(key); };
  if (auto v = str("endpoint_url")) RETURN_IF_ERROR(ApplyEndpoint(cfg, *v, src("endpoint_url")));
  if (auto v = str("region")) {
    cfg.region = *v;
    cfg.source.region = src("region");
  }
  if (auto v = str("verify_ssl")) {
    ASSIGN_OR_RETURN(cfg.verify_ssl, ParseBool(*v, src("verify_ssl")));
    cfg.source.verify_ssl = src("verify_ssl");
  }
  if (auto v = str("anonymous")) {
    ASSIGN_OR_RETURN(cfg.anonymous, ParseBool(*v, src("anonymous")));
    cfg.source.anonymous = src("anonymous");
  }
  if (auto v = str("ca_bundle")) {
    cfg.ca_bundle = *v;
    cfg.source.ca_bundle = src("ca_bundle");
  }
  auto ak = str("access_key_id");
  auto sk = str("secret_access_key");
  if (ak || sk) {
    cfg.access_key = ak.value_or("");
    cfg.secret_key = sk.value_or("");
    cfg.source.credentials = "fields access_key_id / secret_access_key of " +
                             origin(ak ? "access_key_id" : "secret_access_key");
    if (cfg.secret_name.empty()) cfg.secret_name = "storage-config";
  }
  return OkStatus();
}

// botocore's STS endpoint for AssumeRoleWithWebIdentity: AWS_ENDPOINT_URL_STS,
// else the global endpoint when AWS_STS_REGIONAL_ENDPOINTS=legacy, else the
// region's (EKS sets AWS_STS_REGIONAL_ENDPOINTS=regional).
void ResolveStsUrl(S3Config& cfg, const EnvLookup& get) {
  if (auto v = get("AWS_ENDPOINT_URL_STS")) {
    std::string url(TrimWhitespace(*v));
    if (url.find("://") == std::string::npos) url = "https://" + url;
    cfg.web_identity.sts_url = url;
    cfg.web_identity.sts_url_source = EnvSource("AWS_ENDPOINT_URL_STS");
    return;
  }
  std::string region = cfg.region.empty() ? "us-east-1" : cfg.region;
  if (AsciiLower(TrimWhitespace(get("AWS_STS_REGIONAL_ENDPOINTS").value_or(""))) == "legacy") {
    cfg.web_identity.sts_url = "https://sts.amazonaws.com";
    cfg.web_identity.sts_url_source = "the global endpoint (AWS_STS_REGIONAL_ENDPOINTS=legacy)";
    return;
  }
  std::string suffix = region.rfind("cn-", 0) == 0 ? ".amazonaws.com.cn" : ".amazonaws.com";
  cfg.web_identity.sts_url = "https://sts." + region + suffix;
  cfg.web_identity.sts_url_source = "the regional endpoint of region `" + region + "` (from " +
                                    cfg.source.region + ")";
}

// KServe's CA bundle rule: an explicit AWS_CA_BUNDLE, else the mounted
// ConfigMap (CA_BUNDLE_CONFIGMAP_NAME set: CA_BUNDLE_VOLUME_MOUNT_POINT/
// cabundle.crt); only when TLS is verified; a named file must exist.
Status ResolveCaBundle(S3Config& cfg, const EnvLookup& get) {
  if (!cfg.verify_ssl) return OkStatus();
  if (cfg.ca_bundle.empty()) {
    if (auto cm = get("CA_BUNDLE_CONFIGMAP_NAME")) {
      std::string dir(
          TrimWhitespace(get("CA_BUNDLE_VOLUME_MOUNT_POINT").value_or("/etc/ssl/custom-certs")));
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      cfg.ca_bundle = dir + "/cabundle.crt";
      cfg.source.ca_bundle = "ConfigMap `" + std::string(TrimWhitespace(*cm)) +
                             "` (CA_BUNDLE_CONFIGMAP_NAME) mounted at CA_BUNDLE_VOLUME_MOUNT_POINT";
    }
  }
  if (cfg.ca_bundle.empty()) return OkStatus();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(cfg.ca_bundle, ec)) {
    return FailedPreconditionError(
        "CA bundle file `" + cfg.ca_bundle + "` (from " + cfg.source.ca_bundle +
        ") does not exist; mount the ConfigMap holding cabundle.crt there (inferenceservice-config "
        "storageInitializer.caBundleConfigMapName), fix the path, or unset it to use the system "
        "CAs");
  }
  return OkStatus();
}

}  // namespace

StatusOr<bool> ParseBool(std::string_view value, std::string_view source) {
  std::string v = AsciiLower(TrimWhitespace(value));
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) return false;
  return InvalidArgumentError("value `" + std::string(value) + "` of " + std::string(source) +
                              " is not a boolean; use \"1\"/\"true\" or \"0\"/\"false\"");
}

StatusOr<ParsedEndpoint> ParseEndpoint(std::string_view value, std::string_view source) {
  std::string v(TrimWhitespace(value));
  ParsedEndpoint out;
  std::string lower = AsciiLower(v);
  if (lower.rfind("https://", 0) == 0) {
    out.https = true;
    v = v.substr(8);
  } else if (lower.rfind("http://", 0) == 0) {
    out.https = false;
    v = v.substr(7);
  } else if (v.find("://") != std::string::npos) {
    return InvalidArgumentError("S3 endpoint `" + std::string(value) + "` from " +
                                std::string(source) +
                                " has an unsupported scheme; use host:port, http://host:port or "
                                "https://host:port");
  }
  while (!v.empty() && v.back() == '/') v.pop_back();
  if (v.empty() || v.find('/') != std::string::npos) {
    return InvalidArgumentError("S3 endpoint `" + std::string(value) + "` from " +
                                std::string(source) +
                                " is not host[:port]; write e.g. minio-service.kubeflow:9000");
  }
  out.host = v;
  return out;
}

std::string S3Config::EndpointHost() const {
  if (!endpoint.empty()) return endpoint;
  if (region.empty() || region == "us-east-1") return "s3.amazonaws.com";
  return "s3." + region + ".amazonaws.com";
}

std::string S3Config::EndpointUrl() const {
  return std::string(use_https ? "https://" : "http://") + EndpointHost();
}

std::string S3Config::CredentialsHint() const {
  std::string hint;
  if (!secret_name.empty()) {
    hint = "check Secret `" + secret_name + "`";
    if (!service_account.empty()) hint += " listed by ServiceAccount `" + service_account + "`";
    hint += " (keys AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)";
  } else if (!service_account.empty()) {
    hint = "check the S3 Secret listed by ServiceAccount `" + service_account +
           "` (keys AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)";
  } else {
    hint =
        "check the S3 Secret listed under the predictor's ServiceAccount (KServe injects its "
        "keys AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY as environment variables)";
  }
  return hint + "; credentials came from " + source.credentials;
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

StatusOr<S3Config> ResolveS3ConfigFromEnv(const EnvLookup& env) {
  S3Config cfg;
  auto get = [&](std::string_view name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && TrimWhitespace(*v).empty()) return std::nullopt;
    return v;
  };
  if (auto v = get("S3_USE_HTTPS")) {
    ASSIGN_OR_RETURN(cfg.use_https, ParseBool(*v, EnvSource("S3_USE_HTTPS")));
    cfg.source.use_https = EnvSource("S3_USE_HTTPS");
  }
  // AWS_ENDPOINT_URL carries the scheme KServe derived; it wins over S3_ENDPOINT.
  if (auto v = get("AWS_ENDPOINT_URL")) {
    RETURN_IF_ERROR(ApplyEndpoint(cfg, *v, EnvSource("AWS_ENDPOINT_URL")));
  } else if (auto v = get("S3_ENDPOINT")) {
    RETURN_IF_ERROR(ApplyEndpoint(cfg, *v, EnvSource("S3_ENDPOINT")));
  }
  if (auto v = get("S3_VERIFY_SSL")) {
    ASSIGN_OR_RETURN(cfg.verify_ssl, ParseBool(*v, EnvSource("S3_VERIFY_SSL")));
    cfg.source.verify_ssl = EnvSource("S3_VERIFY_SSL");
  }
  for (std::string_view name : {"AWS_DEFAULT_REGION", "AWS_REGION"}) {
    if (auto v = get(name)) {
      cfg.region = TrimWhitespace(*v);
      cfg.source.region = EnvSource(name);
      break;
    }
  }
  if (auto v = get("awsAnonymousCredential")) {
    ASSIGN_OR_RETURN(cfg.anonymous, ParseBool(*v, EnvSource("awsAnonymousCredential")));
    cfg.source.anonymous = EnvSource("awsAnonymousCredential");
  }
  if (auto v = get("S3_USER_VIRTUAL_BUCKET")) {
    ASSIGN_OR_RETURN(cfg.virtual_bucket, ParseBool(*v, EnvSource("S3_USER_VIRTUAL_BUCKET")));
    cfg.source.virtual_bucket = EnvSource("S3_USER_VIRTUAL_BUCKET");
  }
  if (auto v = get("AWS_CA_BUNDLE")) {
    cfg.ca_bundle = TrimWhitespace(*v);
    cfg.source.ca_bundle = EnvSource("AWS_CA_BUNDLE");
  }
  auto ak = get("AWS_ACCESS_KEY_ID");
  auto sk = get("AWS_SECRET_ACCESS_KEY");
  if (ak) cfg.access_key = TrimWhitespace(*ak);
  if (sk) cfg.secret_key = TrimWhitespace(*sk);
  if (ak || sk) {
    cfg.source.credentials = "environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY";
  }
  // boto3 reads the token next to the keys (AWS_SECURITY_TOKEN is its old name).
  for (std::string_view name : {"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}) {
    if (auto v = get(name)) {
      cfg.session_token = TrimWhitespace(*v);
      break;
    }
  }
  if (auto v = get("FERRY_S3_SECRET_NAME")) cfg.secret_name = TrimWhitespace(*v);
  if (auto v = get("FERRY_SERVICE_ACCOUNT")) cfg.service_account = TrimWhitespace(*v);
  auto storage_config = get("STORAGE_CONFIG");
  auto storage_override = get("STORAGE_OVERRIDE_CONFIG");
  if (storage_config || storage_override) {
    RETURN_IF_ERROR(ApplyStorageConfig(cfg, storage_config, storage_override));
  }
  if (auto v = get("AWS_WEB_IDENTITY_TOKEN_FILE")) cfg.web_identity.token_file = TrimWhitespace(*v);
  if (auto v = get("AWS_ROLE_ARN")) cfg.web_identity.role_arn = TrimWhitespace(*v);
  if (auto v = get("AWS_ROLE_SESSION_NAME")) cfg.web_identity.session_name = TrimWhitespace(*v);
  if (cfg.web_identity.configured()) {
    ResolveStsUrl(cfg, get);
    if (!cfg.has_credentials() && cfg.access_key.empty() && cfg.secret_key.empty()) {
      cfg.source.credentials = "web identity: role " + cfg.web_identity.role_arn +
                               " assumed with the token in " + cfg.web_identity.token_file +
                               " (AWS_ROLE_ARN / AWS_WEB_IDENTITY_TOKEN_FILE)";
    }
  }
  RETURN_IF_ERROR(ResolveCaBundle(cfg, get));
  return cfg;
}

StatusOr<S3Config> ResolveS3ConfigFromSecret(const SecretInfo& secret, const S3Config& defaults) {
  S3Config cfg = defaults;
  cfg.secret_name = secret.name;
  cfg.service_account = secret.service_account;
  // Returns the value and a description of where it was found.
  auto lookup = [&](std::string_view key) -> std::optional<std::pair<std::string, std::string>> {
    std::string full = std::string(kAnnotationPrefix) + std::string(key);
    if (auto it = secret.annotations.find(full); it != secret.annotations.end()) {
      return std::make_pair(it->second, "annotation " + full + " on Secret `" + secret.name + "`");
    }
    if (auto it = secret.data.find(std::string(key)); it != secret.data.end()) {
      return std::make_pair(it->second,
                            "data key " + std::string(key) + " of Secret `" + secret.name + "`");
    }
    return std::nullopt;
  };
  if (auto v = lookup("s3-usehttps")) {
    ASSIGN_OR_RETURN(cfg.use_https, ParseBool(v->first, v->second));
    cfg.source.use_https = v->second;
  }
  if (auto v = lookup("s3-endpoint")) RETURN_IF_ERROR(ApplyEndpoint(cfg, v->first, v->second));
  if (auto v = lookup("s3-verifyssl")) {
    ASSIGN_OR_RETURN(cfg.verify_ssl, ParseBool(v->first, v->second));
    cfg.source.verify_ssl = v->second;
  }
  if (auto v = lookup("s3-region")) {
    cfg.region = TrimWhitespace(v->first);
    cfg.source.region = v->second;
  }
  if (auto v = lookup("s3-useanoncredential")) {
    ASSIGN_OR_RETURN(cfg.anonymous, ParseBool(v->first, v->second));
    cfg.source.anonymous = v->second;
  }
  if (auto v = lookup("s3-usevirtualbucket")) {
    ASSIGN_OR_RETURN(cfg.virtual_bucket, ParseBool(v->first, v->second));
    cfg.source.virtual_bucket = v->second;
  }
  if (auto v = lookup("s3-cabundle")) {
    cfg.ca_bundle = TrimWhitespace(v->first);
    cfg.source.ca_bundle = v->second;
  }
  auto data = [&](std::string_view a, std::string_view b) -> std::optional<std::string> {
    for (std::string_view k : {a, b}) {
      if (auto it = secret.data.find(std::string(k)); it != secret.data.end()) return it->second;
    }
    return std::nullopt;
  };
  auto ak = data("AWS_ACCESS_KEY_ID", "awsAccessKeyID");
  auto sk = data("AWS_SECRET_ACCESS_KEY", "awsSecretAccessKey");
  if (ak || sk) {
    cfg.access_key = ak ? TrimWhitespace(*ak) : "";
    cfg.secret_key = sk ? TrimWhitespace(*sk) : "";
    cfg.source.credentials =
        "data keys AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of Secret `" + secret.name + "`";
  }
  return cfg;
}

}  // namespace ferry::storage
