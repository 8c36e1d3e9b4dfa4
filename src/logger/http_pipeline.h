// The sender side of payload logging for http:// receivers: a batch of events as pipelined
// HTTP/1.1 POSTs on one kept-alive connection (one write for many requests, then their answers
// in order), so a sender thread spends a few microseconds per event instead of a full request
// round trip. Used by DefaultTransport (dispatcher.h); https:// goes through libcurl instead.
//
// Threads: a PipelineClient belongs to one sender thread (it keeps that thread's connections).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "logger/dispatcher.h"

namespace ferry::logger {

struct HttpTarget {
  std::string host;         // as connected to (no brackets for IPv6)
  std::string port;         // "80" by default
  std::string host_header;  // Host: as in the URL
  std::string path;         // path and query, "/" at least
};

// Parses an http:// URL; false for anything else (https, unparsable).
bool ParseHttpTarget(const std::string& url, HttpTarget* target);

class PipelineClient {
 public:
  explicit PipelineClient(std::chrono::milliseconds timeout);
  ~PipelineClient();

  // Sends `events` (all to `target`) in order; one outcome per event. A connection that fails
  // before anything was answered on it is reopened once (a stale kept-alive connection).
  std::vector<SendOutcome> Send(const HttpTarget& target,
                                const std::vector<const Event*>& events);

 private:
  struct Connection;
  std::chrono::milliseconds timeout_;
  std::map<std::string, std::unique_ptr<Connection>> connections_;  // by host:port
  std::string wire_;  // the requests being written
};

}  // namespace ferry::logger
