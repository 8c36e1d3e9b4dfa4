#include "storage/s3_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
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

// KServe's storage-spec alternative: env STORAGE_CONFIG holds the JSON of
// secret `storage-config`, e.g. {"type":"s3","access_key_id":...}. Like
// KServe, its fields override the individual variables.
Status ApplyStorageConfig(S3Config& cfg, const std::string& text) {
  const std::string where = "environment variable STORAGE_CONFIG";
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return InvalidArgumentError(where +
                                " is not a JSON object; it should hold the storage-config "
                                "Secret entry, e.g. {\"type\":\"s3\",...}");
  }
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  if (auto t = str("type"); t && *t != "s3") return OkStatus();  // not for this provider
  auto src = [&](const char* key) { return "field " + std::string(key) + " of " + where; };
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
    cfg.source.credentials =
        "fields access_key_id / secret_access_key of " + where + " (Secret storage-config)";
    if (cfg.secret_name.empty()) cfg.secret_name = "storage-config";
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
  if (auto v = get("FERRY_S3_SECRET_NAME")) cfg.secret_name = TrimWhitespace(*v);
  if (auto v = get("FERRY_SERVICE_ACCOUNT")) cfg.service_account = TrimWhitespace(*v);
  if (auto v = get("STORAGE_CONFIG")) RETURN_IF_ERROR(ApplyStorageConfig(cfg, *v));
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
