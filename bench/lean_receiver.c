// A lean payload-log receiver for bench/payload_log_bench.py: one thread, epoll, answers every
// HTTP/1.1 request it reads with "200 OK" and an empty body. Pipelined requests that arrive in
// one read are answered in one write, the way a receiver built for event streams (a Knative
// broker, an event sink written for throughput) would take them; nginx, the other receiver the
// bench uses, does per-request work a log sink does not need. It reads each request's
// Content-Length and skips the body; chunked bodies are not understood (the logger does not
// send them) and close the connection.
//
// Usage: lean_receiver PORT   (listens on 127.0.0.1:PORT; prints "ready" when listening)
// Bench tool only: no TLS, no limits beyond a 1 MiB request head, exits on SIGTERM.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define kOk "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

struct conn {
  int fd;
  char* in;
  size_t in_len, in_cap;
  size_t skip;  // body bytes of the current request still to skip
  int answer;   // the current request is answered once its body is skipped
  char* out;
  size_t out_len, out_off, out_cap;
  int watching_out;  // EPOLLOUT registered (an answer is waiting for room)
};

static void append(char** buf, size_t* len, size_t* cap, const char* data, size_t n) {
  if (*len + n > *cap) {
    *cap = (*len + n) * 2;
    *buf = realloc(*buf, *cap);
    if (!*buf) abort();
  }
  memcpy(*buf + *len, data, n);
  *len += n;
}

static void drop(struct conn* c) {
  close(c->fd);
  free(c->in);
  free(c->out);
  free(c);
}

// Content-Length of the head [p, end); -1 if absent or chunked.
static long content_length(const char* p, const char* end) {
  while (p < end) {
    const char* eol = memchr(p, '\n', end - p);
    if (!eol) eol = end;
    if (eol - p > 15 && strncasecmp(p, "content-length:", 15) == 0) return atol(p + 15);
    if (eol - p > 18 && strncasecmp(p, "transfer-encoding:", 18) == 0) return -1;
    p = eol + 1;
  }
  return 0;
}

// Consumes what was read; false if the connection must close.
static int parse(struct conn* c) {
  size_t pos = 0;
  for (;;) {
    if (c->skip) {
      size_t n = c->in_len - pos < c->skip ? c->in_len - pos : c->skip;
      pos += n;
      c->skip -= n;
      if (c->skip) break;
    }
    if (c->answer) {
      append(&c->out, &c->out_len, &c->out_cap, kOk, sizeof(kOk) - 1);
      c->answer = 0;
    }
    if (pos == c->in_len) break;
    const char* start = c->in + pos;
    const char* head_end = memmem(start, c->in_len - pos, "\r\n\r\n", 4);
    if (!head_end) {
      if (c->in_len - pos > (1u << 20)) return 0;
      break;
    }
    long length = content_length(start, head_end);
    if (length < 0) return 0;
    pos = head_end + 4 - c->in;
    c->skip = (size_t)length;
    c->answer = 1;
  }
  memmove(c->in, c->in + pos, c->in_len - pos);
  c->in_len -= pos;
  return 1;
}

static int flush(struct conn* c) {
  while (c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN ? 1 : 0;
    c->out_off += (size_t)n;
  }
  c->out_len = c->out_off = 0;
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  signal(SIGTERM, SIG_DFL);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr*)&addr, sizeof addr) || listen(ls, 512)) {
    perror("lean_receiver: listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  printf("ready\n");
  fflush(stdout);
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    for (int i = 0; i < n; ++i) {
      struct conn* c = events[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          c = calloc(1, sizeof *c);
          c->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      int alive = 1;
      if (events[i].events & EPOLLIN) {
        for (;;) {
          if (c->in_cap - c->in_len < 65536) {
            c->in_cap = c->in_cap ? c->in_cap * 2 : 262144;
            c->in = realloc(c->in, c->in_cap);
            if (!c->in) abort();
          }
          size_t want = c->in_cap - c->in_len;
          ssize_t r = recv(c->fd, c->in + c->in_len, want, 0);
          if (r > 0) {
            c->in_len += (size_t)r;
            if ((size_t)r < want) break;  // drained: no second recv just to see EAGAIN
            continue;
          }
          if (r < 0 && errno == EAGAIN) break;
          alive = 0;
          break;
        }
        if (alive) alive = parse(c);
      }
      if (alive) alive = flush(c);
      if (!alive) {
        drop(c);
        continue;
      }
      int want_out = c->out_len != 0;
      if (want_out != c->watching_out) {
        struct epoll_event cev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
        c->watching_out = want_out;
      }
    }
  }
}
