// JwksCache (jwks.h): key sets fetched and refreshed off the request path.
//
// DESIGN: one mutex guards every entry and waiter; nothing is fetched under
// it. The refresher thread wakes at the earliest of (a refresh due, a waiter's
// deadline, a first fetch asked for), starts due fetches through
// JwksFetcher::FetchAsync and goes back to sleep; a fetch's completion
// (on the fetcher's thread) stores the keys and calls the waiters of that key
// set. Fetches in flight are counted so that the destructor can wait for
// their callbacks, which refer to the cache.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "gateway/jwks.h"

namespace ferry::gateway {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct JwksCache::Entry {
  std::string issuer;
  std::string jwks_uri;  // "" = discover from the issuer
  std::chrono::milliseconds timeout{5000};  // of the last Find; guarded by the cache's mu_
  std::chrono::milliseconds fetch_timeout{5000};  // of the fetch running; set before it starts
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

struct JwksCache::Waiter {
  std::shared_ptr<Entry> entry;
  Clock::time_point deadline;
  Ready ready;
};

namespace {

std::string KeyOf(const std::string& issuer, const std::string& jwks_uri) {
  return jwks_uri.empty() ? "issuer:" + issuer : jwks_uri;
}

}  // namespace

JwksCache::JwksCache(std::shared_ptr<JwksFetcher> fetcher, Options options)
    : fetcher_(std::move(fetcher)), options_(std::move(options)) {}

JwksCache::~JwksCache() {
  Shutdown();
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return fetches_in_flight_ == 0; });
}

Clock::time_point JwksCache::Now() const {
  return options_.clock ? options_.clock() : Clock::now();
}

std::shared_ptr<JwksCache::Entry> JwksCache::EntryFor(const std::string& issuer,
                                                      const std::string& jwks_uri) {
  auto& e = entries_[KeyOf(issuer, jwks_uri)];
  if (!e) {
    e = std::make_shared<Entry>();
    e->issuer = issuer;
    e->jwks_uri = jwks_uri;
  }
  return e;
}

void JwksCache::EnsureThread() {
  if (!options_.background || thread_.joinable() || stopping_) {
    return;
  }
  thread_ = std::thread([this] {
    for (;;) {
      Clock::time_point next = RunDue();
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) {
        return;
      }
      // The wait is measured on the real clock whatever Options::clock is.
      auto wait = std::clamp<Clock::duration>(next - Now(), std::chrono::milliseconds(1),
                                              std::chrono::seconds(60));
      changed_.wait_for(lock, wait, [&] { return stopping_ || kicked_; });
      kicked_ = false;
    }
  });
}

JwksCache::Lookup JwksCache::Find(const std::string& issuer, const std::string& jwks_uri,
                                  std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mu_);
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
    kicked_ = true;
    EnsureThread();
    changed_.notify_all();
  }
  return {nullptr, true};
}

uint64_t JwksCache::WhenFetched(const std::string& issuer, const std::string& jwks_uri,
                                Clock::time_point deadline, Ready ready) {
  bool stopped = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped = stopping_;
    std::shared_ptr<Entry> e = EntryFor(issuer, jwks_uri);
    if (!e->first_done && !stopping_) {
      uint64_t ticket = next_ticket_++;
      e->waiters.push_back(ticket);
      waiters_[ticket] = std::make_shared<Waiter>(Waiter{e, deadline, std::move(ready)});
      if (!e->fetching) {
        e->wanted = true;
      }
      kicked_ = true;
      EnsureThread();
      changed_.notify_all();
      return ticket;
    }
  }
  ready(/*timed_out=*/stopped);
  return 0;
}

bool JwksCache::CancelWait(uint64_t ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.erase(ticket) > 0;
}

std::shared_ptr<const Jwks> JwksCache::Get(const std::string& issuer, const std::string& jwks_uri,
                                           std::chrono::milliseconds timeout) {
  Lookup found = Find(issuer, jwks_uri, timeout);
  if (!found.pending) {
    return found.keys;
  }
  if (!options_.background) {
    RunDue();  // fetches on this thread (or starts an asynchronous fetch)
  }
  std::unique_lock<std::mutex> lock(mu_);
  std::shared_ptr<Entry> e = EntryFor(issuer, jwks_uri);
  changed_.wait_for(lock, timeout, [&] { return e->first_done || stopping_; });
  return e->keys ? e->keys : Jwks::Empty();
}

