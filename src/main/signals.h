// Shutdown signals for the long-running subcommands (serve, up).
#pragma once

#include <csignal>

namespace ferry::main {

// Blocks SIGTERM/SIGINT in the calling thread and every thread it starts
// afterwards (call before starting any), so sigwait() on the returned set in
// main receives them.
sigset_t BlockShutdownSignals();

}  // namespace ferry::main
