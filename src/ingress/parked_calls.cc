#include "ingress/parked_calls.h"

namespace ferry::ingress {

ParkedCalls::ParkedCalls(const GatewayPipeline* pipeline,
                         std::shared_ptr<gateway::AsyncHttpClient> http, Options options)
    : pipeline_(pipeline), http_(std::move(http)), options_(options) {}

ParkedCalls::~ParkedCalls() {
  Shutdown(std::chrono::milliseconds(0));
  // Completions refer to this object: wait for those still on their way.
  std::unique_lock<std::mutex> lock(mu_);
  drained_.wait(lock, [&] { return callbacks_pending_ == 0; });
}

size_t ParkedCalls::parked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return parked_.size();
}

uint64_t ParkedCalls::Park(std::shared_ptr<PipelineCall> call, gateway::PendingWork work) {
  uint64_t ticket = 0;
  gateway::JwksCache* jwks = nullptr;
  Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool jwks_work = work.kind == gateway::PendingWork::Kind::kJwks;
    if (jwks_work && call->progress.view.policies) {
      jwks = call->progress.view.policies->jwks_cache();
    }
    if (closed_) {
      refused = UnavailableError("the gateway is shutting down; retry against the new instance");
    } else if (parked_.size() >= options_.max_parked) {
      refused = UnavailableError(
          "too many requests are waiting for their authorization (ext-authz or JWKS); retry "
          "later");
    } else if ((jwks_work && jwks == nullptr) || (!jwks_work && http_ == nullptr)) {
      refused = InternalError("the gateway has no client for this request's authorization");
    } else {
      ticket = next_ticket_++;
      Entry& e = parked_[ticket];
      e.call = call;
      e.kind = work.kind;
      e.provider = work.provider;
      e.jwks = jwks;
      ++callbacks_pending_;  // the completion below always calls back (or is cancelled)
      call->ticket.store(ticket, std::memory_order_release);
    }
  }
  if (ticket == 0) {
    call->Abandon(refused);
    return 0;
  }
  if (work.kind == gateway::PendingWork::Kind::kExtAuthz) {
    // The provider belongs to the snapshot the call holds: touch it only
    // while the entry (and so the call) is still here.
    uint64_t id = http_->Start(gateway::ExtAuthzHttpCall(*work.provider, work.check),
                               [this, ticket](StatusOr<gateway::HttpResult> r) {
                                 Entry e;
                                 if (std::shared_ptr<PipelineCall> c = Take(ticket, &e)) {
                                   c->progress.ext_authz =
                                       gateway::ExtAuthzResult(*e.provider, std::move(r));
                                   Resume(std::move(c));
                                 }
                                 CallbackDone();
                               });
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = parked_.find(ticket); it != parked_.end()) it->second.http_id = id;
    return ticket;
  }
  auto ready = [this, ticket](bool timed_out) {
    Entry e;
    if (std::shared_ptr<PipelineCall> c = Take(ticket, &e)) {
      c->progress.jwks_wait_over = timed_out;
      Resume(std::move(c));
    }
    CallbackDone();
  };
  uint64_t wait = jwks->WhenFetched(work.issuer, work.jwks_uri,
                                    std::chrono::steady_clock::now() + work.timeout, ready);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = parked_.find(ticket); it != parked_.end()) it->second.jwks_ticket = wait;
  return ticket;
}

void ParkedCalls::CallbackDone() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--callbacks_pending_ == 0) drained_.notify_all();
}

std::shared_ptr<PipelineCall> ParkedCalls::Take(uint64_t ticket, Entry* entry) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = parked_.find(ticket);
  if (it == parked_.end()) return nullptr;
  *entry = std::move(it->second);
  parked_.erase(it);
  if (parked_.empty()) drained_.notify_all();
  return entry->call;
}

void ParkedCalls::Resume(std::shared_ptr<PipelineCall> call) {
  PipelineCall* raw = call.get();
  raw->Post([this, call = std::move(call)] { Continue(call); });
}

void ParkedCalls::Continue(const std::shared_ptr<PipelineCall>& call) {
  GatewayInput in = call->Input();
  GatewayOutcome out = pipeline_->Evaluate(in, call->Headers(), call->progress, call->explain,
                                           call->explain ? &call->steps : nullptr);
  if (out.kind == GatewayOutcome::Kind::kPending) {
    Park(call, std::move(out.pending));
    return;
  }
  call->Finish(out);
}

void ParkedCalls::StopWork(const Entry& e) {
  if (e.http_id != 0 && http_) http_->Cancel(e.http_id);  // its callback still runs
  if (e.jwks_ticket != 0 && e.jwks != nullptr && e.jwks->CancelWait(e.jwks_ticket)) {
    CallbackDone();  // removed before it ran: it never will
  }
}

void ParkedCalls::Cancel(uint64_t ticket) {
  Entry e;
  std::shared_ptr<PipelineCall> c = Take(ticket, &e);
  if (!c) return;
  StopWork(e);
  c->Abandon(
      CancelledError("the client closed the connection while its request waited for "
                     "authorization"));
}

void ParkedCalls::Shutdown(std::chrono::milliseconds grace) {
  std::vector<Entry> left;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (closed_ && parked_.empty()) return;
    closed_ = true;
    drained_.wait_for(lock, grace, [&] { return parked_.empty(); });
    for (auto& [ticket, e] : parked_) left.push_back(std::move(e));
    parked_.clear();
  }
  for (Entry& e : left) {
    StopWork(e);
    e.call->Abandon(UnavailableError(
        "the gateway is shutting down before this request's authorization (ext-authz or JWKS) "
        "finished; retry"));
  }
}

}  // namespace ferry::ingress
