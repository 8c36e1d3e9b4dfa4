#include "grpc/inference_service.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <vector>

#include "grpc/tensor_codec.h"
#include "protocol/content_type.h"
#include "serving/dispatch.h"
#include "serving/http_status.h"
#include "serving/infer.h"
#include "serving/payload_log.h"
#include "serving/predict_call.h"

namespace ferry::grpc {

using serving::ModelCatalog;
using serving::ModelEntry;

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

// Payload logging (serving/payload_log.h): a gRPC call is logged as its protobuf messages
// (ModelInferRequest, then ModelInferResponse), with the client's metadata as headers.
std::shared_ptr<serving::PayloadLog> StartPayloadLog(::grpc::ServerContext* ctx,
                                                     const ModelEntry& entry,
                                                     const inference::ModelInferRequest& req) {
  if (!entry.payload_logger) return nullptr;
  serving::HeaderList headers;
  for (const auto& [k, v] : ctx->client_metadata()) {
    std::string_view key(k.data(), k.size());
    if (key.ends_with("-bin")) continue;
    headers.emplace_back(key, std::string_view(v.data(), v.size()));
  }
  return serving::StartPayloadLog(entry, headers, req.SerializeAsString(),
                                  serving::kProtobufContentType);
}

}  // namespace

serving::RequestContext InferenceService::ContextOf(::grpc::ServerContext* ctx) {
  std::string_view id, parent, state;
  int parents = 0;
  for (const auto& [k, v] : ctx->client_metadata()) {
    std::string_view key(k.data(), k.size()), value(v.data(), v.size());
    if (key == serving::kRequestIdHeader) {
      if (id.empty()) id = value;
    } else if (key == serving::kTraceParentHeader) {
      parent = value;
      ++parents;
    } else if (key == serving::kTraceStateHeader && state.empty()) {
      state = value;
    }
  }
  serving::RequestContext context = serving::MakeRequestContext(id, parent, state, parents);
  ctx->AddInitialMetadata(std::string(serving::kRequestIdHeader),
                          std::string(context.request_id()));
  return context;
}

void InferenceService::Resolve(::grpc::ServerContext* ctx, std::string_view method,
                               const serving::RequestContext& context, ResolveSink* sink) const {
  if (!needs_call_info_) return resolver_(CallInfo{}, sink);
  thread_local std::vector<std::pair<std::string_view, std::string_view>> metadata;
  metadata.clear();
  for (const auto& [k, v] : ctx->client_metadata()) {
    std::string_view key(k.data(), k.size());
    if (key.ends_with("-bin") || key == serving::kRequestIdHeader ||
        key == serving::kTraceParentHeader || key == serving::kTraceStateHeader) {
      continue;
    }
    metadata.emplace_back(key, std::string_view(v.data(), v.size()));
  }
  metadata.emplace_back(serving::kRequestIdHeader, context.request_id());
  metadata.emplace_back(serving::kTraceParentHeader, context.traceparent());
  if (!context.tracestate().empty()) {
    metadata.emplace_back(serving::kTraceStateHeader, context.tracestate());
  }
  thread_local std::string path;
  path.assign("/inference.GRPCInferenceService/").append(method);
  ::grpc::string_ref authority = ctx->ExperimentalGetAuthority();
  std::string peer = ctx->peer();
  CallInfo info;
  info.path = path;
  info.authority = std::string_view(authority.data(), authority.size());
  info.metadata = metadata;
  info.peer_ip = PeerIp(peer);
  info.local_port = local_port_;
  resolver_(info, sink);
}

void InferenceService::LogCall(::grpc::ServerContext* ctx, std::string_view method,
                               const ::grpc::Status& status, size_t response_bytes,
                               std::chrono::steady_clock::time_point arrived,
                               const serving::RequestContext& context) const {
  if (!access_log_) return;
  thread_local std::string path;  // no allocation per call once warm
  path.assign("/inference.GRPCInferenceService/").append(method);
  std::string peer = ctx->peer();
  CallLogRecord record;
  record.peer_ip = PeerIp(peer);
  record.path = path;
  record.grpc_code = static_cast<int>(status.error_code());
  // Codes are Ferry's StatusCode values by construction (common/status.h).
  record.http_status = serving::HttpStatusFor(static_cast<StatusCode>(record.grpc_code));
  record.response_bytes = status.ok() ? response_bytes : status.error_message().size();
  record.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived).count();
  record.request_id = context.request_id();
  record.traceparent = context.traceparent();
  access_log_(record);
}

