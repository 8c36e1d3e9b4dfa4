#include "serving/payload_log.h"

#include "serving/request_context.h"

namespace ferry::serving {

const std::shared_ptr<const logger::EventTarget>& PayloadLogger::Target() const {
  std::call_once(target_once_, [this] { target_ = logger::MakeEventTarget(spec, source); });
  return target_;
}

std::shared_ptr<PayloadLog> StartPayloadLog(const ModelEntry& m,
                                            const logger::HeaderList& headers,
                                            std::string_view body,
                                            std::string_view content_type) {
  if (!m.payload_logger) return nullptr;
  auto log = std::make_shared<PayloadLog>();
  log->logger = m.payload_logger;
  const PayloadLogger& pl = *log->logger;
  char id[36];  // used only when the request carries no Ce-Id
  log->call = logger::ReadCall(pl.spec, headers, std::string_view(id, WriteUuid4(id) - id),
                               content_type);
  if (pl.spec.LogsRequest()) {
    pl.dispatcher->Enqueue(logger::BuildEvent(pl.Target(), log->call, false, body));
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

void FinishPayloadLog(const std::shared_ptr<PayloadLog>& log, int status,
                      std::string_view body) {
  if (!log || status != 200 || !log->logger->spec.LogsResponse()) return;
  const PayloadLogger& pl = *log->logger;
  pl.dispatcher->Enqueue(logger::BuildEvent(pl.Target(), log->call, true, body));
}

}  // namespace ferry::serving
