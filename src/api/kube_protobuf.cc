#include "api/kube_protobuf.h"

#include <chrono>
#include <cstdint>
#include <initializer_list>

#include "api/encoding.h"

namespace ferry::api {
namespace {

using nlohmann::json;

enum class T { kString, kBytes, kInt, kBool, kTime, kMessage, kMapString, kMapBytes, kIntOrString };

struct Message;
struct Field {
  uint32_t number;
  const char* name;
  T type;
  bool repeated = false;
  const Message* message = nullptr;
};
// Constant tables (initializer_list keeps each braced field list alive as long as the table):
// built at compile time, so the binary's other roles do not build them at every start.
struct Message {
  std::initializer_list<Field> fields;
};

// Field numbers from k8s.io/api/core/v1, authentication/v1 and apimachinery generated.proto.
constexpr Message kOwnerRef{{{1, "kind", T::kString},
                             {3, "name", T::kString},
                             {4, "uid", T::kString},
                             {5, "apiVersion", T::kString},
                             {6, "controller", T::kBool},
                             {7, "blockOwnerDeletion", T::kBool}}};
constexpr Message kObjectMeta{{{1, "name", T::kString},
                               {2, "generateName", T::kString},
                               {3, "namespace", T::kString},
                               {5, "uid", T::kString},
                               {6, "resourceVersion", T::kString},
                               {7, "generation", T::kInt},
                               {8, "creationTimestamp", T::kTime},
                               {11, "labels", T::kMapString},
                               {12, "annotations", T::kMapString},
                               {13, "ownerReferences", T::kMessage, true, &kOwnerRef},
                               {14, "finalizers", T::kString, true}}};
constexpr Message kNamespaceSpec{{{1, "finalizers", T::kString, true}}};
constexpr Message kNamespace{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                              {2, "spec", T::kMessage, false, &kNamespaceSpec}}};
constexpr Message kObjectRef{{{1, "kind", T::kString},
                              {2, "namespace", T::kString},
                              {3, "name", T::kString},
                              {4, "uid", T::kString},
                              {5, "apiVersion", T::kString},
                              {7, "fieldPath", T::kString}}};
constexpr Message kLocalRef{{{1, "name", T::kString}}};
constexpr Message kServiceAccount{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                                   {2, "secrets", T::kMessage, true, &kObjectRef},
                                   {3, "imagePullSecrets", T::kMessage, true, &kLocalRef},
                                   {4, "automountServiceAccountToken", T::kBool}}};
constexpr Message kSecret{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                           {2, "data", T::kMapBytes},
                           {3, "type", T::kString},
                           {4, "stringData", T::kMapString},
                           {5, "immutable", T::kBool}}};
constexpr Message kConfigMap{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                              {2, "data", T::kMapString},
                              {3, "binaryData", T::kMapBytes},
                              {4, "immutable", T::kBool}}};
constexpr Message kServicePort{{{1, "name", T::kString},
                                {2, "protocol", T::kString},
                                {3, "port", T::kInt},
                                {4, "targetPort", T::kIntOrString},
                                {5, "nodePort", T::kInt}}};
constexpr Message kServiceSpec{{{1, "ports", T::kMessage, true, &kServicePort},
                                {2, "selector", T::kMapString},
                                {3, "clusterIP", T::kString},
                                {4, "type", T::kString},
                                {5, "externalIPs", T::kString, true},
                                {11, "externalName", T::kString}}};
constexpr Message kService{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                            {2, "spec", T::kMessage, false, &kServiceSpec}}};
constexpr Message kTokenRequestSpec{
    {{1, "audiences", T::kString, true}, {4, "expirationSeconds", T::kInt}}};
constexpr Message kTokenRequest{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                                 {2, "spec", T::kMessage, false, &kTokenRequestSpec}}};

// rbac.authorization.k8s.io/v1 (k8s.io/api/rbac/v1/generated.proto).
constexpr Message kPolicyRule{{{1, "verbs", T::kString, true},
                               {2, "apiGroups", T::kString, true},
                               {3, "resources", T::kString, true},
                               {4, "resourceNames", T::kString, true},
                               {5, "nonResourceURLs", T::kString, true}}};
constexpr Message kSelectorRequirement{
    {{1, "key", T::kString}, {2, "operator", T::kString}, {3, "values", T::kString, true}}};
constexpr Message kLabelSelector{
    {{1, "matchLabels", T::kMapString},
     {2, "matchExpressions", T::kMessage, true, &kSelectorRequirement}}};
constexpr Message kAggregationRule{
    {{1, "clusterRoleSelectors", T::kMessage, true, &kLabelSelector}}};
