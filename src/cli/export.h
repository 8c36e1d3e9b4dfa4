// `ferry export`: what a KServe cluster needs to run what a `ferry up` runs —
// the InferenceServices (optionally with `runtime:` set), the Secrets and
// ServiceAccounts they use, the Profiles, and the AuthorizationPolicies and
// RequestAuthentications the user created — as YAML for `kubectl apply -f`.
// Kubeflow's defaults (istio-system policies, ns-owner-access-istio,
// default-editor/-viewer, KFAM bindings) and Ferry's own objects are left out
// unless the user changed them; server-set metadata and status are stripped.
// Models with local (file:// or path) storage URIs get an s3:// URI under
// --upload-to and the `aws s3 cp` command that puts them there.
//
// Who calls it: src/main/export_command.cc, which lists the objects (from the
// API of a running `ferry up`, or from its data directory's store when it is
// not running) and passes the defaults to compare with. BuildExport and
// RenderExport are pure functions (any thread).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "common/status.h"

namespace ferry::cli {

// One kind the export reads, as the API names it.
struct ExportKind {
  std::string api_version;  // "serving.kserve.io/v1beta1"
  std::string kind;         // "InferenceService"
  std::string plural;       // "inferenceservices"
  bool namespaced = true;
  std::string StoreResource() const;  // "serving.kserve.io/inferenceservices", "core/secrets"
};
const std::vector<ExportKind>& ExportKinds();

// Every stored object of each ExportKinds() kind, keyed by kind.
using ObjectsByKind = std::map<std::string, std::vector<nlohmann::json>>;

struct ExportOptions {
  std::string name_space;   // only this namespace's objects; empty = all
  std::string runtime;      // set spec.predictor.model.runtime (grpc-v2 models: RUNTIME-grpc)
  std::string upload_to;    // s3://bucket/prefix for models stored locally
  std::string s3_endpoint;  // replaces serving.kserve.io/s3-endpoint on exported S3 Secrets
  // Objects Kubeflow (or Ferry) creates by itself: an object with the same
  // kind, namespace and name is left out when its spec equals this one, and
  // exported with a note when the user changed it.
  std::vector<nlohmann::json> defaults;
};

struct ExportResult {
  std::vector<nlohmann::json> objects;  // in apply order
  struct Upload {
    std::string isvc;     // NS/NAME
    std::string local;    // the path on this machine
    std::string uri;      // the s3:// storageUri to use
    std::string command;  // aws s3 cp ...
  };
  std::vector<Upload> uploads;
  std::vector<std::string> notes;  // one line each, for the YAML header
};

StatusOr<ExportResult> BuildExport(const ObjectsByKind& objects, const ExportOptions& options);

// The YAML file: a comment header (source, uploads, notes), then one document
// per object. `source` says where the objects came from.
std::string RenderExport(const ExportResult& result, const std::string& source);

// Lists ExportKinds() through the API of the `ferry up` `flags` point at.
StatusOr<ObjectsByKind> ListViaApi(const CliFlags& flags);

}  // namespace ferry::cli
