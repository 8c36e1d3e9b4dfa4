#include "store/resource_store.h"

#include <deque>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "store/label_index.h"
#include "store/persister.h"
#include "store/write_behind.h"

namespace ferry::store {
namespace {

using nlohmann::json;

std::string Key(std::string_view resource, std::string_view ns, std::string_view name) {
  std::string k;
  k.reserve(resource.size() + ns.size() + name.size() + 2);
  k.append(resource).push_back('\0');
  k.append(ns).push_back('\0');
  k.append(name);
  return k;
}

std::string Prefix(std::string_view resource) { return std::string(resource) + '\0'; }

std::string MetaString(const json& obj, const char* field) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  auto f = m->find(field);
  return f != m->end() && f->is_string() ? f->get<std::string>() : std::string();
}

ObjectPtr Stamp(json obj, int64_t rv) {
  obj["metadata"]["resourceVersion"] = std::to_string(rv);
  return std::make_shared<const json>(std::move(obj));
}

std::string Describe(std::string_view resource, std::string_view ns, std::string_view name) {
  std::string s = std::string(resource) + " \"";
  if (!ns.empty()) s += std::string(ns) + "/";
  return s + std::string(name) + "\"";
}

class SubscriptionImpl : public Subscription {
 public:
  SubscriptionImpl(std::string resource, Selector sel, EventCallback cb)
      : resource(std::move(resource)), selector(std::move(sel)), callback_(std::move(cb)) {}
  void Cancel() override {
    std::lock_guard<std::recursive_mutex> l(mu_);
    cancelled_ = true;
  }
  // Returns false once cancelled (the store then drops it).
  bool Deliver(const WatchEvent& e) {
    std::lock_guard<std::recursive_mutex> l(mu_);
    if (cancelled_) return false;
    if (selector.Matches(*e.object)) callback_(e);
    return !cancelled_;
  }

  const std::string resource;
  const Selector selector;

 private:
  std::recursive_mutex mu_;  // held while the callback runs; recursive so it may Cancel itself
  bool cancelled_ = false;
  EventCallback callback_;
};

struct RingEvent {
  std::string resource;
  WatchEvent event;
};

class StoreImpl : public ResourceStore {
 public:
  StoreImpl(std::unique_ptr<Persister> persister, size_t ring_size)
      : persister_(std::move(persister)), ring_size_(ring_size) {}

  Status Load() {
    if (!persister_) return OkStatus();
    ASSIGN_OR_RETURN(int64_t rev, persister_->LoadAll([&](std::string_view resource,
                                                          std::string_view body) -> Status {
      json obj = json::parse(body, nullptr, false);
      if (obj.is_discarded()) {
        return DataLossError("object store: a stored " + std::string(resource) +
                             " is not valid JSON; restore the data directory from a backup");
      }
      int64_t rv = ResourceVersionOf(obj);
      if (rv > revision_) revision_ = rv;
      std::string key = Key(resource, MetaString(obj, "namespace"), MetaString(obj, "name"));
      auto stored = std::make_shared<const json>(std::move(obj));
      Replace(resource, key, std::move(stored));
      return OkStatus();
    }));
    if (rev > revision_) revision_ = rev;
    ring_floor_ = revision_;
    writer_ = std::make_unique<WriteBehind>(std::move(persister_));
    return OkStatus();
  }

  StatusOr<ObjectPtr> Get(std::string_view resource, std::string_view ns,
                          std::string_view name) const override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = objects_.find(Key(resource, ns, name));
    if (it == objects_.end()) return NotFoundError(Describe(resource, ns, name) + " not found");
    return it->second;
  }

