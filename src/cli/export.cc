#include "cli/export.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <set>
#include <string_view>

#include "cli/printers.h"
#include "cli/session.h"

namespace ferry::cli {
namespace {

using nlohmann::json;

constexpr char kInferenceService[] = "InferenceService";
constexpr char kSecret[] = "Secret";
constexpr char kServiceAccount[] = "ServiceAccount";
constexpr char kNamespace[] = "Namespace";
constexpr char kProfile[] = "Profile";
constexpr char kAuthorizationPolicy[] = "AuthorizationPolicy";
constexpr char kRequestAuthentication[] = "RequestAuthentication";

// Namespaces a Kubeflow cluster has already: never exported as objects.
constexpr std::string_view kSystemNamespaces[] = {
    "default",      "kube-system",     "kube-public", "kube-node-lease",
    "istio-system", "knative-serving", "kubeflow"};
// ServiceAccounts Kubernetes or Kubeflow's profile controller create.
constexpr std::string_view kDefaultServiceAccounts[] = {"default", "default-editor",
                                                        "default-viewer"};
// Never exported: Ferry's own per-profile objects (no Kubeflow equivalent),
// and m2m-token-issuer, which holds this `ferry up`'s ServiceAccount-token
// issuer and keys (a cluster has its own).
constexpr std::string_view kFerryOwnPolicies[] = {
    "ferry-serviceaccount-jwt", "ferry-allow-namespace-serviceaccounts", "m2m-token-issuer"};

// Constant lists rather than std::sets: nothing built before main in every role of the binary.
template <size_t N>
bool Listed(const std::string_view (&list)[N], std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

std::string Str(const json& obj, std::initializer_list<const char*> path) {
  const json* cur = &obj;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) return "";
    cur = &(*cur)[key];
  }
  return cur->is_string() ? cur->get<std::string>() : "";
}

std::string Ns(const json& obj) { return Str(obj, {"metadata", "namespace"}); }
std::string Name(const json& obj) { return Str(obj, {"metadata", "name"}); }
std::string Key(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + "/" + ns + "/" + name;
}

const ExportKind& KindOf(const std::string& kind) {
  for (const auto& k : ExportKinds()) {
    if (k.kind == kind) return k;
  }
  return ExportKinds().front();
}

// What a user would have written: the kind's apiVersion, name/namespace/
// labels/annotations, and every top-level field but status. Server-set
// metadata (uid, resourceVersion, generation, timestamps, managedFields,
// finalizers, ownerReferences) and kubectl's bookkeeping go.
json Clean(const json& obj, const std::string& kind) {
  const ExportKind& k = KindOf(kind);
  json out = {{"apiVersion", k.api_version}, {"kind", kind}};
  json meta = {{"name", Name(obj)}};
  if (k.namespaced) meta["namespace"] = Ns(obj);
  const json& m = obj.value("metadata", json::object());
  if (m.contains("labels") && m["labels"].is_object()) {
    json labels = m["labels"];
    labels.erase("kubernetes.io/metadata.name");
    if (!labels.empty()) meta["labels"] = labels;
  }
  if (m.contains("annotations") && m["annotations"].is_object()) {
    json ann = m["annotations"];
    ann.erase("kubectl.kubernetes.io/last-applied-configuration");
    if (!ann.empty()) meta["annotations"] = ann;
  }
  out["metadata"] = meta;
  for (auto& [key, value] : obj.items()) {
    if (key != "apiVersion" && key != "kind" && key != "metadata" && key != "status") {
      out[key] = value;
    }
  }
  return out;
}

bool IsLocalUri(const std::string& uri) {
  if (uri.rfind("file://", 0) == 0) return true;
  return uri.find("://") == std::string::npos;
}

std::string LocalPath(const std::string& uri) {
  return uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool IsLoopbackEndpoint(const std::string& endpoint) {
  std::string host =
      endpoint.substr(endpoint.find("://") == std::string::npos ? 0 : endpoint.find("://") + 3);
  return host.rfind("127.", 0) == 0 || host.rfind("localhost", 0) == 0 ||
         host.rfind("[::1]", 0) == 0 || host.rfind("0.0.0.0", 0) == 0;
}

bool IsS3Secret(const json& secret) {
  for (const char* field : {"data", "stringData"}) {
    const json& d = secret.value(field, json::object());
    if (d.contains("AWS_SECRET_ACCESS_KEY") || d.contains("awsSecretAccessKey")) return true;
  }
  return false;
}

class Builder {
 public:
  Builder(const ObjectsByKind& objects, const ExportOptions& options)
      : objects_(objects), options_(options) {
    for (const json& d : options.defaults) {
      defaults_[Key(d.value("kind", ""), Ns(d), Name(d))] = &d;
    }
  }

  StatusOr<ExportResult> Build() {
    for (const json& isvc : List(kInferenceService)) {
      if (InScope(Ns(isvc))) AddInferenceService(isvc);
    }
    for (const json& p : List(kProfile)) {
      if (InScope(Name(p))) {
        Add(kProfile, Clean(p, kProfile));
        profiles_.insert(Name(p));
      }
    }
    for (const char* kind : {kAuthorizationPolicy, kRequestAuthentication}) {
      for (const json& obj : List(kind)) {
        if (InScope(Ns(obj))) AddPolicy(kind, obj);
      }
    }
    AddNamespaces();
    Sort();
    return std::move(result_);
  }

 private:
  const std::vector<json>& List(const std::string& kind) const {
    static const std::vector<json> kNone;
    auto it = objects_.find(kind);
    return it == objects_.end() ? kNone : it->second;
  }

  const json* Find(const std::string& kind, const std::string& ns, const std::string& name) const {
    for (const json& obj : List(kind)) {
      if (Name(obj) == name && (ns.empty() || Ns(obj) == ns)) return &obj;
    }
    return nullptr;
  }

  bool InScope(const std::string& ns) const {
    return options_.name_space.empty() || ns == options_.name_space;
  }

  void Add(const std::string& kind, json obj) {
    std::string key = Key(kind, Ns(obj), Name(obj));
    if (!added_.insert(key).second) return;
    if (KindOf(kind).namespaced) namespaces_.insert(Ns(obj));
    result_.objects.push_back(std::move(obj));
  }

  void Note(const std::string& line) { result_.notes.push_back(line); }

  void AddInferenceService(const json& isvc) {
    json out = Clean(isvc, kInferenceService);
    std::string ns = Ns(isvc), name = Name(isvc);
    json& predictor = out["spec"]["predictor"];
    if (!predictor.is_object()) predictor = json::object();
    if (!options_.runtime.empty() && predictor.contains("model") &&
        predictor["model"].is_object() && !predictor["model"].contains("runtime")) {
      bool grpc = predictor["model"].value("protocolVersion", "") == "grpc-v2";
      predictor["model"]["runtime"] = grpc ? options_.runtime + "-grpc" : options_.runtime;
    }
    // Every implementation (model, sklearn, xgboost, ...) may carry a storageUri.
    for (auto& [impl, spec] : predictor.items()) {
      if (spec.is_object() && spec.contains("storageUri") && spec["storageUri"].is_string()) {
        RelocateLocalModel(ns, name, predictor.contains("serviceAccountName"), spec);
      }
    }
    std::string sa = predictor.value("serviceAccountName", "default");
    std::vector<std::string> secrets;
    if (const json* account = Find(kServiceAccount, ns, sa)) {
      for (const json& ref : account->value("secrets", json::array())) {
        if (ref.is_object() && ref.contains("name")) secrets.push_back(ref["name"]);
      }
      bool has_refs = !secrets.empty() || account->contains("imagePullSecrets");
      if (!Listed(kDefaultServiceAccounts, sa) || has_refs) {
        Add(kServiceAccount, Clean(*account, kServiceAccount));
      }
    } else if (sa != "default") {
      Note("InferenceService " + ns + "/" + name + " names ServiceAccount `" + sa +
           "`, which does not exist here: create it on the cluster too");
    }
    std::string storage_secret =
        Str(isvc, {"metadata", "annotations", "serving.kserve.io/storageSecretName"});
    if (!storage_secret.empty()) secrets.push_back(storage_secret);
    if (predictor.contains("model") && predictor["model"].is_object() &&
        predictor["model"].contains("storage")) {
      secrets.push_back("storage-config");
    }
    for (const auto& s : secrets) AddSecret(ns, s, ns + "/" + name);
    Add(kInferenceService, std::move(out));
  }

  void RelocateLocalModel(const std::string& ns, const std::string& name, bool has_account,
                          json& spec) {
    std::string uri = spec["storageUri"];
    if (!IsLocalUri(uri)) return;
    std::string base =
        options_.upload_to.empty() ? "s3://YOUR-BUCKET/ferry-models" : options_.upload_to;
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string target = base + "/" + ns + "/" + name;
    std::string local = LocalPath(uri);
    std::error_code ec;
    bool dir = !std::filesystem::is_regular_file(local, ec);
    std::string command =
        dir ? "aws s3 cp --recursive " + Quote(local) + " " + Quote(target + "/")
            : "aws s3 cp " + Quote(local) + " " +
                  Quote(target + "/" + std::filesystem::path(local).filename().string());
    result_.uploads.push_back({ns + "/" + name, local, target, command});
    spec["storageUri"] = target;
    if (options_.upload_to.empty()) {
      Note("InferenceService " + ns + "/" + name + " serves a local model (" + uri +
           "): its storageUri now points at s3://YOUR-BUCKET; re-run with --upload-to "
           "s3://BUCKET/PREFIX or edit it, and upload the model with the command above");
    }
    if (!has_account) {
      Note("InferenceService " + ns + "/" + name +
           " had a local model and no ServiceAccount: give spec.predictor.serviceAccountName a "
           "ServiceAccount whose Secret can read " +
           target);
    }
  }

  void AddSecret(const std::string& ns, const std::string& name, const std::string& user) {
    const json* secret = Find(kSecret, ns, name);
    if (secret == nullptr) {
      Note("Secret " + ns + "/" + name + " (used by InferenceService " + user +
           ") does not exist here: create it on the cluster");
      return;
    }
    if (secret->value("type", "") == "kubernetes.io/service-account-token") return;
    json out = Clean(*secret, kSecret);
    if (IsS3Secret(out)) {
      const std::string kEndpoint = "serving.kserve.io/s3-endpoint";
      if (!options_.s3_endpoint.empty()) {
        out["metadata"]["annotations"][kEndpoint] = options_.s3_endpoint;
      } else {
        std::string endpoint = Str(out, {"metadata", "annotations", kEndpoint.c_str()});
        if (!endpoint.empty() && IsLoopbackEndpoint(endpoint)) {
          Note("Secret " + ns + "/" + name + " has " + kEndpoint + ": " + endpoint +
               ", a loopback address the cluster cannot reach: re-run with --s3-endpoint "
               "HOST:PORT (e.g. minio-service.kubeflow:9000) or edit it");
        }
      }
    }
    Add(kSecret, std::move(out));
  }

  void AddPolicy(const std::string& kind, const json& obj) {
    std::string ns = Ns(obj), name = Name(obj);
    if (Listed(kFerryOwnPolicies, name)) return;
    if (kind == kAuthorizationPolicy && name.rfind("user-", 0) == 0 &&
        name.find("-clusterrole-") != std::string::npos &&
        obj["metadata"].value("annotations", json::object()).contains("role")) {
      Note("AuthorizationPolicy " + ns + "/" + name +
           " is a Kubeflow contributor binding: add the contributor again with the Kubeflow "
           "dashboard (Manage Contributors) on the cluster");
      return;
    }
    json out = Clean(obj, kind);
    auto def = defaults_.find(Key(kind, ns, name));
    if (def != defaults_.end()) {
      if (out.value("spec", json::object()) == def->second->value("spec", json::object())) {
        return;  // Kubeflow's own, unchanged: the cluster has it already
      }
      Note(kind + " " + ns + "/" + name +
           " is one of Kubeflow's defaults and was changed here: applying it replaces the "
           "cluster's (review it first)");
    }
    Add(kind, std::move(out));
  }

  void AddNamespaces() {
    for (const auto& ns : namespaces_) {
      if (Listed(kSystemNamespaces, ns) || profiles_.count(ns)) continue;
      json out;
      if (const json* existing = Find(kNamespace, "", ns)) {
        out = Clean(*existing, kNamespace);
        out.erase("spec");
      } else {
        out = {{"apiVersion", "v1"}, {"kind", kNamespace}, {"metadata", {{"name", ns}}}};
      }
      Add(kNamespace, std::move(out));
    }
  }

  void Sort() {
    static const std::vector<std::string> kOrder = {
        kNamespace,           kProfile,         kSecret, kServiceAccount, kRequestAuthentication,
        kAuthorizationPolicy, kInferenceService};
    auto rank = [&](const json& o) {
      return std::find(kOrder.begin(), kOrder.end(), o.value("kind", "")) - kOrder.begin();
    };
    std::stable_sort(result_.objects.begin(), result_.objects.end(),
                     [&](const json& a, const json& b) {
                       if (rank(a) != rank(b)) return rank(a) < rank(b);
                       if (Ns(a) != Ns(b)) return Ns(a) < Ns(b);
                       return Name(a) < Name(b);
                     });
  }

  const ObjectsByKind& objects_;
  const ExportOptions& options_;
  std::map<std::string, const json*> defaults_;
  std::set<std::string> added_;
  std::set<std::string> namespaces_;
  std::set<std::string> profiles_;
  ExportResult result_;
};

}  // namespace

std::string ExportKind::StoreResource() const {
  size_t slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "core" : api_version.substr(0, slash);
  return group + "/" + plural;
}

const std::vector<ExportKind>& ExportKinds() {
  static const std::vector<ExportKind> kKinds = {
      {"serving.kserve.io/v1beta1", kInferenceService, "inferenceservices", true},
      {"v1", kSecret, "secrets", true},
      {"v1", kServiceAccount, "serviceaccounts", true},
      {"v1", kNamespace, "namespaces", false},
      {"kubeflow.org/v1", kProfile, "profiles", false},
      {"security.istio.io/v1beta1", kAuthorizationPolicy, "authorizationpolicies", true},
      {"security.istio.io/v1beta1", kRequestAuthentication, "requestauthentications", true},
  };
  return kKinds;
}

StatusOr<ExportResult> BuildExport(const ObjectsByKind& objects, const ExportOptions& options) {
  if (!options.upload_to.empty() && options.upload_to.rfind("s3://", 0) != 0) {
    return InvalidArgumentError("--upload-to `" + options.upload_to +
                                "` is not an s3:// URI; give s3://BUCKET/PREFIX");
  }
  return Builder(objects, options).Build();
}

std::string RenderExport(const ExportResult& result, const std::string& source) {
  std::string out =
      "# Exported by `ferry export` from " + source +
      ".\n# For a KServe cluster with Ferry's runtimes (kubectl apply -k deploy/kserve; see\n"
      "# docs/kubernetes.md):  kubectl apply -f THIS_FILE\n";
  std::vector<std::string> profiles;
  for (const json& obj : result.objects) {
    if (obj.value("kind", "") == kProfile) profiles.push_back(Name(obj));
  }
  if (!profiles.empty()) {
    out +=
        "# Kubeflow's profile controller creates a Profile's namespace a moment after the\n"
        "# Profile: if the first apply reports `namespaces ... not found`, wait and apply again:\n";
    for (const auto& p : profiles) {
      out += "#   kubectl wait --for=jsonpath='{.status.phase}'=Active namespace/" + p + "\n";
    }
    out += "#   kubectl apply -f THIS_FILE\n";
  }
  if (!result.uploads.empty()) {
    out += "#\n# First put the models that were local on this machine in your bucket:\n";
    for (const auto& u : result.uploads) {
      out += "#   " + u.command + "\n#     (InferenceService " + u.isvc + ": storageUri " + u.uri +
             ")\n";
    }
  }
  if (!result.notes.empty()) {
    out += "#\n# Check before applying:\n";
    for (const auto& n : result.notes) out += "#   - " + n + "\n";
  }
  if (result.objects.empty()) out += "#\n# (nothing to export)\n";
  for (const json& obj : result.objects) out += "---\n" + ToYaml(obj);
  return out;
}

StatusOr<ObjectsByKind> ListViaApi(const CliFlags& flags) {
  ASSIGN_OR_RETURN(Session s, Session::Open(flags));
  ObjectsByKind out;
  for (const ExportKind& kind : ExportKinds()) {
    auto resource = s.discovery.ForKind(kind.api_version, kind.kind);
    if (!resource.ok()) continue;  // e.g. no Profiles without the kubeflow profile
    std::string cont;
    do {
      std::string path = resource->Path("") + "?limit=500";
      if (!cont.empty()) path += "&continue=" + PercentEncode(cont);
      ASSIGN_OR_RETURN(json list, GetJson(*s.client, path));
      for (const json& item : list.value("items", json::array())) out[kind.kind].push_back(item);
      cont = Str(list, {"metadata", "continue"});
    } while (!cont.empty());
  }
  return out;
}

}  // namespace ferry::cli
