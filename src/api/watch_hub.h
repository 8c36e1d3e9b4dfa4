// WatchHub: serves ?watch=true as a chunked stream of newline-delimited
// {"type","object"} events (plain objects or one-row Tables), and ends each
// stream at its timeoutSeconds, when the client goes away, or on Shutdown.
//
// Threads: events are written from the store's writing thread (inside the
// store's dispatch, so in resourceVersion order); a reaper thread ends expired
// or abandoned streams every 200 ms. Internal to ferry_api.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/kinds.h"
#include "http/http_types.h"
#include "store/resource_store.h"

namespace ferry::api {

struct WatchRequest {
  const KindInfo* kind = nullptr;
  std::string version;
  store::Selector selector;
  int64_t from_rv = 0;
  bool table = false;
  std::chrono::seconds timeout{1800};
};

class WatchHub {
 public:
  explicit WatchHub(store::ResourceStore* store);
  ~WatchHub();  // Shutdown()

  void Start(WatchRequest request, http::Responder responder);
  // Ends every open stream; later Start calls end at once.
  void Shutdown();
  size_t open_streams() const;

  struct Stream;

 private:
  void Reap();
  static void Finish(const std::shared_ptr<Stream>& s);

  store::ResourceStore* store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<Stream>> streams_;
  std::thread reaper_;
};

}  // namespace ferry::api