  StatusOr<ListResult> List(std::string_view resource, const Selector& selector) const override {
    ListResult out;
    std::lock_guard<std::mutex> l(mu_);
    std::string prefix = Prefix(resource);
    if (!selector.ns.empty()) prefix += selector.ns + '\0';
    out.resource_version = revision_;
    if (const std::set<std::string>* keys = IndexedCandidates(resource, selector)) {
      for (auto k = keys->lower_bound(prefix);
           k != keys->end() && k->compare(0, prefix.size(), prefix) == 0; ++k) {
        auto it = objects_.find(*k);
        if (it != objects_.end() && selector.Matches(*it->second)) out.items.push_back(it->second);
      }
      return out;
    }
    for (auto it = objects_.lower_bound(prefix);
         it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      if (selector.Matches(*it->second)) out.items.push_back(it->second);
    }
    return out;
  }

  StatusOr<ObjectPtr> Create(std::string_view resource, json object) override {
    std::string ns = MetaString(object, "namespace"), name = MetaString(object, "name");
    if (name.empty()) return InvalidArgumentError("object store: metadata.name is required");
    std::lock_guard<std::mutex> l(mu_);
    std::string key = Key(resource, ns, name);
    if (objects_.count(key)) {
      return AlreadyExistsError(Describe(resource, ns, name) + " already exists");
    }
    return Commit(resource, key, ns, name, std::move(object), EventType::kAdded);
  }

  StatusOr<ObjectPtr> Update(std::string_view resource, json object, int64_t expected_rv) override {
    std::string ns = MetaString(object, "namespace"), name = MetaString(object, "name");
    std::lock_guard<std::mutex> l(mu_);
    std::string key = Key(resource, ns, name);
    auto it = objects_.find(key);
    if (it == objects_.end()) return NotFoundError(Describe(resource, ns, name) + " not found");
    RETURN_IF_ERROR(CheckVersion(*it->second, expected_rv, resource, ns, name));
    object["metadata"]["resourceVersion"] = (*it->second)["metadata"]["resourceVersion"];
    if (object == *it->second) return it->second;  // no-op: keep the resourceVersion
    return Commit(resource, key, ns, name, std::move(object), EventType::kModified);
  }

  StatusOr<ObjectPtr> Delete(std::string_view resource, std::string_view ns, std::string_view name,
                             int64_t expected_rv) override {
    std::lock_guard<std::mutex> l(mu_);
    std::string key = Key(resource, ns, name);
    auto it = objects_.find(key);
    if (it == objects_.end()) return NotFoundError(Describe(resource, ns, name) + " not found");
    RETURN_IF_ERROR(CheckVersion(*it->second, expected_rv, resource, ns, name));
    int64_t rv = revision_ + 1;
    if (writer_) {
      writer_->Queue(
          Change{std::string(resource), std::string(ns), std::string(name), nullptr, rv});
    }
    revision_ = rv;
    ObjectPtr last = Stamp(*it->second, rv);
    labels_.Remove(resource, it->first, *it->second);
    objects_.erase(it);
    Publish(resource, WatchEvent{EventType::kDeleted, last, rv});
    return last;
  }

  StatusOr<std::shared_ptr<Subscription>> Watch(std::string_view resource, Selector selector,
                                                int64_t from_rv, EventCallback cb) override {
    auto sub = std::make_shared<SubscriptionImpl>(std::string(resource), std::move(selector),
                                                  std::move(cb));
    std::lock_guard<std::mutex> l(mu_);
    if (from_rv <= 0) {
      std::string prefix = Prefix(resource);
      for (auto it = objects_.lower_bound(prefix);
           it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        sub->Deliver(WatchEvent{EventType::kAdded, it->second, ResourceVersionOf(*it->second)});
      }
    } else {
      if (from_rv < ring_floor_) {
        return OutOfRangeError("too old resource version: " + std::to_string(from_rv) + " (" +
                               std::to_string(ring_floor_) +
                               "); list again and watch from the list's resourceVersion");
      }
      for (const RingEvent& r : ring_) {
        if (r.event.resource_version > from_rv && r.resource == resource) sub->Deliver(r.event);
      }
    }
    subs_.push_back(sub);
    return std::shared_ptr<Subscription>(sub);
  }

  Status Sync() override { return writer_ ? writer_->Sync() : OkStatus(); }

  int64_t revision() const override {
    std::lock_guard<std::mutex> l(mu_);
    return revision_;
  }

