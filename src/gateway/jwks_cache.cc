// JwksCache (jwks.h): key sets fetched and refreshed off the request path.
//
// DESIGN: one mutex guards every entry and waiter; nothing is fetched under
// it. The refresher thread wakes at the earliest of (a refresh due, a waiter's
// deadline, a first fetch asked for), starts due fetches through
// JwksFetcher::FetchAsync and goes back to sleep; a fetch's completion
// (on the fetcher's thread) stores the keys and calls the waiters of that key
// set. All of it lives in State, shared with the refresher thread and with
// the callbacks of fetches in flight: whichever lets go last frees it, on
// whatever thread (the handle's destructor joins the refresher thread, or
// detaches it when it runs on that very thread, e.g. a waiter's callback
// dropping the last snapshot that held the cache).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "gateway/jwks.h"

namespace ferry::gateway {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct JwksCache::State : std::enable_shared_from_this<State> {
  struct Entry {
    std::string issuer;
    std::string jwks_uri;                           // "" = discover from the issuer
    std::chrono::milliseconds timeout{5000};        // of the last Find
    std::chrono::milliseconds fetch_timeout{5000};  // of the fetch running; set as it starts
    std::shared_ptr<const Jwks> keys;
    std::string keys_text;    // the JWKS document `keys` was parsed from
    bool first_done = false;  // some fetch has ended (with keys or not)
    bool fetching = false;
    bool wanted = false;  // a first fetch was asked for and not started yet
    Clock::time_point next_fetch{};
    Clock::time_point last_used{};
    std::chrono::seconds backoff{0};
    std::string error;
    std::vector<uint64_t> waiters;
  };
  struct Waiter {
    std::shared_ptr<Entry> entry;
    Clock::time_point deadline;
    Ready ready;
  };

  State(std::shared_ptr<JwksFetcher> f, Options o) : fetcher(std::move(f)), options(std::move(o)) {}

  Lookup Find(const std::string& issuer, const std::string& jwks_uri,
              std::chrono::milliseconds timeout);
  uint64_t WhenFetched(const std::string& issuer, const std::string& jwks_uri,
                       Clock::time_point deadline, Ready ready);
  std::shared_ptr<const Jwks> Get(const std::string& issuer, const std::string& jwks_uri,
                                  std::chrono::milliseconds timeout);
  Clock::time_point RunDue();
  void Shutdown();
  std::shared_ptr<Entry> EntryFor(const std::string& issuer, const std::string& jwks_uri);
  void StartFetch(const std::shared_ptr<Entry>& e);
  void FetchKeys(const std::shared_ptr<Entry>& e, const std::string& uri);
  void Fetched(const std::shared_ptr<Entry>& e, StatusOr<std::string> body, const std::string& uri);
  void EnsureThread();
  Clock::time_point Now() const { return options.clock ? options.clock() : Clock::now(); }

  const std::shared_ptr<JwksFetcher> fetcher;
  const Options options;
  std::mutex mu;
  std::condition_variable changed;  // a fetch ended, work was queued, or shutting down
  std::map<std::string, std::shared_ptr<Entry>> entries;  // guarded by mu
  std::map<uint64_t, std::shared_ptr<Waiter>> waiters;    // guarded by mu
  uint64_t next_ticket = 1;                               // guarded by mu
  bool stopping = false;                                  // guarded by mu
  bool kicked = false;                                    // guarded by mu; work for the refresher
  std::thread thread;                                     // started under mu
  std::atomic<int> fetch_count{0};
  std::atomic<uint64_t> generation{0};
};

using Entry = JwksCache::State::Entry;
using Waiter = JwksCache::State::Waiter;

namespace {

std::string KeyOf(const std::string& issuer, const std::string& jwks_uri) {
  return jwks_uri.empty() ? "issuer:" + issuer : jwks_uri;
}

}  // namespace

JwksCache::JwksCache(std::shared_ptr<JwksFetcher> fetcher, Options options)
    : state_(std::make_shared<State>(std::move(fetcher), std::move(options))) {}

JwksCache::~JwksCache() { Shutdown(); }

JwksCache::Lookup JwksCache::Find(const std::string& issuer, const std::string& jwks_uri,
                                  std::chrono::milliseconds timeout) {
  return state_->Find(issuer, jwks_uri, timeout);
}
uint64_t JwksCache::WhenFetched(const std::string& issuer, const std::string& jwks_uri,
                                Clock::time_point deadline, Ready ready) {
  return state_->WhenFetched(issuer, jwks_uri, deadline, std::move(ready));
}
std::shared_ptr<const Jwks> JwksCache::Get(const std::string& issuer, const std::string& jwks_uri,
                                           std::chrono::milliseconds timeout) {
  return state_->Get(issuer, jwks_uri, timeout);
}
Clock::time_point JwksCache::RunDue() { return state_->RunDue(); }
void JwksCache::Shutdown() { state_->Shutdown(); }
int JwksCache::fetch_count() const { return state_->fetch_count.load(); }
uint64_t JwksCache::generation() const {
  return state_->generation.load(std::memory_order_acquire);
}

bool JwksCache::CancelWait(uint64_t ticket) {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->waiters.erase(ticket) > 0;
}

std::string JwksCache::LastError(const std::string& issuer, const std::string& jwks_uri) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->entries.find(KeyOf(issuer, jwks_uri));
  return it == state_->entries.end() ? std::string() : it->second->error;
}

