#include "api/object_service.h"

#include <chrono>

#include "api/encoding.h"
#include "api/quota.h"
#include "auth/policy_rule.h"
#include "auth/request_info.h"

namespace ferry::api {
namespace {

using nlohmann::json;

const KindInfo& NamespaceKind() { return *FindKindByResource("", "v1", "namespaces"); }

// Everything but metadata and status: what bumps metadata.generation.
json SpecPart(const json& obj) {
  json out = obj;
  out.erase("metadata");
  out.erase("status");
  out.erase("apiVersion");
  out.erase("kind");
  return out;
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return std::isalnum(static_cast<unsigned char>(name.front())) &&
         std::isalnum(static_cast<unsigned char>(name.back()));
}

std::string RandomSuffix() {
  std::string uid = NewUid();
  std::string out;
  for (char c : uid) {
    if (std::isalnum(static_cast<unsigned char>(c)) && out.size() < 5) out.push_back(c);
  }
  return out;
}

}  // namespace

void ObjectService::AddAdmission(std::string kind, AdmissionHook hook) {
  std::unique_lock<std::shared_mutex> l(hooks_mu_);
  hooks_[std::move(kind)].push_back(std::move(hook));
}

json ObjectService::ForVersion(const KindInfo& kind, std::string_view version, const json& stored) {
  json out = kind.convert_out ? kind.convert_out(stored) : stored;
  out["apiVersion"] = kind.api_version(version);
  out["kind"] = kind.kind;
  return out;
}

ApiError ObjectService::Get(const KindInfo& kind, std::string_view version, std::string_view ns,
                            std::string_view name, json* out) const {
  auto r = store_->Get(kind.store_resource(), kind.namespaced ? ns : "", name);
  if (!r.ok()) return FromStatus(r.status(), kind, name);
  *out = ForVersion(kind, version, **r);
  return {};
}

ApiError ObjectService::List(const KindInfo& kind, std::string_view version,
                             const store::Selector& selector, json* out) const {
  auto r = store_->List(kind.store_resource(), selector);
  if (!r.ok()) return InternalServerError(r.status().message());
  json items = json::array();
  for (const auto& item : r->items) items.push_back(ForVersion(kind, version, *item));
  *out = {{"apiVersion", kind.api_version(version)},
          {"kind", kind.kind + "List"},
          {"metadata", {{"resourceVersion", std::to_string(r->resource_version)}}},
          {"items", std::move(items)}};
  return {};
}

ApiError ObjectService::Decode(const KindInfo& kind, std::string_view version, json& obj,
                               const WriteOptions& opts, std::vector<std::string>* warnings) const {
  if (!obj.is_object()) return BadRequest("the request body must be a JSON object");
  std::string want = kind.api_version(version);
  std::string av = At(obj, "apiVersion").is_null() ? want : StringAt(obj, "apiVersion");
  if (av != want) {
    return BadRequest("the API version in the data (" + av +
                      ") does not match the expected API version (" + want + ")");
  }
  std::string k = At(obj, "kind").is_null() ? kind.kind : StringAt(obj, "kind");
  if (k != kind.kind) {
    return BadRequest("the kind in the data (" + k + ") does not match the expected kind (" +
                      kind.kind + ")");
  }
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = json::object();
  if (kind.decode_error) {
    std::string why = kind.decode_error(obj);
    if (!why.empty()) {
      return BadRequest(kind.kind + " in version \"" + std::string(version) +
                        "\" cannot be handled as a " + kind.kind + ": " + why);
    }
  }
  std::vector<std::string> unknown = PruneUnknownFields(kind, obj);
  if (unknown.empty() || opts.validation == FieldValidation::kIgnore) return {};
  if (opts.validation == FieldValidation::kStrict) {
    std::string msg = kind.kind + " in version \"" + std::string(version) +
                      "\" cannot be handled as a " + kind.kind + ": strict decoding error: ";
    for (size_t i = 0; i < unknown.size(); ++i) {
      msg += (i ? ", " : "") + std::string("unknown field \"") + unknown[i] + "\"";
    }
    return BadRequest(msg);
  }
  for (const std::string& u : unknown) warnings->push_back("unknown field \"" + u + "\"");
  return {};
}

ApiError ObjectService::CheckNamespace(const KindInfo& kind, std::string_view ns, json& obj) const {
  json& meta = obj["metadata"];
  if (!kind.namespaced) {
    meta.erase("namespace");
    return {};
  }
  std::string body_ns = StringAt(meta, "namespace");
  if (!body_ns.empty() && body_ns != ns) {
    return BadRequest("the namespace of the provided object (" + body_ns +
                      ") does not match the namespace sent on the request (" + std::string(ns) +
                      ")");
  }
  meta["namespace"] = ns;
  return {};
}

ApiError ObjectService::Admit(const KindInfo& kind, json& obj, const json* old,
                              const WriteOptions& opts, std::vector<std::string>* warnings) const {
  std::string name = StringAt(obj["metadata"], "name");
  if (kind.path_segment_names) {
    std::vector<std::string> why = auth::PathSegmentNameErrors(name);
    if (!why.empty()) {
      return Invalid(kind, name,
                     {{"metadata.name", "FieldValueInvalid",
                       "Invalid value: " + auth::GoQuote(name) + ": " + why[0]}});
    }
  } else if (!ValidName(name)) {
    return Invalid(kind, name,
                   {{"metadata.name", "FieldValueInvalid",
                     "Invalid value: \"" + name +
                         "\": a lowercase RFC 1123 subdomain must consist of lower case "
                         "alphanumeric characters, '-' or '.', and must start and end with an "
                         "alphanumeric character"}});
  }
  if (kind.defaults) kind.defaults(obj);
  {
    std::shared_lock<std::shared_mutex> l(hooks_mu_);
    auto it = hooks_.find(kind.kind);
    if (it != hooks_.end()) {
      for (const AdmissionHook& hook : it->second) {
        Status st = hook(obj, old == nullptr, warnings);
        if (!st.ok()) return FromStatus(st, kind, name);
      }
    }
  }
  if (opts.check) RETURN_API_ERROR(opts.check(obj, old));
  std::vector<FieldError> errs;
  if (kind.validate) errs = kind.validate(obj);
  if (old != nullptr && kind.validate_update) {
    for (FieldError& e : kind.validate_update(obj, *old)) errs.push_back(std::move(e));
  }
  if (!errs.empty()) return Invalid(kind, name, std::move(errs));
  if (kind.warnings) {
    for (std::string& w : kind.warnings(obj)) warnings->push_back(std::move(w));
  }
  return {};
}

void ObjectService::AddWriteObserver(std::string kind, std::function<void()> observer) {
  std::unique_lock<std::shared_mutex> l(hooks_mu_);
  observers_[std::move(kind)].push_back(std::move(observer));
}

void ObjectService::Notify(const KindInfo& kind) const {
  std::vector<std::function<void()>> observers;
  {
    std::shared_lock<std::shared_mutex> l(hooks_mu_);
    auto it = observers_.find(kind.kind);
    if (it == observers_.end()) return;
    observers = it->second;
  }
  for (const auto& o : observers) o();
}

ApiError ObjectService::Create(const KindInfo& kind, std::string_view version, std::string_view ns,
                               json body, const WriteOptions& opts, WriteResult* out) {
  RETURN_API_ERROR(Decode(kind, version, body, opts, &out->warnings));
  RETURN_API_ERROR(CheckNamespace(kind, ns, body));
  json& meta = body["metadata"];
  std::string name = StringAt(meta, "name");
  if (name.empty() && !StringAt(meta, "generateName").empty()) {
    name = StringAt(meta, "generateName") + RandomSuffix();
    meta["name"] = name;
  }
  if (name.empty()) {
    return Invalid(kind, "",
                   {{"metadata.name", "FieldValueRequired",
                     "Required value: name or generateName is required"}});
  }
  if (require_namespaces_ && kind.namespaced &&
      !store_->Get(NamespaceKind().store_resource(), "", ns).ok()) {
    return NotFound(NamespaceKind(), ns);
  }
  meta["uid"] = NewUid();
  meta["creationTimestamp"] = Rfc3339(std::chrono::system_clock::now());
  meta["generation"] = 1;
  meta.erase("resourceVersion");
  if (kind.status_subresource) body.erase("status");
  RETURN_API_ERROR(Admit(kind, body, nullptr, opts, &out->warnings));
  body["apiVersion"] = kind.api_version(kind.versions[0]);
  body["kind"] = kind.kind;
  {
    std::lock_guard<std::mutex> quota(quota_mu_);
    RETURN_API_ERROR(CheckCountQuota(*store_, kind, ns, name));
    if (!opts.dry_run) {
      auto r = store_->Create(kind.store_resource(), body);
      if (!r.ok()) return FromStatus(r.status(), kind, name);
      body = **r;
    }
  }
  if (!opts.dry_run) {
    RefreshQuotas(kind, ns);
    Notify(kind);
  }
  out->object = ForVersion(kind, version, body);
  out->created = true;
  return {};
}

void ObjectService::RefreshQuotas(const KindInfo& kind, std::string_view ns) {
  std::lock_guard<std::mutex> quota(quota_mu_);
  RefreshQuotaStatus(store_, kind, ns);
}

ApiError ObjectService::Store(const KindInfo& kind, std::string_view version, json obj,
                              const json& existing, bool status_only, const WriteOptions& opts,
                              WriteResult* out) {
  std::string name = StringAt(existing["metadata"], "name");
  int64_t expected = store::ResourceVersionOf(obj);
  if (expected < 0) return BadRequest("metadata.resourceVersion must be a decimal string");
  json next = existing;
  if (status_only) {
    if (obj.contains("status")) {
      next["status"] = obj["status"];
    } else {
      next.erase("status");
    }
  } else {
    next = obj;
    json& meta = next["metadata"];
    for (const char* f : {"uid", "creationTimestamp", "generation", "deletionTimestamp"}) {
      if (existing["metadata"].contains(f)) meta[f] = existing["metadata"][f];
    }
    if (kind.status_subresource) {
      if (existing.contains("status")) {
        next["status"] = existing["status"];
      } else {
        next.erase("status");
      }
    }
    RETURN_API_ERROR(Admit(kind, next, &existing, opts, &out->warnings));
    if (SpecPart(next) != SpecPart(existing)) {
      meta["generation"] = (At(existing, "metadata.generation").is_number_integer()
                                ? At(existing, "metadata.generation").get<int64_t>()
                                : 0) +
                           1;
    }
  }
  next["apiVersion"] = kind.api_version(kind.versions[0]);
  next["kind"] = kind.kind;
  if (!opts.dry_run) {
    auto r = store_->Update(kind.store_resource(), next, expected);
    if (!r.ok()) return FromStatus(r.status(), kind, name);
    next = **r;
    if (next["metadata"].contains("deletionTimestamp") && At(next, "metadata.finalizers").empty()) {
      json removed;  // the last finalizer is gone: the pending deletion happens now
      RETURN_API_ERROR(Remove(kind, next, /*orphan=*/false, &removed));
    }
    // A pod's phase decides whether it counts; a quota's spec.hard its status.
    if (kind.group.empty() && (kind.plural == "pods" || kind.plural == "resourcequotas")) {
      RefreshQuotas(kind, StringAt(next, "metadata.namespace"));
    }
    Notify(kind);
  }
  out->object = ForVersion(kind, version, next);
  return {};
}

ApiError ObjectService::Update(const KindInfo& kind, std::string_view version, std::string_view ns,
                               std::string_view name, json body, bool status_only,
                               const WriteOptions& opts, WriteResult* out) {
  auto existing = store_->Get(kind.store_resource(), kind.namespaced ? ns : "", name);
  if (!existing.ok()) return FromStatus(existing.status(), kind, name);
  RETURN_API_ERROR(Decode(kind, version, body, opts, &out->warnings));
  RETURN_API_ERROR(CheckNamespace(kind, ns, body));
  std::string body_name =
      At(body, "metadata.name").is_null() ? std::string(name) : StringAt(body, "metadata.name");
  if (body_name != name) {
    return BadRequest("the name of the object (" + body_name +
                      ") does not match the name on the URL (" + std::string(name) + ")");
  }
  body["metadata"]["name"] = name;
  return Store(kind, version, std::move(body), **existing, status_only, opts, out);
}

ApiError ObjectService::Patch(const KindInfo& kind, std::string_view version, std::string_view ns,
                              std::string_view name, PatchType type, std::string_view body,
                              bool status_only, const WriteOptions& opts, WriteResult* out) {
  if (type == PatchType::kUnknown || (type == PatchType::kStrategic && !kind.strategic_merge)) {
    return UnsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml" +
        std::string(kind.strategic_merge ? ", application/strategic-merge-patch+json" : ""));
  }
  for (int attempt = 0;; ++attempt) {
    auto existing = store_->Get(kind.store_resource(), kind.namespaced ? ns : "", name);
    if (!existing.ok() && existing.status().code() == StatusCode::kNotFound &&
        type == PatchType::kApply && !status_only) {
      auto obj = ApplyPatch(PatchType::kApply, json::object(), body);
      if (!obj.ok()) return BadRequest(obj.status().message());
      if (!(*obj)["metadata"].is_object()) (*obj)["metadata"] = json::object();
      (*obj)["metadata"]["name"] = name;
      return Create(kind, version, ns, std::move(*obj), opts, out);
    }
    if (!existing.ok()) return FromStatus(existing.status(), kind, name);
    auto patched = ApplyPatch(type, ForVersion(kind, version, **existing), body);
    if (!patched.ok()) return BadRequest(patched.status().message());
    RETURN_API_ERROR(Decode(kind, version, *patched, opts, &out->warnings));
    RETURN_API_ERROR(CheckNamespace(kind, ns, *patched));
    (*patched)["metadata"]["name"] = name;
    // Without a resourceVersion in the patch, patches apply to the latest object: retry.
    bool client_rv = store::ResourceVersionOf(*patched) != store::ResourceVersionOf(**existing);
    if (!client_rv) {
      (*patched)["metadata"]["resourceVersion"] = (**existing)["metadata"]["resourceVersion"];
    }
    ApiError err = Store(kind, version, std::move(*patched), **existing, status_only, opts, out);
    if (err.reason != "Conflict" || client_rv || attempt >= 4) return err;
    out->warnings.clear();
  }
}

}  // namespace ferry::api
