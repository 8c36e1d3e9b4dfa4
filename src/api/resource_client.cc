#include "api/resource_client.h"

#include <nlohmann/json.hpp>

#include "api/object_service.h"

namespace ferry::api {
namespace {

using nlohmann::json;

struct Resolved {
  const KindInfo* kind;
  std::string version;
};

StatusOr<Resolved> Resolve(std::string_view api_version, std::string_view kind) {
  const KindInfo* k = FindKindByApiVersion(api_version, kind);
  if (k == nullptr) {
    return NotFoundError("no kind \"" + std::string(kind) + "\" is served in version \"" +
                         std::string(api_version) + "\"; check apiVersion and kind");
  }
  size_t slash = api_version.find('/');
  return Resolved{k, std::string(slash == std::string_view::npos ? api_version
                                                                 : api_version.substr(slash + 1))};
}

StatusOr<Resolved> ResolveObject(const json& obj) {
  if (!obj.is_object()) return InvalidArgumentError("the object must be a JSON object");
  return Resolve(StringAt(obj, "apiVersion"), StringAt(obj, "kind"));
}

std::string Ns(const json& obj) { return StringAt(obj, "metadata.namespace"); }

StatusOr<json> Result(const ApiError& err, WriteResult&& out) {
  if (!err.ok()) return err.ToStatus();
  return std::move(out.object);
}

}  // namespace

StatusOr<json> ResourceClient::Get(std::string_view api_version, std::string_view kind,
                                   std::string_view ns, std::string_view name) const {
  try {
    ASSIGN_OR_RETURN(Resolved r, Resolve(api_version, kind));
    json out;
    ApiError err = service_->Get(*r.kind, r.version, ns, name, &out);
    if (!err.ok()) return err.ToStatus();
    return out;
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the object is malformed: ") + e.what());
  }
}

StatusOr<json> ResourceClient::List(std::string_view api_version, std::string_view kind,
                                    std::string_view ns, std::string_view label_selector,
                                    std::string_view field_selector) const {
  try {
    ASSIGN_OR_RETURN(Resolved r, Resolve(api_version, kind));
    ASSIGN_OR_RETURN(store::Selector sel,
                     store::MakeSelector(std::string(ns), label_selector, field_selector));
    json out;
    ApiError err = service_->List(*r.kind, r.version, sel, &out);
    if (!err.ok()) return err.ToStatus();
    return out;
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the object is malformed: ") + e.what());
  }
}

StatusOr<json> ResourceClient::Create(const json& object) {
  try {
    ASSIGN_OR_RETURN(Resolved r, ResolveObject(object));
    WriteResult out;
    ApiError err = service_->Create(*r.kind, r.version, Ns(object), object, {}, &out);
    return Result(err, std::move(out));
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the object is malformed: ") + e.what());
  }
}

StatusOr<json> ResourceClient::Update(const json& object) {
  try {
    ASSIGN_OR_RETURN(Resolved r, ResolveObject(object));
    WriteResult out;
    ApiError err = service_->Update(*r.kind, r.version, Ns(object),
                                    StringAt(object, "metadata.name"), object, false, {}, &out);
    return Result(err, std::move(out));
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the object is malformed: ") + e.what());
  }
}

StatusOr<json> ResourceClient::UpdateStatus(const json& object) {
  try {
    ASSIGN_OR_RETURN(Resolved r, ResolveObject(object));
    WriteResult out;
    ApiError err = service_->Update(*r.kind, r.version, Ns(object),
                                    StringAt(object, "metadata.name"), object, true, {}, &out);
    return Result(err, std::move(out));
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the object is malformed: ") + e.what());
  }
}

StatusOr<json> ResourceClient::Patch(std::string_view api_version, std::string_view kind,
                                     std::string_view ns, std::string_view name,
                                     std::string_view content_type, std::string_view patch,
                                     bool status) {
  try {
    ASSIGN_OR_RETURN(Resolved r, Resolve(api_version, kind));
    WriteResult out;
    ApiError err = service_->Patch(*r.kind, r.version, ns, name,
                                   PatchTypeFromContentType(content_type), patch, status, {}, &out);
    return Result(err, std::move(out));
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the object is malformed: ") + e.what());
  }
}

StatusOr<json> ResourceClient::Delete(std::string_view api_version, std::string_view kind,
                                      std::string_view ns, std::string_view name) {
  try {
    ASSIGN_OR_RETURN(Resolved r, Resolve(api_version, kind));
    json out;
    ApiError err = service_->Delete(*r.kind, r.version, ns, name, &out);
    if (!err.ok()) return err.ToStatus();
    return out;
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the object is malformed: ") + e.what());
  }
}

StatusOr<std::unique_ptr<store::EventQueue>> ResourceClient::Watch(
    std::string_view api_version, std::string_view kind, std::string_view ns, int64_t from_rv,
    std::string_view label_selector, std::string_view field_selector) {
  try {
    ASSIGN_OR_RETURN(Resolved r, Resolve(api_version, kind));
    ASSIGN_OR_RETURN(store::Selector sel,
                     store::MakeSelector(std::string(ns), label_selector, field_selector));
    return store::EventQueue::Start(service_->store(), r.kind->store_resource(), std::move(sel),
                                    from_rv);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the object is malformed: ") + e.what());
  }
}

}  // namespace ferry::api
