// The model repository extension's RPCs of InferenceService (RepositoryIndex,
// RepositoryModelLoad, RepositoryModelUnload) over serving::ModelRepository: the answers of the
// REST routes (server/repository_handlers.cc), in gRPC's codes (NOT_FOUND for an unknown model,
// INVALID_ARGUMENT for what cannot be honoured, UNAVAILABLE for a failed load).
#include "grpc/inference_service.h"

namespace ferry::grpc {
namespace {

const serving::ModelCatalog kNoModels;

::grpc::Status ToGrpc(const Status& s) {
  return ::grpc::Status(static_cast<::grpc::StatusCode>(static_cast<int>(s.code())), s.message());
}

::grpc::Status NotServed() {
  return ToGrpc(UnimplementedError(
      "the model repository extension is not served here (ServerMetadata does not list "
      "model_repository_extension); it is served by `ferry serve`"));
}

// The model a load/unload request names, from KServe's or Triton's message (the proto's header
// comment says how field 1 and field 2 are told apart); its parameters must be empty.
template <typename Req>
StatusOr<std::string> ModelOf(const Req& req, std::string_view verb) {
  std::string name = req.model_name();
  if (!req.triton_model_name().empty()) {
    if (!req.model_name().empty()) {
      return InvalidArgumentError("model repository '" + req.model_name() +
                                  "' is unknown: this server has one repository; leave "
                                  "repository_name empty");
    }
    name = req.triton_model_name();
  }
  if (name.empty()) {
    return InvalidArgumentError("the " + std::string(verb) +
                                " request names no model; set model_name");
  }
  for (const auto& [key, value] : req.parameters()) {
    return InvalidArgumentError("parameter \"" + key + "\" is not supported: Ferry " +
                                std::string(verb) +
                                "s the model's directory as it is (no configuration or file "
                                "overrides, no dependents); send no parameters");
  }
  return name;
}

}  // namespace

::grpc::Status InferenceService::RepositoryIndex(::grpc::ServerContext*,
                                                 const inference::RepositoryIndexRequest* req,
                                                 inference::RepositoryIndexResponse* res,
                                                 const CallTarget& target) {
  if (repository_ == nullptr) return NotServed();
  if (!req->repository_name().empty()) {
    return ToGrpc(InvalidArgumentError("model repository '" + req->repository_name() +
                                       "' is unknown: this server has one repository; leave "
                                       "repository_name empty"));
  }
  for (const auto& e : repository_->Index(target.catalog ? *target.catalog : serving::ModelCatalog{},
                                          req->ready())) {
    auto* m = res->add_models();
    m->set_name(e.name);
    m->set_version(e.version);
    m->set_state(e.state);
    m->set_reason(e.reason);
  }
  return ::grpc::Status::OK;
}

void InferenceService::RepositoryModelLoad(::grpc::ServerContext*,
                                           const inference::RepositoryModelLoadRequest* req,
                                           inference::RepositoryModelLoadResponse* res,
                                           Completion* done, CallTarget target) {
  if (repository_ == nullptr) return done->Finish(NotServed());
  auto name = ModelOf(*req, "load");
  if (!name.ok()) return done->Finish(ToGrpc(name.status()));
  // The catalog (the scope) must outlive the call: the repository may answer later.
  done->KeepAlive(target.catalog);
  const serving::ModelCatalog& scope = target.catalog ? *target.catalog : kNoModels;
  repository_->Load(scope, *name, [res, done, n = *name](Status s) {
    if (s.ok()) {
      res->set_model_name(n);
      res->set_isloaded(true);
    }
    done->Finish(ToGrpc(s));
  });
}

void InferenceService::RepositoryModelUnload(::grpc::ServerContext*,
                                             const inference::RepositoryModelUnloadRequest* req,
                                             inference::RepositoryModelUnloadResponse* res,
                                             Completion* done, CallTarget target) {
  if (repository_ == nullptr) return done->Finish(NotServed());
  auto name = ModelOf(*req, "unload");
  if (!name.ok()) return done->Finish(ToGrpc(name.status()));
  done->KeepAlive(target.catalog);
  const serving::ModelCatalog& scope = target.catalog ? *target.catalog : kNoModels;
  repository_->Unload(scope, *name, [res, done, n = *name](Status s) {
    if (s.ok()) {
      res->set_model_name(n);
      res->set_isunloaded(true);
    }
    done->Finish(ToGrpc(s));
  });
}

}  // namespace ferry::grpc
