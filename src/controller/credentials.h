// Resolves the S3 settings for an InferenceService the way KServe's webhook
// does: the predictor's ServiceAccount → the Secrets it lists (or the Secret
// named by serving.kserve.io/storageSecretName) → the first Secret holding
// AWS_SECRET_ACCESS_KEY → annotations/data → storage::S3Config.
#pragma once

#include <string>

#include "api/resource_client.h"
#include "controller/isvc_spec.h"
#include "storage/s3_config.h"

namespace ferry::controller {

struct ResolvedCredentials {
  storage::S3Config s3;
  std::string fingerprint;  // changes whenever the inputs change (retry trigger)
  std::string note;         // e.g. "ServiceAccount `sa` not found" (shown in status)
};

StatusOr<ResolvedCredentials> ResolveCredentials(const api::ResourceClient& client,
                                                 const std::string& ns, const PredictorSpec& spec);

}  // namespace ferry::controller
