// kubeflow.org Profile (cluster-scoped; v1 stored, v1beta1 served as in
// Kubeflow's CRD, where both versions share one schema), batch/v1 Job and
// coordination.k8s.io/v1 Lease (the node's heartbeat `kubectl describe node`
// shows).
#include "api/kinds.h"

namespace ferry::api {

void AddOtherKinds(std::vector<KindInfo>* kinds) {
  KindInfo profile;
  profile.group = "kubeflow.org";
  profile.versions = {"v1", "v1beta1"};
  profile.plural = "profiles";
  profile.singular = "profile";
  profile.kind = "Profile";
  profile.namespaced = false;
  profile.status_subresource = true;
  profile.schema = R"({"spec":"*","status":"*"})";
  kinds->push_back(profile);

  KindInfo job;
  job.group = "batch";
  job.versions = {"v1"};
  job.plural = "jobs";
  job.singular = "job";
  job.kind = "Job";
  job.categories = {"all"};
  job.status_subresource = true;
  job.strategic_merge = true;
  job.schema = R"({"spec":"*","status":"*"})";
  kinds->push_back(job);

  KindInfo lease;
  lease.group = "coordination.k8s.io";
  lease.versions = {"v1"};
  lease.plural = "leases";
  lease.singular = "lease";
  lease.kind = "Lease";
  lease.columns = {{"Holder"}};
  lease.cells = [](const nlohmann::json& o) {
    return nlohmann::json::array({StringAt(o, "spec.holderIdentity")});
  };
  lease.schema = R"({"spec":"*"})";
  kinds->push_back(lease);
}

}  // namespace ferry::api
