// kubeflow.org Profile (cluster-scoped; v1 stored, v1beta1 served as in
// Kubeflow's CRD, where both versions share one schema) and batch/v1 Job.
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
}

}  // namespace ferry::api