std::shared_ptr<Entry> JwksCache::State::EntryFor(const std::string& issuer,
                                                  const std::string& jwks_uri) {
  auto& e = entries[KeyOf(issuer, jwks_uri)];
  if (!e) {
    e = std::make_shared<Entry>();
    e->issuer = issuer;
    e->jwks_uri = jwks_uri;
  }
  return e;
}

void JwksCache::State::EnsureThread() {
  if (!options.background || thread.joinable() || stopping) {
    return;
  }
  thread = std::thread([self = shared_from_this()] {
    for (;;) {
      Clock::time_point next = self->RunDue();
      std::unique_lock<std::mutex> lock(self->mu);
      if (self->stopping) {
        return;
      }
      // The wait is measured on the real clock whatever Options::clock is.
      auto wait = std::clamp<Clock::duration>(next - self->Now(), std::chrono::milliseconds(1),
                                              std::chrono::seconds(60));
      self->changed.wait_for(lock, wait, [&] { return self->stopping || self->kicked; });
      self->kicked = false;
    }
  });
}

JwksCache::Lookup JwksCache::State::Find(const std::string& issuer, const std::string& jwks_uri,
                                         std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<Entry> e = EntryFor(issuer, jwks_uri);
  e->last_used = Now();
  e->timeout = timeout;
  if (e->keys) {
    return {e->keys, false};
  }
  if (e->first_done) {
    return {Jwks::Empty(), false};
  }
  if (!e->fetching && !e->wanted) {
    e->wanted = true;
    kicked = true;
    EnsureThread();
    changed.notify_all();
  }
  return {nullptr, true};
}

uint64_t JwksCache::State::WhenFetched(const std::string& issuer, const std::string& jwks_uri,
                                       Clock::time_point deadline, Ready ready) {
  bool stopped = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    stopped = stopping;
    std::shared_ptr<Entry> e = EntryFor(issuer, jwks_uri);
    if (!e->first_done && !stopping) {
      uint64_t ticket = next_ticket++;
      e->waiters.push_back(ticket);
      waiters[ticket] = std::make_shared<Waiter>(Waiter{e, deadline, std::move(ready)});
      if (!e->fetching) {
        e->wanted = true;
      }
      kicked = true;
      EnsureThread();
      changed.notify_all();
      return ticket;
    }
  }
  ready(/*timed_out=*/stopped);
  return 0;
}

std::shared_ptr<const Jwks> JwksCache::State::Get(const std::string& issuer,
                                                  const std::string& jwks_uri,
                                                  std::chrono::milliseconds timeout) {
  Lookup found = Find(issuer, jwks_uri, timeout);
  if (!found.pending) {
    return found.keys;
  }
  if (!options.background) {
    RunDue();  // fetches on this thread (or starts an asynchronous fetch)
  }
  std::unique_lock<std::mutex> lock(mu);
  std::shared_ptr<Entry> e = EntryFor(issuer, jwks_uri);
  changed.wait_for(lock, timeout, [&] { return e->first_done || stopping; });
  return e->keys ? e->keys : Jwks::Empty();
}

