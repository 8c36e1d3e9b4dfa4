// UpProcess: the composition root of `ferry up`. It builds everything the process runs by
// small named steps, each adding the parts the next ones use (data directory → API → model
// serving → gateway → controller → dashboards → listeners → control plane), and stops them in
// the order Shutdown() spells out.
//
// Ownership: the UpProcess owns every part; its members are declared in construction order, so
// destruction (after Shutdown) runs in reverse. Threads: Build, Announce and Shutdown run on the
// main thread; the parts start their own threads (listeners, controller, gateway peers).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "main/up_command.h"

namespace ferry::main {

class UpProcess {
 public:
  explicit UpProcess(const UpFlags& flags);
  ~UpProcess();
  UpProcess(const UpProcess&) = delete;
  UpProcess& operator=(const UpProcess&) = delete;

  // Every step in order; the first failure stops the build and is returned (each part built so
  // far is torn down by the destructor).
  Status Build();
  // Where everything listens, on stderr.
  void Announce() const;
  // Stops serving, reverse of the order the parts started in: requests first (the gateway
  // listeners drain while parked requests get 8 s; then gRPC), then what they used (the
  // gateway's peers and JWKS refresher), then the API (its watch streams, then its listener),
  // and the controller last: requests held for a model scaled to zero resume through it.
  void Shutdown();

 private:
  struct Parts;
  std::unique_ptr<Parts> p_;
};

}  // namespace ferry::main
