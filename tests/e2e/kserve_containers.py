"""KServe's, Knative's and Kubernetes' container rules written again in Python for the tests
(see kserve_rules.py for the sources read): the runtime/InferenceService container merge, Go
template placeholders, the storage-initializer init container, Knative's container refusals
and the "restricted" Pod Security Standard. Pure functions over plain dicts; imported through
kserve_rules.
"""
import copy
import json
import re


class SelectionError(Exception):
    """No runtime (or no kserve-container in it) can serve the InferenceService."""


# --- Container merge (utils.go MergeRuntimeContainers, ReplacePlaceholders) ---

# corev1.Container's strategic-merge list keys (patchMergeKey); other lists
# are replaced, maps merge recursively.
CONTAINER_LIST_KEYS = {"env": "name", "ports": "containerPort", "volumeMounts": "mountPath",
                       "volumeDevices": "devicePath"}
MODEL_ONLY_FIELDS = {"modelFormat", "runtime", "storageUri", "protocolVersion",
                     "runtimeVersion", "storage"}


def _merge_maps(original, patch, list_keys):
    out = copy.deepcopy(original)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif k in list_keys and isinstance(v, list) and isinstance(out.get(k), list):
            out[k] = _merge_keyed_list(out[k], v, list_keys[k])
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge_maps(out[k], v, {})
        else:
            out[k] = copy.deepcopy(v)
    return out


def _merge_keyed_list(original, patch, key):
    out = copy.deepcopy(original)
    for item in patch:
        for i, existing in enumerate(out):
            if existing.get(key) == item.get(key):
                out[i] = _merge_maps(existing, item, {})
                break
        else:
            out.append(copy.deepcopy(item))
    return out


def go_container_json(fields):
    """What json.Marshal(corev1.Container) writes for these fields: `name`
    has no omitempty, `resources` is a struct (never omitted)."""
    out = dict(fields)
    out.setdefault("name", "")
    out.setdefault("resources", {})
    return out


def isvc_container(model):
    """The corev1.Container embedded in spec.predictor.model."""
    return go_container_json({k: v for k, v in model.items() if k not in MODEL_ONLY_FIELDS})


def merge_container(original, patch):
    """StrategicMergePatch(original, patch, corev1.Container{})."""
    return _merge_maps(original, patch, CONTAINER_LIST_KEYS)


def merge_runtime_container(runtime_container, isvc_ctr):
    merged = merge_container(go_container_json(runtime_container), isvc_ctr)
    if merged.get("name", "") == "":
        merged["name"] = runtime_container.get("name", "")
    args = list(runtime_container.get("args") or []) + list(isvc_ctr.get("args") or [])
    if args:
        merged["args"] = args
    else:
        merged.pop("args", None)
    if merged.get("resources") == {}:
        del merged["resources"]
    return merged


_ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}")


def render_go_template(text, meta):
    """ReplacePlaceholders: Go's template over the container's JSON with the
    InferenceService's ObjectMeta as data ({{.Name}}, {{.Namespace}},
    {{.Labels.k}}, {{.Annotations.k}}). Other actions raise ValueError."""
    def sub(m):
        parts = m.group(1).split(".")
        if parts[0] != "" or len(parts) < 2:
            raise ValueError("unsupported template action %r" % m.group(0))
        field = parts[1]
        if field in ("Name", "Namespace") and len(parts) == 2:
            return meta.get(field.lower(), "")
        if field in ("Labels", "Annotations") and len(parts) == 3:
            value = (meta.get(field.lower()) or {}).get(parts[2])
            return "" if value is None else value
        raise ValueError("unsupported template action %r" % m.group(0))
    return _ACTION.sub(sub, text)


def kserve_container(runtime, isvc):
    """The kserve-container of the predictor pod KServe builds for `isvc`
    served by `runtime`: merged, then templated."""
    containers = runtime["spec"].get("containers") or []
    base = [c for c in containers if c.get("name") == "kserve-container"]
    if not base:
        raise SelectionError("failed to find kserve-container in ServingRuntime containers")
    merged = merge_runtime_container(base[0], isvc_container(isvc["spec"]["predictor"]["model"]))
    return json.loads(render_go_template(json.dumps(merged), isvc["metadata"]))


# --- Storage initializer (storage_initializer_injector.go) --------------------

def storage_initializer_container(kserve, storage_uri, user_container, csc=None):
    """The storage-initializer init container: built from the
    inferenceservice-config ConfigMap with args [SRC, /mnt/models], the
    kserve-container's securityContext copied, then the matching
    ClusterStorageContainer's container merged over it (name kept)."""
    cfg = kserve.storage_initializer_config()
    init = {
        "name": "storage-initializer",
        "image": cfg["image"],
        "args": [storage_uri, "/mnt/models"],
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": [{"name": "kserve-provision-location", "mountPath": "/mnt/models"}],
        "resources": {"limits": {"cpu": cfg["cpuLimit"], "memory": cfg["memoryLimit"]},
                      "requests": {"cpu": cfg["cpuRequest"], "memory": cfg["memoryRequest"]}},
    }
    if user_container.get("securityContext") is not None:
        init["securityContext"] = copy.deepcopy(user_container["securityContext"])
    if csc is not None:
        merged = merge_container(init, go_container_json(csc["spec"]["container"]))
        if merged.get("name", "") == "":
            merged["name"] = init["name"]
        init = merged
    return init