Clock::time_point JwksCache::State::RunDue() {
  Clock::time_point now = Now();
  Clock::time_point next = now + std::chrono::hours(1);
  std::vector<std::shared_ptr<Entry>> due;
  std::vector<std::shared_ptr<Waiter>> expired;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = entries.begin(); it != entries.end();) {
      Entry& e = *it->second;
      bool waited_on = false;
      for (uint64_t t : e.waiters) {
        waited_on = waited_on || waiters.count(t) > 0;
      }
      if (!e.fetching && !waited_on && e.first_done && now - e.last_used > options.evict_unused) {
        it = entries.erase(it);
        continue;
      }
      if (!e.fetching && (e.wanted || (e.first_done && now >= e.next_fetch))) {
        e.wanted = false;
        e.fetching = true;
        e.fetch_timeout = e.timeout;
        due.push_back(it->second);
      } else if (!e.fetching && e.first_done) {
        next = std::min(next, e.next_fetch);
      }
      ++it;
    }
    for (auto it = waiters.begin(); it != waiters.end();) {
      if (it->second->deadline <= now) {
        expired.push_back(std::move(it->second));
        it = waiters.erase(it);
      } else {
        next = std::min(next, it->second->deadline);
        ++it;
      }
    }
  }
  for (auto& w : expired) {
    w->ready(true);
  }
  for (auto& e : due) {
    StartFetch(e);
  }
  return next;
}

void JwksCache::State::StartFetch(const std::shared_ptr<Entry>& e) {
  ++fetch_count;
  if (!e->jwks_uri.empty()) {
    return FetchKeys(e, e->jwks_uri);
  }
  std::string base = e->issuer;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  fetcher->FetchAsync(
      base + "/.well-known/openid-configuration", e->fetch_timeout,
      [self = shared_from_this(), e](StatusOr<std::string> doc) {
        if (!doc.ok()) {
          return self->Fetched(e, doc.status(), "");
        }
        json j = json::parse(*doc, nullptr, false);
        auto it = j.is_object() ? j.find("jwks_uri") : j.end();
        if (!j.is_object() || it == j.end() || !it->is_string()) {
          return self->Fetched(
              e,
              InvalidArgumentError("OIDC discovery for issuer " + e->issuer +
                                   " has no string jwks_uri; fix: set jwksUri or jwks"),
              "");
        }
        self->FetchKeys(e, it->get<std::string>());
      });
}

void JwksCache::State::FetchKeys(const std::shared_ptr<Entry>& e, const std::string& uri) {
  fetcher->FetchAsync(uri, e->fetch_timeout,
                      [self = shared_from_this(), e, uri](StatusOr<std::string> body) {
                        self->Fetched(e, std::move(body), uri);
                      });
}

void JwksCache::State::Fetched(const std::shared_ptr<Entry>& e, StatusOr<std::string> body,
                               const std::string& uri) {
  std::shared_ptr<const Jwks> keys;
  Status err;
  if (body.ok()) {
    JwtStatus st;
    keys = Jwks::Parse(*body, &st);
    if (!keys) {
      err = InvalidArgumentError("JWKS from " + uri + ": " + std::string(JwtStatusString(st)));
    }
  } else {
    err = body.status();
  }
  std::vector<std::shared_ptr<Waiter>> ready;
  {
    std::lock_guard<std::mutex> lock(mu);
    Clock::time_point now = Now();
    if (keys) {
      if (e->keys && e->keys_text != *body) {
        generation.fetch_add(1, std::memory_order_acq_rel);
      }
      e->keys = std::move(keys);
      e->keys_text = std::move(*body);
      e->error.clear();
      e->backoff = std::chrono::seconds(0);
      e->next_fetch = now + options.refresh_interval;
    } else {
      e->error = err.message();
      e->backoff = e->backoff.count() == 0 ? options.retry_initial
                                           : std::min(e->backoff * 2, options.retry_max);
      e->next_fetch = now + e->backoff;
    }
    e->fetching = false;
    e->first_done = true;
    for (uint64_t t : e->waiters) {
      auto it = waiters.find(t);
      if (it != waiters.end()) {
        ready.push_back(std::move(it->second));
        waiters.erase(it);
      }
    }
    e->waiters.clear();
    kicked = true;
    changed.notify_all();
  }
  for (auto& w : ready) {
    w->ready(false);
  }
}

void JwksCache::State::Shutdown() {
  std::vector<std::shared_ptr<Waiter>> left;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) {
      return;
    }
    stopping = true;
    for (auto& [t, w] : waiters) {
      left.push_back(std::move(w));
    }
    waiters.clear();
    changed.notify_all();
  }
  if (thread.joinable()) {
    if (thread.get_id() == std::this_thread::get_id()) {
      thread.detach();  // the loop sees `stopping` and ends; it holds this state
    } else {
      thread.join();
    }
  }
  for (auto& w : left) {
    w->ready(true);
  }
}

std::shared_ptr<JwksCache> DefaultJwksCache() {
  static auto* cache =
      new std::shared_ptr<JwksCache>(std::make_shared<JwksCache>(MakeCurlJwksFetcher()));
  return *cache;
}

}  // namespace ferry::gateway