constexpr Message kRole{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                         {2, "rules", T::kMessage, true, &kPolicyRule}}};
constexpr Message kClusterRole{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                                {2, "rules", T::kMessage, true, &kPolicyRule},
                                {3, "aggregationRule", T::kMessage, false, &kAggregationRule}}};
constexpr Message kSubject{{{1, "kind", T::kString},
                            {2, "apiGroup", T::kString},
                            {3, "name", T::kString},
                            {4, "namespace", T::kString}}};
constexpr Message kRoleRef{
    {{1, "apiGroup", T::kString}, {2, "kind", T::kString}, {3, "name", T::kString}}};
constexpr Message kRoleBinding{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                                {2, "subjects", T::kMessage, true, &kSubject},
                                {3, "roleRef", T::kMessage, false, &kRoleRef}}};
// authorization.k8s.io/v1 and authentication.k8s.io/v1 reviews.
constexpr Message kResourceAttributes{{{1, "namespace", T::kString},
                                       {2, "verb", T::kString},
                                       {3, "group", T::kString},
                                       {4, "version", T::kString},
                                       {5, "resource", T::kString},
                                       {6, "subresource", T::kString},
                                       {7, "name", T::kString}}};
constexpr Message kNonResourceAttributes{{{1, "path", T::kString}, {2, "verb", T::kString}}};
constexpr Message kAccessReviewSpec{
    {{1, "resourceAttributes", T::kMessage, false, &kResourceAttributes},
     {2, "nonResourceAttributes", T::kMessage, false, &kNonResourceAttributes},
     {3, "user", T::kString},
     {4, "groups", T::kString, true},
     {6, "uid", T::kString}}};
constexpr Message kAccessReview{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                                 {2, "spec", T::kMessage, false, &kAccessReviewSpec}}};
constexpr Message kRulesReviewSpec{{{1, "namespace", T::kString}}};
constexpr Message kRulesReview{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                                {2, "spec", T::kMessage, false, &kRulesReviewSpec}}};
constexpr Message kSelfSubjectReview{{{1, "metadata", T::kMessage, false, &kObjectMeta}}};
constexpr Message kTokenReviewSpec{{{1, "token", T::kString}, {2, "audiences", T::kString, true}}};
constexpr Message kTokenReview{{{1, "metadata", T::kMessage, false, &kObjectMeta},
                                {2, "spec", T::kMessage, false, &kTokenReviewSpec}}};