::grpc::Status InferenceService::Admit(::grpc::ServerContext* ctx, CallTarget* target) const {
  if (!needs_call_info_) return ::grpc::Status::OK;
  if (!target->status.ok()) {
    for (const auto& [k, v] : target->trailers) {
      if (ValidMetadataKey(k) && ValidMetadataValue(v)) ctx->AddTrailingMetadata(k, v);
    }
    return ToGrpc(target->status);
  }
  if (target->catalog == nullptr) {
    return ToGrpc(UnavailableError("no models are loaded yet; retry when ServerReady is true"));
  }
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ServerLive(::grpc::ServerContext*,
                                            const inference::ServerLiveRequest*,
                                            inference::ServerLiveResponse* res, const CallTarget&) {
  res->set_live(true);
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ServerReady(::grpc::ServerContext*,
                                             const inference::ServerReadyRequest*,
                                             inference::ServerReadyResponse* res,
                                             const CallTarget& target) {
  res->set_ready(target.catalog != nullptr && target.catalog->AllReady());
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ModelReady(::grpc::ServerContext*,
                                            const inference::ModelReadyRequest* req,
                                            inference::ModelReadyResponse* res,
                                            const CallTarget& target) {
  auto catalog = target.catalog;
  auto m = FindModel(catalog ? *catalog : ModelCatalog{}, req->name());
  if (!m.ok()) return ToGrpc(m.status());
  res->set_ready((*m)->state == ModelEntry::State::kReady);
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ServerMetadata(::grpc::ServerContext*,
                                                const inference::ServerMetadataRequest*,
                                                inference::ServerMetadataResponse* res,
                                                const CallTarget&) {
  res->set_name("ferry");
  res->set_version(version_);
  // Only what is served here (the REST listener lists binary_tensor_data, a REST extension).
  if (repository_ != nullptr) res->add_extensions("model_repository_extension");
  return ::grpc::Status::OK;
}

::grpc::Status InferenceService::ModelMetadata(::grpc::ServerContext*,
                                               const inference::ModelMetadataRequest* req,
                                               inference::ModelMetadataResponse* res,
                                               const CallTarget& target) {
  auto catalog = target.catalog;
  auto m = ReadyModel(catalog ? *catalog : ModelCatalog{}, req->name());
  if (!m.ok()) return ToGrpc(m.status());
  protocol::ModelMetadata md = (*m)->served->metadata;
  md.name = (*m)->name;
  ToProto(md, res);
  return ::grpc::Status::OK;
}

void InferenceService::ModelInfer(::grpc::ServerContext* ctx,
                                  const inference::ModelInferRequest* req,
                                  inference::ModelInferResponse* res, Completion* done,
                                  CallTarget target) {
  auto t0 = std::chrono::steady_clock::now();
  auto m = ReadyModel(target.catalog ? *target.catalog : ModelCatalog{}, req->model_name());
  if (!m.ok()) return done->Finish(ToGrpc(m.status()));
  const ModelEntry& entry = **m;
  std::shared_ptr<serving::PayloadLog> log = StartPayloadLog(ctx, entry, *req);
  // gRPC infers count as V2 in /metrics, with the HTTP status V2 REST would give.
  auto finish = [this, &entry, done, t0, res, log](const Status& status) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int http_status = status.ok() ? 200 : serving::HttpStatusFor(status.code());
    serving::Metrics::Record(entry.counters, serving::Protocol::kV2, http_status, seconds);
    if (!status.ok() && error_log_ && entry.counters != nullptr) {
      error_log_(entry.counters->model, http_status,
                 "gRPC " + std::string(StatusCodeName(status.code())) + ": " + status.message(),
                 done->context());
    }
    if (log && http_status == 200 && log->logger->spec.LogsResponse()) {
      serving::FinishPayloadLog(log, http_status, res->SerializeAsString());
    }
    if (entry.counters != nullptr) entry.counters->series.Record(http_status, seconds);
    done->Finish(ToGrpc(status));
  };
  auto request = FromProto(*req);
  if (!request.ok()) return finish(request.status());
  auto prepared = serving::PrepareInfer(entry, std::move(request).value());
  if (!prepared.ok()) return finish(prepared.status());
  prepared->context = &done->context();
  bool raw = req->raw_input_contents_size() > 0;
  // The HTTP route's default thresholds (serving/predict_call.h).
  bool inline_ok =
      serving::RunsInline(entry, serving::InlineCostRows(prepared->method, prepared->rows)) ||
      !entry.executor;
  // The model's timeout, or the client's own deadline when that is earlier:
  // there is no use predicting for a caller that has given up.
  DeadlineClock::time_point deadline = serving::RequestDeadline(entry, t0);
  auto client_left = ctx->deadline() - std::chrono::system_clock::now();
  if (client_left < std::chrono::hours(24 * 365)) {
    deadline = std::min(deadline,
                        t0 + std::chrono::duration_cast<DeadlineClock::duration>(client_left));
  }
  auto work = [&entry, raw, res, finish, deadline, prepared = std::move(prepared).value()]() {
    auto resp = serving::RunInfer(entry, prepared, deadline);
    if (resp.ok()) ToProto(*resp, raw, res);
    finish(resp.status());
  };
  // Off this thread (executor, or a containerConcurrency slot freed later), the catalog (and so
  // `entry`) must live as long as the call.
  if (!inline_ok || entry.limiter) done->KeepAlive(std::move(target.catalog));
  serving::Dispatch(entry, inline_ok, std::move(work), finish);
}

}  // namespace ferry::grpc
