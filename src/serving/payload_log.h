// Payload logging on the inference path (KServe's spec.predictor.logger), once for every
// transport: the REST routes (server/infer_handlers.cc: V1 predict/explain, V2 infer, MLflow
// invocations) and the V2 gRPC service start a PayloadLog with the request's headers and body
// and finish it with the answer. The request event is queued at once (as KServe's agent logs a
// request before proxying it); the response event only for a 200 answer, with the same ce-id.
// Queuing never waits (logger/dispatcher.h): a slow or dead receiver costs dropped events, not
// latency.
//
// Threads: StartPayloadLog runs on the I/O thread; FinishPayloadLog on whichever thread answers.
// A ModelEntry's PayloadLogger is immutable and shared by the requests that use it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "logger/dispatcher.h"
#include "logger/event.h"
#include "serving/model_catalog.h"

namespace ferry::serving {

// What a model's entry carries when its InferenceService has a logger.
struct PayloadLogger {
  logger::LoggerSpec spec;
  logger::EventSource source;
  std::shared_ptr<logger::Dispatcher> dispatcher;

  // The URL and header lines every event shares, formatted at the first event (not per event).
  const std::shared_ptr<const logger::EventTarget>& Target() const;

 private:
  mutable std::once_flag target_once_;
  mutable std::shared_ptr<const logger::EventTarget> target_;
};

// One logged call, from its request to its response.
struct PayloadLog {
  std::shared_ptr<const PayloadLogger> logger;
  logger::CallInfo call;
};

using HeaderList = logger::HeaderList;

// The content type of gRPC calls' events: their serialized protobuf messages.
inline constexpr char kProtobufContentType[] = "application/x-protobuf";

// Null when `m` has no logger (the common case costs one pointer test). `content_type`
// replaces the request's Content-Type header when non-empty (gRPC).
std::shared_ptr<PayloadLog> StartPayloadLog(const ModelEntry& m,
                                            const logger::HeaderList& headers,
                                            std::string_view body,
                                            std::string_view content_type = {});

// The same for headers as the HTTP layer keeps them (lower-case names, values as sent).
std::shared_ptr<PayloadLog> StartPayloadLog(
    const ModelEntry& m, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view body);

// Queues the response event when `log` is set, `status` is 200 and the mode logs responses.
void FinishPayloadLog(const std::shared_ptr<PayloadLog>& log, int status, std::string_view body);

}  // namespace ferry::serving
