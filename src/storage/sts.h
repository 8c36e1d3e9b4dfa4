// Web identity (EKS IRSA and the like): trades the projected ServiceAccount
// token in AWS_WEB_IDENTITY_TOKEN_FILE for temporary S3 keys with STS's
// AssumeRoleWithWebIdentity, as botocore's credential chain does for KServe's
// own initializer when no static keys are set.
//
// Called by the storage initializer on the main thread before the first S3
// listing; one unsigned HTTPS POST (retried like any storage request) to
// S3Config::web_identity.sts_url. No state; the returned keys are not
// refreshed (they last the role's session duration, 1 hour by default).
#pragma once

#include "common/status.h"
#include "storage/provider.h"
#include "storage/s3_xml.h"

namespace ferry::storage {

// The temporary credentials for options.s3.web_identity. Errors name the
// role, the token file, the STS endpoint and where it came from, and STS's
// error code; they never contain the token or keys.
StatusOr<StsCredentials> AssumeRoleWithWebIdentity(const FetchOptions& options);

// Fills options->s3's keys and session token from STS when it has no keys
// and web identity is configured (S3Config::needs_web_identity); else no-op.
Status ResolveWebIdentity(FetchOptions* options);

}  // namespace ferry::storage
