#include "serving/payload_log.h"

#include "serving/predict_call.h"

namespace ferry::serving {

std::shared_ptr<PayloadLog> StartPayloadLog(const ModelEntry& m,
                                            const logger::HeaderList& headers,
                                            std::string_view body,
                                            std::string_view content_type) {
  if (!m.payload_logger) return nullptr;
  auto log = std::make_shared<PayloadLog>();
  log->logger = m.payload_logger;
  const PayloadLogger& pl = *log->logger;
  log->call = logger::ReadCall(pl.spec, headers, Uuid4(), content_type);
  if (pl.spec.LogsRequest()) {
    pl.dispatcher->Enqueue(
        logger::BuildEvent(pl.spec, pl.source, log->call, false, std::string(body)));
  }
  return log;
}

std::shared_ptr<PayloadLog> StartPayloadLog(
    const ModelEntry& m, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view body) {
  if (!m.payload_logger) return nullptr;
  HeaderList views;
  views.reserve(headers.size());
  for (const auto& [name, value] : headers) views.emplace_back(name, value);
  return StartPayloadLog(m, views, body);
}

void FinishPayloadLog(const std::shared_ptr<PayloadLog>& log, int status, std::string body) {
  if (!log || status != 200 || !log->logger->spec.LogsResponse()) return;
  const PayloadLogger& pl = *log->logger;
  pl.dispatcher->Enqueue(logger::BuildEvent(pl.spec, pl.source, log->call, true, std::move(body)));
}

}  // namespace ferry::serving