Status Malformed() {
  return InvalidArgumentError(
      "the protobuf request body is malformed; send application/json instead");
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      *v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  // One field: number, and either `bytes` (wire type 2) or `value` (0).
  bool Next(uint32_t* number, std::string_view* bytes, uint64_t* value) {
    uint64_t key;
    if (!Varint(&key)) return false;
    *number = static_cast<uint32_t>(key >> 3);
    *bytes = {};
    switch (key & 7) {
      case 0:
        return Varint(value);
      case 1:
        return Skip(8);
      case 5:
        return Skip(4);
      case 2: {
        uint64_t len;
        if (!Varint(&len) || len > data_.size() - pos_) return false;
        *bytes = data_.substr(pos_, len);
        pos_ += len;
        return true;
      }
      default:
        return false;
    }
  }

 private:
  bool Skip(size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

StatusOr<json> Decode(std::string_view data, const Message& msg, int depth);

// map<string, V> entries are messages {1: key, 2: value}.
Status DecodeMapEntry(std::string_view entry, bool bytes_value, json* out) {
  Reader r(entry);
  std::string key, value;
  while (!r.done()) {
    uint32_t n;
    std::string_view b;
    uint64_t v;
    if (!r.Next(&n, &b, &v)) return Malformed();
    if (n == 1) key = std::string(b);
    if (n == 2) value = std::string(b);
  }
  (*out)[key] = bytes_value ? Base64Encode(value) : value;
  return OkStatus();
}

StatusOr<json> DecodeValue(const Field& f, std::string_view bytes, uint64_t value, int depth) {
  switch (f.type) {
    case T::kString:
      return json(std::string(bytes));
    case T::kBytes:
      return json(Base64Encode(bytes));
    case T::kInt:
      return json(static_cast<int64_t>(value));
    case T::kBool:
      return json(value != 0);
    case T::kTime: {
      Reader r(bytes);
      uint64_t seconds = 0, v;
      uint32_t n;
      std::string_view b;
      while (!r.done()) {
        if (!r.Next(&n, &b, &v)) return Malformed();
        if (n == 1) seconds = v;
      }
      return json(Rfc3339(std::chrono::system_clock::time_point(
          std::chrono::seconds(static_cast<int64_t>(seconds)))));
    }
    case T::kIntOrString: {
      Reader r(bytes);
      bool is_string = false;
      int64_t int_val = 0;
      std::string str_val;
      uint32_t n;
      std::string_view b;
      uint64_t v = 0;
      while (!r.done()) {
        if (!r.Next(&n, &b, &v)) return Malformed();
        if (n == 1) is_string = v == 1;  // intstr.Type: 0 Int, 1 String
        if (n == 2) int_val = static_cast<int64_t>(v);
        if (n == 3) str_val = std::string(b);
      }
      return is_string ? json(str_val) : json(int_val);
    }
    case T::kMessage:
      return Decode(bytes, *f.message, depth + 1);
    case T::kMapString:
    case T::kMapBytes:
      break;
  }
  return json();
}

StatusOr<json> Decode(std::string_view data, const Message& msg, int depth) {
  if (depth > 10) return Malformed();
  json out = json::object();
  Reader r(data);
  while (!r.done()) {
    uint32_t n;
    std::string_view bytes;
    uint64_t value = 0;
    if (!r.Next(&n, &bytes, &value)) return Malformed();
    for (const Field& f : msg.fields) {
      if (f.number != n) continue;
      if (f.type == T::kMapString || f.type == T::kMapBytes) {
        if (!out.contains(f.name)) out[f.name] = json::object();
        RETURN_IF_ERROR(DecodeMapEntry(bytes, f.type == T::kMapBytes, &out[f.name]));
        continue;
      }
      ASSIGN_OR_RETURN(json v, DecodeValue(f, bytes, value, depth));
      if (f.repeated) {
        out[f.name].push_back(std::move(v));
      } else if (v.is_null() || v == "" || v == 0 || v == false) {
        // gogo-protobuf writes zero values; JSON clients omit them (omitempty).
        out.erase(f.name);
      } else {
        out[f.name] = std::move(v);
      }
    }
  }
  return out;
}

const Message* MessageFor(const std::string& api_version, const std::string& kind) {
  if (api_version == "authentication.k8s.io/v1") {
    if (kind == "TokenRequest") return &kTokenRequest;
    if (kind == "SelfSubjectReview") return &kSelfSubjectReview;
    if (kind == "TokenReview") return &kTokenReview;
    return nullptr;
  }
  if (api_version == "rbac.authorization.k8s.io/v1") {
    if (kind == "Role") return &kRole;
    if (kind == "ClusterRole") return &kClusterRole;
    if (kind == "RoleBinding" || kind == "ClusterRoleBinding") return &kRoleBinding;
    return nullptr;
  }
  if (api_version == "authorization.k8s.io/v1") {
    if (kind == "SelfSubjectRulesReview") return &kRulesReview;
    if (kind == "SelfSubjectAccessReview" || kind == "SubjectAccessReview" ||
        kind == "LocalSubjectAccessReview") {
      return &kAccessReview;
    }
    return nullptr;
  }
  if (api_version != "v1") return nullptr;
  if (kind == "Namespace") return &kNamespace;
  if (kind == "ServiceAccount") return &kServiceAccount;
  if (kind == "Secret") return &kSecret;
  if (kind == "ConfigMap") return &kConfigMap;
  if (kind == "Service") return &kService;
  return nullptr;
}

}  // namespace

bool IsKubeProtobuf(std::string_view content_type) {
  return content_type.rfind("application/vnd.kubernetes.protobuf", 0) == 0;
}

StatusOr<json> DecodeKubeProtobuf(std::string_view body) {
  if (body.substr(0, 4) != std::string_view("k8s\0", 4)) return Malformed();
  Reader r(body.substr(4));
  std::string api_version, kind;
  std::string_view raw;
  while (!r.done()) {
    uint32_t n;
    std::string_view bytes;
    uint64_t v;
    if (!r.Next(&n, &bytes, &v)) return Malformed();
    if (n == 2) raw = bytes;
    if (n != 1) continue;
    Reader tm(bytes);
    while (!tm.done()) {
      uint32_t m;
      std::string_view b;
      if (!tm.Next(&m, &b, &v)) return Malformed();
      if (m == 1) api_version = std::string(b);
      if (m == 2) kind = std::string(b);
    }
  }
  const Message* msg = MessageFor(api_version, kind);
  if (msg == nullptr) {
    return InvalidArgumentError("Ferry cannot read " + kind + " (" + api_version +
                                ") as protobuf; send it as application/json (kubectl apply -f)");
  }
  ASSIGN_OR_RETURN(json obj, Decode(raw, *msg, 0));
  obj["apiVersion"] = api_version;
  obj["kind"] = kind;
  return obj;
}

}  // namespace ferry::api
