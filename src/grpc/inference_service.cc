#include "grpc/inference_service.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <string_view>
#include <vector>

#include "grpc/tensor_codec.h"
#include "protocol/content_type.h"
#include "server/http_status.h"

namespace ferry::grpc {

using runtime::PredictMethod;
using server::ModelCatalog;
using server::ModelEntry;

namespace {

// Status codes are gRPC's by construction (common/status.h).
::grpc::Status ToGrpc(const Status& s) {
  return ::grpc::Status(static_cast<::grpc::StatusCode>(static_cast<int>(s.code())), s.message());
}

std::string ServedNames(const ModelCatalog& c) {
  std::string out;
  for (const auto& m : c.models) out += (out.empty() ? "" : ", ") + m->name;
  return out.empty() ? "(none)" : out;
}

// The entry named `name`, or NotFound naming what is served.
StatusOr<const ModelEntry*> FindModel(const ModelCatalog& c, const std::string& name) {
  if (name.empty()) {
    return InvalidArgumentError("the request's model name is empty; set it to one of: " +
                                ServedNames(c));
  }
  const ModelEntry* m = c.Find(name);
  if (m == nullptr) {
    return NotFoundError("model '" + name +
                         "' is not served here; this server serves: " + ServedNames(c));
  }
  return m;
}

StatusOr<const ModelEntry*> ReadyModel(const ModelCatalog& c, const std::string& name) {
  ASSIGN_OR_RETURN(const ModelEntry* m, FindModel(c, name));
  if (m->state == ModelEntry::State::kFailed) {
    return UnavailableError("model '" + name + "' failed to load: " + m->failure);
  }
  if (m->state != ModelEntry::State::kReady) {
    return UnavailableError("model '" + name + "' is still loading; retry when ModelReady is true");
  }
  return m;
}

std::string Uuid4() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

bool HasMethod(const runtime::ModelInfo& info, PredictMethod m) {
  for (auto x : info.methods) {
    if (x == m) return true;
  }
  return m == PredictMethod::kPredict;
}

// The same pipeline as the HTTP V2 infer route (server/infer_handlers.cc):
// an output named after an estimator method selects the method and names the
// output; otherwise requested outputs filter the model's outputs.
StatusOr<protocol::InferResponse> Infer(const ModelEntry& m, protocol::InferRequest request) {
  const runtime::ServedModel& served = *m.served;
  PredictMethod method = served.default_method;
  bool by_method = false;
  for (const auto& out : request.outputs) {
    if (auto pm = runtime::ParsePredictMethod(out.name)) {
      if (!HasMethod(served.model->info(), *pm)) {
        return InvalidArgumentError("model " + m.name + " has no method " + out.name +
                                    "; request its outputs by their metadata names instead");
      }
      method = *pm;
      by_method = true;
    }
  }
  ASSIGN_OR_RETURN(protocol::Frame frame, protocol::RequestToFrame(request, served.metadata));
  ASSIGN_OR_RETURN(protocol::Tensor pred, served.model->Predict(frame, method));
  ASSIGN_OR_RETURN(auto outputs, protocol::PredictionToOutputs(std::move(pred), served.output_style,
                                                               served.metadata));
  if (by_method) {
    if (request.outputs.size() == 1 && outputs.size() == 1) {
      outputs[0].name = request.outputs[0].name;
    }
  } else {
    RETURN_IF_ERROR(protocol::SelectOutputs(request, &outputs));
  }
  protocol::InferResponse resp;
  resp.model_name = m.name;
  resp.id = request.id ? *request.id : Uuid4();
  resp.outputs = std::move(outputs);
  if (served.output_style == protocol::OutputStyle::kMlserver) {
    resp.parameters.Set("content_type", std::string("np"));
  }
  return resp;
}

// "ipv4:127.0.0.1:5000" / "ipv6:[::1]:5000" -> the address alone.
std::string_view PeerIp(std::string_view peer) {
  size_t colon = peer.find(':');
  if (colon == std::string_view::npos) return peer;
  std::string_view rest = peer.substr(colon + 1);
  if (!rest.empty() && rest[0] == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.rfind(':'));
}

// Trailing-metadata keys gRPC accepts from an application.
bool ValidMetadataKey(std::string_view key) {
  if (key.empty() || key.rfind("grpc-", 0) == 0 || key.ends_with("-bin")) {
    return false;
  }
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool ValidMetadataValue(std::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

CallTarget InferenceService::Resolve(::grpc::ServerContext* ctx, std::string_view method) const {
  if (!needs_call_info_) return resolver_(CallInfo{});
  thread_local std::vector<std::pair<std::string_view, std::string_view>> metadata;
  metadata.clear();
  for (const auto& [k, v] : ctx->client_metadata()) {
    std::string_view key(k.data(), k.size());
    if (key.ends_with("-bin")) continue;
    metadata.emplace_back(key, std::string_view(v.data(), v.size()));
  }
  std::string path = "/inference.GRPCInferenceService/" + std::string(method);
  ::grpc::string_ref authority = ctx->ExperimentalGetAuthority();
  std::string peer = ctx->peer();
  CallInfo info;
  info.path = path;
  info.authority = std::string_view(authority.data(), authority.size());
  info.metadata = metadata;
  info.peer_ip = PeerIp(peer);
  info.local_port = local_port_;
  CallTarget target = resolver_(info);
  if (!target.status.ok()) {
    for (const auto& [k, v] : target.trailers) {
      if (ValidMetadataKey(k) && ValidMetadataValue(v)) ctx->AddTrailingMetadata(k, v);
    }
  } else if (target.catalog == nullptr) {
    target.status = UnavailableError("no models are loaded yet; retry when ServerReady is true");
  }
  return target;
}

::grpc::Status InferenceService::ServerLive(::grpc::ServerContext* ctx,
                                            const inference::ServerLiveRequest*,
                                            inference::ServerLiveResponse* res) {
  if (needs_call_info_) {
    CallTarget target = Resolve(ctx, "ServerLive");
    if (!target.status.ok()) return ToGrpc(target.status);
  }
  res->set_live(true);
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ServerReady(::grpc::ServerContext* ctx,
                                             const inference::ServerReadyRequest*,
                                             inference::ServerReadyResponse* res) {
  CallTarget target = Resolve(ctx, "ServerReady");
  if (needs_call_info_ && !target.status.ok()) return ToGrpc(target.status);
  res->set_ready(target.catalog != nullptr && target.catalog->AllReady());
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ModelReady(::grpc::ServerContext* ctx,
                                            const inference::ModelReadyRequest* req,
                                            inference::ModelReadyResponse* res) {
  CallTarget target = Resolve(ctx, "ModelReady");
  if (needs_call_info_ && !target.status.ok()) return ToGrpc(target.status);
  auto catalog = target.catalog;
  auto m = FindModel(catalog ? *catalog : ModelCatalog{}, req->name());
  if (!m.ok()) return ToGrpc(m.status());
  res->set_ready((*m)->state == ModelEntry::State::kReady);
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ServerMetadata(::grpc::ServerContext* ctx,
                                                const inference::ServerMetadataRequest*,
                                                inference::ServerMetadataResponse* res) {
  if (needs_call_info_) {
    CallTarget target = Resolve(ctx, "ServerMetadata");
    if (!target.status.ok()) return ToGrpc(target.status);
  }
  res->set_name("ferry");
  res->set_version(version_);
  res->add_extensions("model_repository_extension");
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ModelMetadata(::grpc::ServerContext* ctx,
                                               const inference::ModelMetadataRequest* req,
                                               inference::ModelMetadataResponse* res) {
  CallTarget target = Resolve(ctx, "ModelMetadata");
  if (needs_call_info_ && !target.status.ok()) return ToGrpc(target.status);
  auto catalog = target.catalog;
  auto m = ReadyModel(catalog ? *catalog : ModelCatalog{}, req->name());
  if (!m.ok()) return ToGrpc(m.status());
  protocol::ModelMetadata md = (*m)->served->metadata;
  md.name = (*m)->name;
  ToProto(md, res);
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ModelInfer(::grpc::ServerContext* ctx,
                                            const inference::ModelInferRequest* req,
                                            inference::ModelInferResponse* res) {
  auto t0 = std::chrono::steady_clock::now();
  CallTarget target = Resolve(ctx, "ModelInfer");
  if (needs_call_info_ && !target.status.ok()) return ToGrpc(target.status);
  auto catalog = target.catalog;
  auto m = ReadyModel(catalog ? *catalog : ModelCatalog{}, req->model_name());
  if (!m.ok()) return ToGrpc(m.status());
  Status status;
  auto request = FromProto(*req);
  if (!request.ok()) {
    status = request.status();
  } else {
    auto resp = Infer(**m, std::move(request).value());
    if (resp.ok()) {
      ToProto(*resp, req->raw_input_contents_size() > 0, res);
    } else {
      status = resp.status();
    }
  }
  // gRPC infers count as V2 in /metrics, with the HTTP status V2 REST would give.
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  server::Metrics::Record((*m)->counters, server::Protocol::kV2,
                          status.ok() ? 200 : server::HttpStatusFor(status.code()), seconds);
  return ToGrpc(status);
}

}  // namespace ferry::grpc
