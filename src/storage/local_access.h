// LocalAccess: which local paths `file://`, plain-path and `pvc://` storage
// URIs may read, and the checks that enforce it.
//
// `ferry up` is shared: whoever may create an InferenceService must not read
// what the server process can (its data directory with Secrets and users,
// other tenants' models). There (restricted == true) a file:// URI or plain
// path is readable only under `roots` (the operator's
// `--allow-local-models DIR`), pvc://CLAIM/path only under the claim's
// directory (`claims[CLAIM]` from `--pvc CLAIM=DIR`, else pvc_root/CLAIM with
// pvc_root = DATA/pvc), and nothing under `denied` (the data directory) is
// ever readable — even below an allowed root — except the claim directories
// under pvc_root through pvc://. `ferry serve` and `ferry storage-initializer`
// run in a pod whose paths the operator chose: unrestricted, pvc://NAME/path
// under pvc_root (/mnt/pvc), as KServe mounts claims.
//
// Two checks: ResolveLocalUri is lexical and touches no file, so admission
// can use it and its answer never tells whether a path outside the roots
// exists; CanonicalSource runs at fetch time on the resolved path, because a
// prefix of an allowed path may be a symlink. Errors name the URI, the
// allowed directories and the flag that adds one, never a resolved path
// outside them. Values and pure functions (CanonicalSource reads the file
// system); thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::storage {

struct LocalAccess {
  bool restricted = false;
  std::vector<std::string> roots;  // absolute, lexically normal
  std::string pvc_root = "/mnt/pvc";
  std::map<std::string, std::string> claims;  // CLAIM → directory, instead of pvc_root/CLAIM
  std::vector<std::string> denied;            // absolute, lexically normal
  // How the operator adds a root, for messages.
  std::string root_flag = "ferry up --allow-local-models DIR";
  std::string claim_flag = "ferry up --pvc CLAIM=DIR";
};

// What a local URI names, decided lexically.
struct LocalSource {
  std::string path;  // absolute, lexically normal
  std::string base;  // the allowed root or claim directory it lies in; "" = unrestricted
  bool pvc = false;
};

// file://, pvc:// and plain paths (no scheme) are local.
bool IsLocalUri(std::string_view uri);

// Maps `uri` to a path and checks it lexically: InvalidArgument for a
// malformed URI or one escaping its claim with `..`, PermissionDenied for a
// path outside the allowed roots or inside (or containing) a denied directory.
StatusOr<LocalSource> ResolveLocalUri(std::string_view uri, const LocalAccess& access);

// The canonical path of `source`, checked again after resolving symlinks:
// NotFound when nothing is there, PermissionDenied when it leads outside its
// base or into a denied directory.
StatusOr<std::string> CanonicalSource(std::string_view uri, const LocalSource& source,
                                      const LocalAccess& access);

// A Kubernetes object name (what a claim may be called).
bool IsValidClaimName(std::string_view name);

}  // namespace ferry::storage