 private:
  Status CheckVersion(const json& current, int64_t expected_rv, std::string_view resource,
                      std::string_view ns, std::string_view name) const {
    if (expected_rv != 0 && expected_rv != ResourceVersionOf(current)) {
      return AbortedError("Operation cannot be fulfilled on " + Describe(resource, ns, name) +
                          ": the object has been modified; please apply your changes to the "
                          "latest version and try again");
    }
    return OkStatus();
  }

  StatusOr<ObjectPtr> Commit(std::string_view resource, const std::string& key, std::string_view ns,
                             std::string_view name, json object, EventType type) {
    int64_t rv = revision_ + 1;
    ObjectPtr stored = Stamp(std::move(object), rv);
    if (writer_) {
      writer_->Queue(Change{std::string(resource), std::string(ns), std::string(name), stored, rv});
    }
    revision_ = rv;
    Replace(resource, key, stored);
    Publish(resource, WatchEvent{type, stored, rv});
    return stored;
  }

  // Stores `object` under `key`, keeping the label index in step.
  void Replace(std::string_view resource, const std::string& key, ObjectPtr object) {
    ObjectPtr& slot = objects_[key];
    if (slot) labels_.Remove(resource, key, *slot);
    labels_.Add(resource, key, *object);
    slot = std::move(object);
  }

  // The smallest indexed set that holds every match of `selector` (the
  // selector still filters it); null when the selector requires no label
  // value. An empty set when a required label is carried by nothing.
  const std::set<std::string>* IndexedCandidates(std::string_view resource,
                                                 const Selector& selector) const {
    static const std::set<std::string> kNone;
    const std::set<std::string>* best = nullptr;
    for (const auto& [key, value] : selector.labels.RequiredLabels()) {
      const std::set<std::string>* keys = labels_.Find(resource, key, value);
      if (keys == nullptr) return &kNone;
      if (best == nullptr || keys->size() < best->size()) best = keys;
    }
    return best;
  }

  void Publish(std::string_view resource, const WatchEvent& e) {
    ring_.push_back(RingEvent{std::string(resource), e});
    while (ring_.size() > ring_size_) {
      ring_floor_ = ring_.front().event.resource_version;
      ring_.pop_front();
    }
    std::erase_if(subs_, [&](const std::shared_ptr<SubscriptionImpl>& s) {
      if (s.use_count() == 1) return true;  // the owner dropped its handle
      return s->resource == resource && !s->Deliver(e);
    });
  }

  mutable std::mutex mu_;
  std::unique_ptr<Persister> persister_;  // until Load hands it to writer_
  std::unique_ptr<WriteBehind> writer_;   // null for InMemory()
  const size_t ring_size_;
  std::map<std::string, ObjectPtr> objects_;
  LabelIndex labels_;  // over objects_
  int64_t revision_ = 0;
  int64_t ring_floor_ = 0;  // events with resourceVersion <= this are not in the ring
  std::deque<RingEvent> ring_;
  std::vector<std::shared_ptr<SubscriptionImpl>> subs_;
};

}  // namespace

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
  }
  return "ERROR";
}

int64_t ResourceVersionOf(const nlohmann::json& object) {
  std::string rv = MetaString(object, "resourceVersion");
  if (rv.empty()) return 0;
  int64_t v = 0;
  for (char c : rv) {
    if (c < '0' || c > '9' || v > (INT64_MAX - 9) / 10) return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

StatusOr<std::unique_ptr<ResourceStore>> ResourceStore::Open(const std::string& path,
                                                             size_t ring_size) {
  ASSIGN_OR_RETURN(auto persister, OpenSqlitePersister(path));
  auto store = std::make_unique<StoreImpl>(std::move(persister), ring_size);
  RETURN_IF_ERROR(store->Load());
  return std::unique_ptr<ResourceStore>(std::move(store));
}

std::unique_ptr<ResourceStore> ResourceStore::InMemory(size_t ring_size) {
  return std::make_unique<StoreImpl>(nullptr, ring_size);
}

}  // namespace ferry::store