Clock::time_point JwksCache::RunDue() {
  Clock::time_point now = Now();
  Clock::time_point next = now + std::chrono::hours(1);
  std::vector<std::shared_ptr<Entry>> due;
  std::vector<std::shared_ptr<Waiter>> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      Entry& e = *it->second;
      bool waited_on = false;
      for (uint64_t t : e.waiters) {
        waited_on = waited_on || waiters_.count(t) > 0;
      }
      if (!e.fetching && !waited_on && e.first_done && now - e.last_used > options_.evict_unused) {
        it = entries_.erase(it);
        continue;
      }
      if (!e.fetching && (e.wanted || (e.first_done && now >= e.next_fetch))) {
        e.wanted = false;
        e.fetching = true;
        e.fetch_timeout = e.timeout;
        ++fetches_in_flight_;
        due.push_back(it->second);
      } else if (!e.fetching && e.first_done) {
        next = std::min(next, e.next_fetch);
      }
      ++it;
    }
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second->deadline <= now) {
        expired.push_back(std::move(it->second));
        it = waiters_.erase(it);
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

void JwksCache::StartFetch(const std::shared_ptr<Entry>& e) {
  ++fetch_count_;
  if (!e->jwks_uri.empty()) {
    return FetchKeys(e, e->jwks_uri);
  }
  std::string base = e->issuer;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  fetcher_->FetchAsync(
      base + "/.well-known/openid-configuration", e->fetch_timeout,
      [this, e](StatusOr<std::string> doc) {
        if (!doc.ok()) {
          return Fetched(e, doc.status(), "");
        }
        json j = json::parse(*doc, nullptr, false);
        auto it = j.is_object() ? j.find("jwks_uri") : j.end();
        if (!j.is_object() || it == j.end() || !it->is_string()) {
          return Fetched(e,
                         InvalidArgumentError("OIDC discovery for issuer " + e->issuer +
                                              " has no string jwks_uri; fix: set jwksUri or jwks"),
                         "");
        }
        FetchKeys(e, it->get<std::string>());
      });
}

void JwksCache::FetchKeys(const std::shared_ptr<Entry>& e, const std::string& uri) {
  fetcher_->FetchAsync(uri, e->fetch_timeout, [this, e, uri](StatusOr<std::string> body) {
    Fetched(e, std::move(body), uri);
  });
}

void JwksCache::Fetched(const std::shared_ptr<Entry>& e, StatusOr<std::string> body,
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
    std::lock_guard<std::mutex> lock(mu_);
    Clock::time_point now = Now();
    if (keys) {
      if (e->keys && e->keys_text != *body) {
        generation_.fetch_add(1, std::memory_order_acq_rel);
      }
      e->keys = std::move(keys);
      e->keys_text = std::move(*body);
      e->error.clear();
      e->backoff = std::chrono::seconds(0);
      e->next_fetch = now + options_.refresh_interval;
    } else {
      e->error = err.message();
      e->backoff = e->backoff.count() == 0 ? options_.retry_initial
                                           : std::min(e->backoff * 2, options_.retry_max);
      e->next_fetch = now + e->backoff;
    }
    e->fetching = false;
    e->first_done = true;
    for (uint64_t t : e->waiters) {
      auto it = waiters_.find(t);
      if (it != waiters_.end()) {
        ready.push_back(std::move(it->second));
        waiters_.erase(it);
      }
    }
    e->waiters.clear();
    --fetches_in_flight_;
    kicked_ = true;
    changed_.notify_all();
  }
  for (auto& w : ready) {
    w->ready(false);
  }
}

void JwksCache::Shutdown() {
  std::vector<std::shared_ptr<Waiter>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
    for (auto& [t, w] : waiters_) {
      left.push_back(std::move(w));
    }
    waiters_.clear();
    changed_.notify_all();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
  for (auto& w : left) {
    w->ready(true);
  }
}

std::string JwksCache::LastError(const std::string& issuer, const std::string& jwks_uri) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(KeyOf(issuer, jwks_uri));
  return it == entries_.end() ? std::string() : it->second->error;
}

std::shared_ptr<JwksCache> DefaultJwksCache() {
  static auto* cache =
      new std::shared_ptr<JwksCache>(std::make_shared<JwksCache>(MakeCurlJwksFetcher()));
  return *cache;
}

}  // namespace ferry::gateway
