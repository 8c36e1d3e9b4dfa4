// Connections over the I/O threads (io_balance.h) on a real server: packed while the threads
// are idle, spread by count when packing is off, and a connection moved between two of its
// requests keeps its order and its bytes.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "http/http_server.h"
#include "http/http_server_test_util.h"

namespace ferry::http {
namespace {

std::unique_ptr<HttpServer> StartTwoThreadServer(HttpHandler* handler,
                                                 void (*tune)(HttpServerOptions&)) {
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.io_threads = 2;
  tune(opts);
  auto s = HttpServer::Create(opts, handler);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  auto server = std::move(s).value();
  server->Start();
  return server;
}

std::string ThreadOf(int fd) {
  auto r = ReadResponsesAfter(fd, "GET /thread HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.size(), 1u);
  return r.empty() ? "" : BodyOf(r[0]);
}

// Six new connections, three rounds: how many each I/O thread got.
std::vector<std::map<std::string, int>> PlaceSix(HttpServer& server) {
  std::vector<std::map<std::string, int>> rounds;
  for (int round = 0; round < 3; ++round) {
    std::vector<int> fds;
    std::map<std::string, int> per_thread;
    for (int i = 0; i < 6; ++i) {
      int fd = Connect(server.port());
      EXPECT_GE(fd, 0);
      ++per_thread[ThreadOf(fd)];
      fds.push_back(fd);
    }
    rounds.push_back(per_thread);
    for (int fd : fds) ::close(fd);
    // Let the server see the closes before the next round counts again.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return rounds;
}

// Packing off: the thread with the fewest open connections takes the next one, whatever the
// ports hash to.
TEST(HttpServerBalanceTest, WithoutPackingConnectionsSpreadEvenly) {
  EchoHandler handler;
  auto server = StartTwoThreadServer(&handler, [](HttpServerOptions& o) {
    o.pack_connections = false;
  });
  ASSERT_NE(server, nullptr);
  for (const auto& per_thread : PlaceSix(*server)) {
    ASSERT_EQ(per_thread.size(), 2u);
    for (const auto& [thread, n] : per_thread) EXPECT_EQ(n, 3) << thread;
  }
}

// Idle threads: every new connection goes to the first one (one thread serving them all sleeps
// and wakes less often than two half-idle ones).
TEST(HttpServerBalanceTest, ConnectionsArePackedWhileTheThreadsAreIdle) {
  EchoHandler handler;
  auto server = StartTwoThreadServer(&handler, [](HttpServerOptions&) {});
  ASSERT_NE(server, nullptr);
  for (const auto& per_thread : PlaceSix(*server)) {
    ASSERT_EQ(per_thread.size(), 1u);
    EXPECT_EQ(per_thread.begin()->second, 6);
  }
}

// Every answer with nothing buffered moves its connection (a thread "busier" than -1 per mille
// sheds to one "idler" than 1001): requests sent right after each answer, pipelined pairs and
// bodies still arrive whole and in order on whichever thread has the socket now.
TEST(HttpServerBalanceTest, MovedConnectionsKeepServingInOrder) {
  EchoHandler handler;
  auto server = StartTwoThreadServer(&handler, [](HttpServerOptions& o) {
    o.shed_above_permille = -1;
    o.pack_below_permille = 1001;
    o.balance_check_answers = 1;
  });
  ASSERT_NE(server, nullptr);
  constexpr int kConns = 4;
  int fds[kConns];
  for (int& fd : fds) {
    fd = Connect(server->port());
    ASSERT_GE(fd, 0);
  }
  std::set<std::string> threads_seen[kConns];
  for (int i = 0; i < 40; ++i) {
    for (int c = 0; c < kConns; ++c) {
      const std::string n = std::to_string(c) + "-" + std::to_string(i);
      if (i % 4 == 3) {  // a pipelined pair: the first answer leaves the second buffered
        const std::string pair = "POST /a" + n +
                                 " HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok" +
                                 "GET /b" + n + " HTTP/1.1\r\nHost: h\r\n\r\n";
        ASSERT_EQ(::send(fds[c], pair.data(), pair.size(), 0), static_cast<ssize_t>(pair.size()));
        auto r = ReadResponses(fds[c], 2);
        ASSERT_EQ(r.size(), 2u);
        EXPECT_EQ(BodyOf(r[0]), "POST /a" + n + " q= body=ok");
        EXPECT_EQ(BodyOf(r[1]), "GET /b" + n + " q= body=");
      } else {
        threads_seen[c].insert(ThreadOf(fds[c]));
      }
    }
  }
  int moved = 0;
  for (const auto& seen : threads_seen) moved += seen.size() == 2;
  EXPECT_GT(moved, 0) << "no connection was answered from both I/O threads";
  // A client that leaves right after its answer (mid-move) costs nothing: the others go on.
  ::close(fds[0]);
  for (int c = 1; c < kConns; ++c) EXPECT_FALSE(ThreadOf(fds[c]).empty());
  for (int c = 1; c < kConns; ++c) ::close(fds[c]);
  // New connections still come in and are answered.
  int fd = Connect(server->port());
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(ThreadOf(fd).empty());
  ::close(fd);
}

}  // namespace
}  // namespace ferry::http
