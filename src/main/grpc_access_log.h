// GrpcAccessLog: the gRPC listener's answered calls written to the access log in REST's line
// format (POST and the gRPC method path), for `ferry serve` and `ferry up` alike. The returned
// function is thread-safe as long as `log` is (server/access_log.h); `log` must outlive it.
#pragma once

#include "grpc/grpc_server.h"
#include "server/access_log.h"

namespace ferry::main {

inline grpc::CallLogFn GrpcAccessLog(server::AccessLog* log) {
  return [log](const grpc::CallLogRecord& r) {
    log->Log(r.peer_ip, "POST", r.path, r.http_status, r.response_bytes, r.seconds, r.request_id,
             r.traceparent);
  };
}

}  // namespace ferry::main
