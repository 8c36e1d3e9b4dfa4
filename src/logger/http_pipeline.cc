#include "logger/http_pipeline.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "logger/header_name.h"

namespace ferry::logger {
namespace {

using Clock = std::chrono::steady_clock;

// At most this many request bytes are written before their answers are read, so a receiver
// that stops reading until its answers are taken cannot wedge both sides.
constexpr size_t kMaxInFlightBytes = 256 * 1024;

// A receiver answers pipelined requests one write each. Waking for every answer would cost the
// sender a poll and a recv (and a context switch) per event; with this many answers still due
// it first lets them gather for kAnswerGather, so one wake-up reads dozens. Logging is off the
// request path: the delay costs no inference anything.
constexpr size_t kGatherAnswersAbove = 8;
constexpr std::chrono::microseconds kAnswerGather{500};

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool WaitFd(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int rc = poll(&p, 1, MillisLeft(deadline));
    if (rc > 0) return true;
    if (rc == 0 || errno != EINTR) return false;
  }
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

bool ContainsIgnoreCase(std::string_view s, std::string_view lower_word) {
  for (size_t i = 0; i + lower_word.size() <= s.size(); ++i) {
    if (StartsWithIgnoreCase(s.substr(i), lower_word)) return true;
  }
  return false;
}

}  // namespace

bool ParseHttpTarget(const std::string& url, HttpTarget* t) {
  CURLU* h = curl_url();
  if (h == nullptr) return false;
  bool ok = curl_url_set(h, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  auto get = [&](CURLUPart part, std::string* out, unsigned flags) {
    char* v = nullptr;
    bool got = curl_url_get(h, part, &v, flags) == CURLUE_OK;
    if (got) *out = v;
    curl_free(v);
    return got;
  };
  std::string scheme, query;
  ok = ok && get(CURLUPART_SCHEME, &scheme, 0) && scheme == "http" &&
       get(CURLUPART_HOST, &t->host, 0) && get(CURLUPART_PORT, &t->port, CURLU_DEFAULT_PORT) &&
       get(CURLUPART_PATH, &t->path, 0);
  if (ok && get(CURLUPART_QUERY, &query, 0) && !query.empty()) t->path += "?" + query;
  curl_url_cleanup(h);
  if (!ok) return false;
  if (t->path.empty()) t->path = "/";
  t->host_header = t->host;  // libcurl keeps an IPv6 address in brackets, as Host: wants it
  if (t->port != "80") t->host_header += ":" + t->port;
  if (t->host.size() > 2 && t->host.front() == '[') t->host = t->host.substr(1, t->host.size() - 2);
  return true;
}

// One kept-alive connection and the bytes read from it but not parsed yet.
struct PipelineClient::Connection {
  int fd = -1;
  std::string in;
  size_t pos = 0;
  bool drained = false;  // the last read emptied the socket
  size_t due = 0;        // answers still expected for what was written (set by Send)

  ~Connection() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    in.clear();
    pos = 0;
    drained = false;
  }

  std::string Open(const HttpTarget& t, Clock::time_point deadline) {
    Close();
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &res); rc != 0) {
      return std::string("cannot resolve ") + t.host + ": " + gai_strerror(rc);
    }
    std::string err = "no address for " + t.host;
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      int s = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (s < 0) continue;
      int rc = connect(s, a->ai_addr, a->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        if (WaitFd(s, POLLOUT, deadline)) {
          int so = 0;
          socklen_t len = sizeof(so);
          getsockopt(s, SOL_SOCKET, SO_ERROR, &so, &len);
          rc = so == 0 ? 0 : -1;
          errno = so;
        } else {
          errno = ETIMEDOUT;
        }
      }
      if (rc == 0) {
        fd = s;
        break;
      }
      err = "connect to " + t.host + ":" + t.port + ": " + std::strerror(errno);
      ::close(s);
    }
    freeaddrinfo(res);
    return fd >= 0 ? "" : err;
  }

  bool Write(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
      ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!WaitFd(fd, POLLOUT, deadline)) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  // Reads more bytes; false at EOF, error or the deadline. Once a read found the socket
  // drained, the next one polls first: one wake-up costs poll + recv, not recv + poll + recv.
  bool Fill(Clock::time_point deadline) {
    if (pos > 0 && pos * 2 >= in.size()) {  // drop what was parsed, keep the capacity
      in.erase(0, pos);
      pos = 0;
    }
    char buf[16384];
    for (;;) {
      if (drained && due > kGatherAnswersAbove && Clock::now() + kAnswerGather < deadline) {
        std::this_thread::sleep_for(kAnswerGather);
      }
      if (drained && !WaitFd(fd, POLLIN, deadline)) return false;
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n > 0) {
        in.append(buf, static_cast<size_t>(n));
        drained = static_cast<size_t>(n) < sizeof(buf);
        return true;
      }
      if (n == 0) return false;
      if (errno != EAGAIN && errno != EINTR) return false;
      drained = errno == EAGAIN;
    }
  }

  // The next CRLF-ended line (without CRLF), reading as needed; valid until the next read.
  bool Line(std::string_view* line, Clock::time_point deadline) {
    for (;;) {
      const char* start = in.data() + pos;
      const char* lf = static_cast<const char*>(std::memchr(start, '\n', in.size() - pos));
      if (lf != nullptr && lf > start && lf[-1] == '\r') {
        *line = std::string_view(start, static_cast<size_t>(lf - 1 - start));
        pos = static_cast<size_t>(lf + 1 - in.data());
        return true;
      }
      if (lf != nullptr) return false;  // a bare LF: not an HTTP/1.1 answer we can frame
      if (in.size() - pos > 64 * 1024 || !Fill(deadline)) return false;
    }
  }

  bool Skip(size_t n, Clock::time_point deadline) {
    while (in.size() - pos < n) {
      n -= in.size() - pos;
      pos = in.size();
      if (!Fill(deadline)) return false;
    }
    pos += n;
    return true;
  }

  // One response: its status (0 when unreadable); `close` when the peer ends the connection.
  int ReadResponse(Clock::time_point deadline, bool* close) {
    std::string_view line;
    if (!Line(&line, deadline) || line.size() < 12 || line.substr(0, 5) != "HTTP/") return 0;
    int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status < 100 || status > 999) return 0;
    bool chunked = false, has_length = false;
    size_t length = 0;
    *close = line.substr(0, 8) == "HTTP/1.0";
    for (;;) {
      if (!Line(&line, deadline)) return 0;
      if (line.empty()) break;
      // Only three headers matter; the others are passed over on their length and first letter.
      auto colon_at = [&line](size_t i) -> size_t {
        return line.size() > i && line[i] == ':' ? i : 0;
      };
      size_t colon = 0;
      if ((line[0] | 0x20) == 'c') {
        colon = colon_at(14) != 0 ? 14 : colon_at(10);  // content-length, connection
      } else if ((line[0] | 0x20) == 't') {
        colon = colon_at(17);  // transfer-encoding
      }
      if (colon == 0) continue;
      std::string_view name = line.substr(0, colon);
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      if (MatchesLower(name, "content-length")) {
        has_length = true;
        length = 0;
        for (char c : value) {
          if (c < '0' || c > '9') break;
          length = length * 10 + static_cast<size_t>(c - '0');
        }
      } else if (MatchesLower(name, "transfer-encoding")) {
        chunked = ContainsIgnoreCase(value, "chunked");
      } else if (MatchesLower(name, "connection")) {
        *close = value != "keep-alive" && ContainsIgnoreCase(value, "close");
      }
    }
    if (status < 200) return ReadResponse(deadline, close);  // 1xx: the real answer follows
    if (status == 204 || status == 304) return status;
    if (chunked) {
      for (;;) {
        if (!Line(&line, deadline)) return 0;
        size_t size = std::strtoull(std::string(line.substr(0, 15)).c_str(), nullptr, 16);
        if (size == 0) break;
        if (!Skip(size + 2, deadline)) return 0;
      }
      do {
        if (!Line(&line, deadline)) return 0;
      } while (!line.empty());  // trailers
      return status;
    }
    if (has_length) return Skip(length, deadline) ? status : 0;
    while (Fill(deadline)) {  // the body runs to the end of the connection
    }
    *close = true;
    return status;
  }
};

