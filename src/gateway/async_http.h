// Outbound HTTP for the gateway's network peers (ext-authz providers, JWKS
// and OIDC discovery endpoints): one request description, a blocking
// performer for callers that may wait (tests, tools), and AsyncHttpClient,
// which runs any number of requests at once on ONE dedicated thread driving
// a libcurl multi handle.
//
// Why one multiplexing thread rather than a pool: a pool of N threads waiting
// in curl_easy_perform lets N slow peers occupy it and queues every later
// call behind them — the stall moves from the listener to the pool. The multi
// handle waits on all sockets at once, so a provider that answers after 10 s
// costs a socket, not a thread, and calls to a fast provider complete while
// it waits. Per-call timeouts are curl's (CURLOPT_TIMEOUT_MS), enforced by
// the same loop; connections to a peer are reused across calls.
//
// Threads: Start/Cancel/Shutdown may be called from any thread. Each call's
// `done` runs exactly once on the client's thread and must be quick (hand
// the result on; never block there). Ownership: the client owns its thread;
// destroy it (or Shutdown) only after the callers that Start calls are gone,
// or accept that their pending calls end with Cancelled.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "gateway/request.h"

namespace ferry::gateway {

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value" lines; "Name:" removes a curl default
  std::chrono::milliseconds timeout{5000};
  long max_redirects = 0;      // 0: redirects are answers, not followed
  size_t max_body = 1u << 20;  // a larger body fails the call
};

struct HttpResult {
  int status = 0;
  std::vector<OwnedHeader> headers;  // of the final response; lower-case names
  std::string body;
};

// Runs `call` on the calling thread. Errors: Unavailable (connect, protocol,
// body too large), DeadlineExceeded (timeout); the message names the URL and
// curl's reason.
StatusOr<HttpResult> PerformBlocking(const HttpCall& call);

class AsyncHttpClient {
 public:
  using Done = std::function<void(StatusOr<HttpResult>)>;

  AsyncHttpClient();
  ~AsyncHttpClient();  // Shutdown()
  AsyncHttpClient(const AsyncHttpClient&) = delete;
  AsyncHttpClient& operator=(const AsyncHttpClient&) = delete;

  // Starts `call`; `done` gets the response or the error PerformBlocking
  // would give, or Cancelled after Cancel()/Shutdown(). Returns an id for
  // Cancel (never 0).
  uint64_t Start(HttpCall call, Done done);
  // Abandons a call still running (its `done` gets Cancelled); no-op when it
  // already finished.
  void Cancel(uint64_t id);
  // Ends every running call with Cancelled and joins the thread. Later Starts
  // complete at once with Cancelled. Idempotent.
  void Shutdown();
  // Calls started and not yet done.
  size_t in_flight() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ferry::gateway
