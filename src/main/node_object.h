// The v1 Node `ferry up` writes at every start: the machine it runs on, as a
// kubelet registers it — named controller::kNodeName (the pods' spec.nodeName), the usual
// kubernetes.io labels and the control-plane role, capacity and allocatable
// (CPUs and memory of the machine, 110 pods), the four kubelet conditions
// (Ready), addresses and nodeInfo (kernel, OS image, architecture, Ferry's
// version as the runtime). Shown by `kubectl get/describe node`; `kubectl top
// node` adds the machine's usage (pod_usage.h).
//
// Who calls it: Bootstrap. Reads /proc, /etc/os-release and uname; no state.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ferry::main {

// The Node as of now, with `address` as its InternalIP and `kubelet_version`
// (the API's gitVersion) as its kubelet's.
nlohmann::json NodeObject(const std::string& address, const std::string& kubelet_version);

}  // namespace ferry::main