PipelineClient::PipelineClient(std::chrono::milliseconds timeout) : timeout_(timeout) {}

PipelineClient::~PipelineClient() = default;

namespace {

// "POST <path> HTTP/1.1", Host and User-Agent: the same for every event to `t`.
std::string RequestHead(const HttpTarget& t) {
  return "POST " + t.path + " HTTP/1.1\r\nHost: " + t.host_header +
         "\r\nUser-Agent: ferry-payload-logger\r\n";
}

void AppendRequest(std::string_view head, const Event& e, std::string* out) {
  char length[24];
  auto [end, ec] = std::to_chars(length, length + sizeof(length), e.body().size());
  out->append(head).append("Content-Length: ").append(length, end).append("\r\n");
  out->append(e.target->fixed_headers).append(e.own_headers()).append("\r\n").append(e.body());
}

}  // namespace

std::vector<SendOutcome> PipelineClient::Send(const HttpTarget& t,
                                              const std::vector<const Event*>& events) {
  std::vector<SendOutcome> out(events.size());
  std::unique_ptr<Connection>& conn = connections_[t.host + ":" + t.port];
  if (!conn) conn = std::make_unique<Connection>();
  size_t i = 0;
  bool reopened = false;
  const std::string head = RequestHead(t);
  std::string& wire = wire_;  // kept between batches: no growing and freeing per batch
  while (i < events.size()) {
    auto deadline = Clock::now() + timeout_;
    bool fresh = conn->fd < 0;
    if (fresh) {
      std::string err = conn->Open(t, deadline);
      if (!err.empty()) {
        for (; i < events.size(); ++i) out[i] = {false, true, err};
        return out;
      }
    }
    size_t end = i;
    wire.clear();
    while (end < events.size() && (end == i || wire.size() < kMaxInFlightBytes)) {
      AppendRequest(head, *events[end++], &wire);
    }
    size_t answered = i;
    bool close = !conn->Write(wire, deadline);
    while (!close && answered < end) {
      conn->due = end - answered;
      int status = conn->ReadResponse(deadline, &close);
      if (status == 0) break;
      out[answered].ok = status >= 200 && status < 300;
      out[answered].retryable = status == 429 || status >= 500;
      if (!out[answered].ok) out[answered].detail = "HTTP " + std::to_string(status);
      ++answered;
    }
    if (answered < end || close) conn->Close();
    if (answered == i && !fresh && !reopened) {
      reopened = true;  // a kept-alive connection the receiver had closed: once more, anew
      continue;
    }
    if (answered == i) {
      for (; i < events.size(); ++i) out[i] = {false, true, "connection to " + t.host_header +
                                                               " failed before an answer"};
      return out;
    }
    i = answered;
  }
  return out;
}

}  // namespace ferry::logger
