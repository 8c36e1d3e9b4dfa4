// `ferry storage-initializer SRC DEST [SRC DEST ...]`: KServe's
// storage-initializer container contract (same positional arguments, same
// environment: S3_ENDPOINT, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...), so
// Ferry's image can replace kserve/storage-initializer as the init container.
//
// Called by src/main on the main thread. Returns the process exit code:
// 0 only when every DEST holds its complete model, 1 on any failure (the
// error, naming URI, endpoint, setting origin and fix, goes to `err`), 2 on
// bad usage. Progress lines and "Model downloaded in N seconds" go to `out`.
//
// Credentials and settings: see ResolveS3ConfigFromEnv (s3_config.h); web
// identity is traded for keys at STS before an s3:// download (sts.h);
// http(s) downloads send the headers of `<host>-headers` (a JSON object).
// Extra environment (all optional): S3_MAX_FILE_CONCURRENCY (default 4, 2 when
// the cgroup CPU limit is one CPU or less),
// S3_CONNECT_TIMEOUT (s, 15), S3_READ_TIMEOUT (s, 30), S3_MAX_ATTEMPTS (5),
// FERRY_STORAGE_CACHE (content cache directory), FERRY_PVC_ROOT (/mnt/pvc),
// FERRY_S3_SECRET_NAME / FERRY_SERVICE_ACCOUNT (named in credential errors).
//
// Local sources are unrestricted here (the operator chose the pod's paths) but
// still never followed out of their root through a symlink; files are created
// 0644 (directories 0755), like KServe's initializer, because the pod's model
// server container may run as another user.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/provider.h"
#include "storage/s3_config.h"

namespace ferry::storage {

// `args` excludes the program and sub-command names: {SRC, DEST, ...}.
int RunStorageInitializer(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);
int RunStorageInitializer(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err, const EnvLookup& env);

// FetchOptions from the environment described above (S3Config included);
// `cpus` (0 = detect from the cgroup) sizes the default concurrency.
StatusOr<FetchOptions> FetchOptionsFromEnv(const EnvLookup& env, int cpus = 0);

// Parallel transfers by default for `cpus` usable CPUs.
int DefaultConcurrency(int cpus);

}  // namespace ferry::storage
