// Plain HTTP request/response values passed between the listener
// (HttpServer, the only code that knows Boost.Beast) and handlers (the model
// router, later the API server and gateway).
//
// Threads: a handler runs on the connection's I/O thread. It answers through
// the Responder — at once (the common, fast case) or later from any thread
// (slow models run on an executor). Exactly one Send per request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::http {

struct HttpRequest {
  HttpRequest() = default;
  // path/query view into target, so copies and moves re-point them.
  HttpRequest(const HttpRequest& o);
  HttpRequest(HttpRequest&& o) noexcept;
  HttpRequest& operator=(const HttpRequest& o);
  HttpRequest& operator=(HttpRequest&& o) noexcept;

  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // as sent, e.g. "/v2/models/iris/infer?x=1" or absolute-form
  std::string_view path;   // view into target: without scheme/authority and query
  std::string_view query;  // view into target: after '?', may be empty
  // Header names lower-cased; values as sent. Duplicates kept in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;  // peer IP
  uint16_t local_port = 0;
  bool keep_alive = true;
  std::chrono::steady_clock::time_point received;

  // Back to a default-constructed request, keeping no bytes of the old one.
  void Clear();

  // First header with this lower-case name, or empty.
  std::string_view Header(std::string_view lower_name) const;
  bool HasHeader(std::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static HttpResponse Json(int status, std::string body);
  static HttpResponse Text(int status, std::string body);
};

// Implemented by the listener; one per connection.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void Send(HttpResponse response) = 0;
  // Send, leaving `response` the caller's to reuse: the sink takes what it keeps (the listener
  // swaps the body with its previous one, whose storage the caller then gets back) and leaves
  // the rest in a valid, unspecified state. Default: Send(std::move(response)).
  virtual void SendFrom(HttpResponse& response) { Send(std::move(response)); }
  virtual void StartStream(HttpResponse head) = 0;
  virtual bool WriteChunk(std::string data) = 0;
  virtual void EndStream() = 0;
  // Runs `fn` on the connection's thread (default: at once, here).
  virtual void Post(std::function<void()> fn) { fn(); }
  // Calls `on_gone` on the connection's thread if the client closes the
  // connection before the request is answered (default: never).
  virtual void WatchClientGone(std::function<void()> on_gone) {}
};

// Cheap, copyable handle to answer one request from any thread: either one
// Send(), or StartStream() + WriteChunk()* + EndStream() for a chunked
// response that is written as it is produced (Kubernetes watch).
class Responder {
 public:
  explicit Responder(std::shared_ptr<ResponseSink> sink) : sink_(std::move(sink)) {}
  void Send(HttpResponse response) const { sink_->Send(std::move(response)); }
  // Send with `response` left the caller's, its storage reusable (ResponseSink::SendFrom).
  void SendFrom(HttpResponse& response) const { sink_->SendFrom(response); }
  // Sends status and headers (head.body, if any, becomes the first chunk).
  void StartStream(HttpResponse head) const { sink_->StartStream(std::move(head)); }
  // Queues one chunk; false once the client has gone away (stop producing).
  bool WriteChunk(std::string data) const { return sink_->WriteChunk(std::move(data)); }
  // Ends the chunked body; the connection then serves its next request.
  void EndStream() const { sink_->EndStream(); }
  // Runs `fn` on the thread that owns the connection: a request parked
  // elsewhere (gateway ext-authz, JWKS) continues there.
  void Post(std::function<void()> fn) const { sink_->Post(std::move(fn)); }
  // For a request that will be answered later: `on_gone` runs (on the
  // connection's thread) if the client closes the connection first. Call it
  // from the handler, on the connection's thread. The request must still be
  // answered (the answer is then dropped).
  void WatchClientGone(std::function<void()> on_gone) const {
    sink_->WatchClientGone(std::move(on_gone));
  }

 private:
  std::shared_ptr<ResponseSink> sink_;
};

// A sink that hands everything on to another responder. Decorators (a header stamped on every
// answer, an answer held until the store is durable, a gzip'd body) derive from it and override
// only what they change, so Post and WatchClientGone keep reaching the connection.
class ForwardingSink : public ResponseSink {
 public:
  explicit ForwardingSink(Responder inner) : inner_(std::move(inner)) {}
  void Send(HttpResponse response) override { inner_.Send(std::move(response)); }
  void StartStream(HttpResponse head) override { inner_.StartStream(std::move(head)); }
  bool WriteChunk(std::string data) override { return inner_.WriteChunk(std::move(data)); }
  void EndStream() override { inner_.EndStream(); }
  void Post(std::function<void()> fn) override { inner_.Post(std::move(fn)); }
  void WatchClientGone(std::function<void()> on_gone) override {
    inner_.WatchClientGone(std::move(on_gone));
  }

 protected:
  const Responder& inner() const { return inner_; }

 private:
  Responder inner_;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // `request` may be moved from by the handler.
  virtual void Handle(HttpRequest& request, Responder responder) = 0;
};

// Splits `target` into path and query views (handles absolute-form targets
// such as "http://host/v2/..."). The views point into `target`.
void SplitTarget(std::string_view target, std::string_view* path, std::string_view* query);

}  // namespace ferry::http
