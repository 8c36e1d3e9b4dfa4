#include "controller/credentials.h"

#include <nlohmann/json.hpp>

#include "common/base64.h"

namespace ferry::controller {
namespace {

storage::SecretInfo ToSecretInfo(const nlohmann::json& secret, const std::string& sa) {
  storage::SecretInfo info;
  info.name = secret["metadata"].value("name", "");
  info.service_account = sa;
  if (secret["metadata"].contains("annotations") && secret["metadata"]["annotations"].is_object()) {
    for (auto& [k, v] : secret["metadata"]["annotations"].items()) {
      if (v.is_string()) info.annotations[k] = v.get<std::string>();
    }
  }
  if (secret.contains("data") && secret["data"].is_object()) {
    for (auto& [k, v] : secret["data"].items()) {
      if (!v.is_string()) continue;
      std::string decoded;
      if (Base64Decode(v.get<std::string>(), &decoded)) info.data[k] = std::move(decoded);
    }
  }
  if (secret.contains("stringData") && secret["stringData"].is_object()) {
    for (auto& [k, v] : secret["stringData"].items()) {
      if (v.is_string()) info.data[k] = v.get<std::string>();
    }
  }
  return info;
}

bool IsS3Secret(const storage::SecretInfo& s) {
  return s.data.count("AWS_SECRET_ACCESS_KEY") > 0 || s.data.count("awsSecretAccessKey") > 0;
}

}  // namespace

StatusOr<ResolvedCredentials> ResolveCredentials(const api::ResourceClient& client,
                                                 const std::string& ns,
                                                 const PredictorSpec& spec) {
  ResolvedCredentials out;
  std::vector<std::string> secret_names;
  std::string fp;
  if (!spec.storage_secret.empty()) {
    secret_names.push_back(spec.storage_secret);
  } else {
    auto sa = client.Get("v1", "ServiceAccount", ns, spec.service_account);
    if (!sa.ok()) {
      // Kubernetes gives every namespace a `default` ServiceAccount without
      // secrets; only a named, missing one is worth a hint.
      if (spec.service_account != "default") {
        out.note = "ServiceAccount `" + spec.service_account + "` not found in namespace `" + ns +
                   "` (spec.predictor.serviceAccountName); create it with the Secret holding "
                   "the S3 credentials under `secrets:`";
      }
      out.s3.service_account = spec.service_account;
      out.fingerprint = "no-sa";
      return out;
    }
    fp += (*sa)["metadata"].value("resourceVersion", "");
    if (sa->contains("secrets") && (*sa)["secrets"].is_array()) {
      for (const auto& ref : (*sa)["secrets"]) {
        if (ref.is_object() && ref.contains("name")) secret_names.push_back(ref["name"]);
      }
    }
  }
  for (const auto& name : secret_names) {
    auto secret = client.Get("v1", "Secret", ns, name);
    if (!secret.ok()) {
      out.note += (out.note.empty() ? "" : "; ") + std::string("Secret `") + name +
                  "` listed by ServiceAccount `" + spec.service_account + "` does not exist";
      fp += "|missing:" + name;
      continue;
    }
    fp += "|" + name + ":" + (*secret)["metadata"].value("resourceVersion", "");
    storage::SecretInfo info = ToSecretInfo(*secret, spec.service_account);
    if (!IsS3Secret(info)) continue;
    ASSIGN_OR_RETURN(out.s3, storage::ResolveS3ConfigFromSecret(info));
    out.fingerprint = fp;
    return out;
  }
  if (out.note.empty()) {
    out.note = "ServiceAccount `" + spec.service_account + "` lists no Secret with "
               "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";
  }
  out.s3.service_account = spec.service_account;
  out.fingerprint = fp.empty() ? "none" : fp;
  return out;
}

}  // namespace ferry::controller
