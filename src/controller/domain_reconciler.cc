#include "controller/domain_reconciler.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/manifest.h"

namespace ferry::controller {

DomainConfig DomainReconciler::Read() const {
  DomainConfig config;
  config.default_domain = ctx_.options->default_domain;
  auto cm = ctx_.client->Get("v1", "ConfigMap", "knative-serving", "config-domain");
  if (!cm.ok() || !cm->contains("data") || !(*cm)["data"].is_object()) return config;
  bool have_default = false;
  for (auto& [k, v] : (*cm)["data"].items()) {
    if (k.starts_with("_") || !v.is_string()) continue;  // _example
    std::string text = v.get<std::string>();
    if (text.find("selector") == std::string::npos) {
      if (!have_default) config.default_domain = k;
      have_default = true;
      continue;
    }
    auto parsed = api::ParseOneManifest(text);
    if (!parsed.ok() || !parsed->contains("selector") || !(*parsed)["selector"].is_object()) {
      std::fprintf(stderr, "ferry: config-domain entry %s: unreadable selector, ignored\n",
                   k.c_str());
      continue;
    }
    std::map<std::string, std::string> selector;
    for (auto& [lk, lv] : (*parsed)["selector"].items()) {
      selector[lk] = lv.is_string() ? lv.get<std::string>() : lv.dump();
    }
    config.selectors.emplace_back(k, std::move(selector));
  }
  return config;
}

ReconcileResult DomainReconciler::Reconcile(const WorkKey&) {
  DomainConfig config = Read();
  if (read_once_ && config == serving_->domains()) return {};
  read_once_ = true;
  serving_->SetDomains(std::move(config));
  const DomainConfig& now = serving_->domains();
  std::fprintf(stderr, "ferry: domain for InferenceService URLs: %s%s\n",
               now.default_domain.c_str(),
               now.selectors.empty() ? "" : " (plus label-selected domains)");
  for (const auto& [key, st] : serving_->isvcs()) ctx_.queue->Add(WorkKey::Isvc(st.ns, st.name));
  serving_->PublishRoutes();
  return {};
}

}  // namespace ferry::controller
