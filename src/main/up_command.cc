#include "main/up_command.h"

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "main/signals.h"
#include "main/up_process.h"

namespace ferry::main {

std::string DefaultDataDir() {
  if (const char* d = std::getenv("FERRY_DATA_DIR")) return d;
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.ferry";
  return ".ferry";
}

int RunUp(const UpFlags& flags) {
  // Everything created from here on (store, WAL, keys, models) is private.
  ::umask(077);
  sigset_t signals = BlockShutdownSignals();
  UpProcess up(flags);
  if (Status built = up.Build(); !built.ok()) {
    std::fprintf(stderr, "ferry up: %s\n", built.message().c_str());
    return 1;
  }
  up.Announce();
  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "ferry up: shutting down\n");
  up.Shutdown();
  return 0;
}

}  // namespace ferry::main
