// ResourceStore: the embedded object store behind Ferry's Kubernetes-compatible
// API (the etcd of `ferry up`). It holds JSON objects keyed by
// (resource, namespace, name) — `resource` is "group/plural", e.g.
// "serving.kserve.io/inferenceservices" or "core/secrets" — and stamps each
// write with a global, monotonically increasing resourceVersion, which it also
// writes into metadata.resourceVersion (as a string, like Kubernetes).
//
// The store knows nothing about kinds, defaults or validation: the API layer
// (src/api) sets uid, generation, timestamps and checks the objects; the store
// only enforces existence (AlreadyExists / NotFound) and optimistic concurrency
// (Aborted "Conflict" when the expected resourceVersion is stale). An Update
// whose object equals the stored one (ignoring metadata.resourceVersion) is a
// no-op: nothing is written and the resourceVersion does not move.
//
// Durability: Open() keeps every object in memory (control-plane data is small)
// and writes changes through to SQLite in WAL mode with synchronous=FULL by
// group commit (write_behind.h): a write returns once applied in memory (and
// published to watches); a writer thread commits everything written meanwhile
// in one transaction, outside the store's mutex. Sync() waits until every
// write made before it is on disk: the API server calls it before it answers
// a write, so an acknowledged write survives kill -9 and power loss, while the
// controller's own stream of status and derived-object writes shares fsyncs
// instead of paying one each (after a crash it recomputes them). InMemory() is
// the same store without the file, for unit tests.
//
// Lists with a label selector that requires key=value read a label index
// (label_index.h) instead of scanning the collection.
//
// Watch: every change becomes an event in an in-memory ring of the last
// `ring_size` events. Watch(from_rv) replays ring events newer than from_rv and
// then delivers live ones; from_rv 0 first sends ADDED for every current
// object; a from_rv older than the ring (e.g. after a restart) fails with
// OutOfRange ("too old resource version", HTTP 410 Expired in the API).
//
// Threads: all methods are thread-safe. One mutex serialises writes and the
// dispatch of events, so callbacks see events in resourceVersion order. Event
// callbacks run on the writing thread with that mutex held: they must be quick
// and must not call back into the store (queue the event instead, as
// EventQueue does). Subscription::Cancel may be called from any thread,
// including from inside its own callback; after it returns (outside the
// callback) the callback is never called again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/selector.h"

namespace ferry::store {

// Stored objects are immutable once written; readers share them.
using ObjectPtr = std::shared_ptr<const nlohmann::json>;

struct ListResult {
  std::vector<ObjectPtr> items;  // sorted by namespace, then name
  int64_t resource_version = 0;  // the store revision the list reflects
};

enum class EventType { kAdded, kModified, kDeleted };
std::string_view EventTypeName(EventType type);  // "ADDED", ...

struct WatchEvent {
  EventType type = EventType::kAdded;
  ObjectPtr object;  // for kDeleted: the last state, stamped with the deletion's resourceVersion
  int64_t resource_version = 0;
};

using EventCallback = std::function<void(const WatchEvent&)>;

class Subscription {
 public:
  virtual ~Subscription() = default;
  virtual void Cancel() = 0;
};

class ResourceStore {
 public:
  static constexpr size_t kDefaultRingSize = 4096;

  // Opens (creating if needed) the SQLite database at `path`.
  static StatusOr<std::unique_ptr<ResourceStore>> Open(const std::string& path,
                                                       size_t ring_size = kDefaultRingSize);
  static std::unique_ptr<ResourceStore> InMemory(size_t ring_size = kDefaultRingSize);
  virtual ~ResourceStore() = default;

  virtual StatusOr<ObjectPtr> Get(std::string_view resource, std::string_view ns,
                                  std::string_view name) const = 0;
  virtual StatusOr<ListResult> List(std::string_view resource, const Selector& selector) const = 0;
  // `object` must carry metadata.name (and metadata.namespace for namespaced data).
  virtual StatusOr<ObjectPtr> Create(std::string_view resource, nlohmann::json object) = 0;
  // expected_rv 0 = unconditional. Returns the stored object (unchanged on a no-op).
  virtual StatusOr<ObjectPtr> Update(std::string_view resource, nlohmann::json object,
                                     int64_t expected_rv) = 0;
  virtual StatusOr<ObjectPtr> Delete(std::string_view resource, std::string_view ns,
                                     std::string_view name, int64_t expected_rv) = 0;
  virtual StatusOr<std::shared_ptr<Subscription>> Watch(std::string_view resource,
                                                        Selector selector, int64_t from_rv,
                                                        EventCallback callback) = 0;
  virtual int64_t revision() const = 0;
  // Waits until every write made before the call is on disk; a failed disk
  // write (then and ever after) is an error naming the cause.
  virtual Status Sync() = 0;
};

// A blocking queue over Watch for in-process consumers (controllers).
class EventQueue {
 public:
  // Subscribes; the queue holds events until Next() takes them.
  static StatusOr<std::unique_ptr<EventQueue>> Start(ResourceStore* store,
                                                     std::string_view resource, Selector selector,
                                                     int64_t from_rv);
  ~EventQueue();
  // Waits up to `timeout_ms` for the next event; false on timeout or after Stop().
  bool Next(int timeout_ms, WatchEvent* event);
  void Stop();

  struct State;

 private:
  EventQueue() = default;
  std::shared_ptr<State> state_;
  std::shared_ptr<Subscription> sub_;
};

// Reads metadata.resourceVersion ("" or missing → 0; garbage → -1).
int64_t ResourceVersionOf(const nlohmann::json& object);

}  // namespace ferry::store