def storage_container_for(uri, storage_containers):
    """The ClusterStorageContainers that claim `uri` (KServe uses the first it
    lists; the order is not defined)."""
    out = []
    for csc in storage_containers:
        spec = csc["spec"]
        if spec.get("workloadType", "initContainer") != "initContainer":
            continue
        for f in spec.get("supportedUriFormats") or []:
            if ("prefix" in f and uri.startswith(f["prefix"])) or (
                    "regex" in f and re.match(f["regex"], uri)):
                out.append(csc)
                break
    return out


# --- Knative Serving's container rules (k8s_validation.go) --------------------

KNATIVE_RESERVED_PORTS = {8012, 8013, 8022, 9090, 9091, 8008}
KNATIVE_PORT_NAMES = {"", "http1", "h2c"}
KNATIVE_RESERVED_ENV = {"K_SERVICE", "K_CONFIGURATION", "K_REVISION"}


def knative_refusals(container):
    """Why Knative would refuse `container` as a revision's only (serving)
    container; [] when accepted."""
    errs = []
    ports = container.get("ports") or []
    if len(ports) > 1:
        errs.append("more than one container port is set (%s): Knative allows a single port"
                    % ", ".join(str(p.get("containerPort")) for p in ports))
    port = dict(ports[0]) if ports else {}
    if ports:
        if port.get("name", "") not in KNATIVE_PORT_NAMES:
            errs.append("port name %r is not allowed (empty, http1 or h2c)" % port.get("name"))
        if port.get("protocol", "TCP") != "TCP":
            errs.append("port protocol %r is not allowed" % port.get("protocol"))
        if port.get("containerPort") in KNATIVE_RESERVED_PORTS:
            errs.append("%d is a reserved port" % port["containerPort"])
    port.setdefault("name", "http")
    port.setdefault("containerPort", 8080)
    for env in container.get("env") or []:
        if env.get("name") in KNATIVE_RESERVED_ENV:
            errs.append("env %s is reserved by Knative" % env["name"])
    for kind in ("livenessProbe", "readinessProbe"):
        probe = container.get(kind)
        if probe is None:
            continue
        handlers = [h for h in ("httpGet", "tcpSocket", "exec", "grpc") if h in probe]
        if len(handlers) != 1:
            errs.append("%s: exactly one of httpGet, tcpSocket, exec, grpc" % kind)
        for h in ("httpGet", "tcpSocket"):
            p = (probe.get(h) or {}).get("port")
            if isinstance(p, str) and p != port["name"]:
                errs.append("%s.%s.port %r must match container port" % (kind, h, p))
        if kind == "readinessProbe":
            period = probe.get("periodSeconds", 0)
            if probe.get("successThreshold", 0) < 1:
                errs.append("readinessProbe.successThreshold must be >= 1")
            if period == 0:
                for f in ("failureThreshold", "timeoutSeconds"):
                    if probe.get(f, 0) != 0:
                        errs.append("readinessProbe.%s is disallowed when periodSeconds is zero"
                                    % f)
            else:
                for f in ("timeoutSeconds", "failureThreshold"):
                    if probe.get(f, 0) < 1:
                        errs.append("readinessProbe.%s must be >= 1" % f)
    return errs


def serving_port(container):
    ports = container.get("ports") or []
    return ports[0] if ports else {"name": "", "containerPort": 8080}


# --- Pod Security Standards, "restricted" (one container) ---------------------

def restricted_refusals(container, pod_security_context=None):
    """Why a namespace enforcing the "restricted" Pod Security level would
    refuse a pod with this container (pod-level securityContext optional)."""
    pod = pod_security_context or {}
    sc = container.get("securityContext") or {}
    errs = []
    if sc.get("privileged"):
        errs.append("privileged")
    if sc.get("allowPrivilegeEscalation") is not False:
        errs.append("allowPrivilegeEscalation != false")
    caps = sc.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        errs.append("capabilities.drop does not include ALL")
    extra = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
    if extra:
        errs.append("capabilities.add %s" % sorted(extra))
    non_root = sc.get("runAsNonRoot", pod.get("runAsNonRoot"))
    if non_root is not True:
        errs.append("runAsNonRoot != true")
    if sc.get("runAsUser", pod.get("runAsUser")) == 0:
        errs.append("runAsUser = 0")
    seccomp = (sc.get("seccompProfile") or pod.get("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        errs.append("seccompProfile.type is %r, not RuntimeDefault or Localhost" % seccomp)
    for p in container.get("ports") or []:
        if p.get("hostPort"):
            errs.append("hostPort %s" % p["hostPort"])
    return errs
