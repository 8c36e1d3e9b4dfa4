"""KServe's (and Knative's, and Kubernetes') rules that live in code, written
again in Python for the tests, plus a structural-schema validator for KServe's
own CRDs. Everything a check decides on comes from KServe's pinned artifacts
(tests/fixtures/kserve/VERSION: the full CRDs, the stock runtimes, the
inferenceservice-config ConfigMap); only the behaviour is re-implemented here,
after reading KServe's Go sources of v0.13-v0.15:

- admission_refusal(): pkg/webhook/admission/servingruntime/servingruntime_webhook.go
  (Handle, validateModelFormatPrioritySame, validateServingRuntimePriority,
  areSupportedModelFormatsEqual)
- supporting_runtimes() / resolve_runtime(): pkg/apis/serving/v1beta1/predictor_model.go
  (GetSupportingRuntimes, RuntimeSupportsModel, the sort helpers,
  GetProtocolVersionPriority) and components/predictor.go (reconcileModel:
  an explicitly named runtime, protocol defaulting)
- merge_runtime_container(): controller/v1beta1/inferenceservice/utils/utils.go
  (MergeRuntimeContainers: strategic merge patch of corev1.Container, then
  args concatenated; ReplacePlaceholders' Go template over ObjectMeta)
- storage_initializer_container(): webhook/admission/pod/storage_initializer_injector.go
  (the init container from the ConfigMap, the kserve-container's
  securityContext copied, the ClusterStorageContainer merged over it)
- knative_refusals(): knative.dev/serving pkg/apis/serving/k8s_validation.go
  (exactly one container port, named "", http1 or h2c, not reserved; probe
  handler rules)
- restricted_refusals(): the Kubernetes "restricted" Pod Security Standard
  for one container (pod-level fields given separately).

Pure functions over plain dicts (parsed YAML), no network, no cluster.
"""
import copy
import json
import os
import re

import yaml

# The container rules (merge, templates, storage initializer, Knative, Pod Security) live in
# kserve_containers.py; they are re-exported here so callers keep one module.
from kserve_containers import (  # noqa: E402,F401
    SelectionError,
    CONTAINER_LIST_KEYS,
    MODEL_ONLY_FIELDS,
    go_container_json,
    isvc_container,
    merge_container,
    merge_runtime_container,
    render_go_template,
    kserve_container,
    storage_initializer_container,
    storage_container_for,
    KNATIVE_RESERVED_PORTS,
    KNATIVE_PORT_NAMES,
    KNATIVE_RESERVED_ENV,
    knative_refusals,
    serving_port,
    restricted_refusals,
)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ARTIFACTS = os.path.join(REPO, "tests", "fixtures", "kserve")
VERSIONS = ("v0.13.0", "v0.14.0", "v0.15.0")

# --- KServe's artifacts ------------------------------------------------------


class KServe:
    """One pinned KServe release: CRD schemas by kind, stock runtimes, config."""

    def __init__(self, version):
        self.version = version
        root = os.path.join(ARTIFACTS, version)
        self.crds = {}
        crd_dir = os.path.join(root, "crd")
        for name in sorted(os.listdir(crd_dir)):
            with open(os.path.join(crd_dir, name)) as f:
                crd = yaml.safe_load(f)
            self.crds[crd["spec"]["names"]["kind"]] = crd
        self.stock_runtimes = []
        rt_dir = os.path.join(root, "runtimes")
        for name in sorted(os.listdir(rt_dir)):
            with open(os.path.join(rt_dir, name)) as f:
                self.stock_runtimes += [d for d in yaml.safe_load_all(f) if d]
        with open(os.path.join(root, "inferenceservice-config.yaml")) as f:
            self.config = yaml.safe_load(f)

    def storage_initializer_config(self):
        return json.loads(self.config["data"]["storageInitializer"])

    @property
    def minor(self):
        return int(self.version.split(".")[1])


# --- Structural schema validation (what the API server does) -----------------

OBJECT_META_FIELDS = {"name", "generateName", "namespace", "labels", "annotations",
                      "finalizers", "ownerReferences"}
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def structural(schema):
    """An OpenAPI v3 CRD schema as a JSON Schema that refuses what a strict
    API server refuses: an object's properties are closed unless it says
    x-kubernetes-preserve-unknown-fields; an object without properties or
    additionalProperties holds nothing (the server would prune everything);
    int-or-string and nullable are spelled out."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key == "properties":
            out[key] = {k: structural(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = structural(value) if isinstance(value, dict) else value
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [structural(v) for v in value]
        else:
            out[key] = value
    preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if schema.get("x-kubernetes-embedded-resource"):
        props = out.setdefault("properties", {})
        for k in ("apiVersion", "kind"):
            props.setdefault(k, {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
    if out.get("type") == "object" and not preserve and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


PROFILE_CRD = os.path.join(REPO, "tests", "fixtures", "kubeflow", "kubeflow.org_profiles.yaml")


def load_crd(path):
    with open(path) as f:
        return yaml.safe_load(f)


class SchemaValidator:
    """Validates whole objects against a KServe release's CRDs (and any
    `extra_crds`, e.g. Kubeflow's Profile)."""

    def __init__(self, kserve, extra_crds=()):
        import jsonschema
        self.kserve = kserve
        self.validators = {}
        crds = dict(kserve.crds)
        for crd in extra_crds:
            crds[crd["spec"]["names"]["kind"]] = crd
        for kind, crd in crds.items():
            group = crd["spec"]["group"]
            for v in crd["spec"]["versions"]:
                if not v.get("served", True):
                    continue
                schema = copy.deepcopy(v["schema"]["openAPIV3Schema"])
                # metadata is ObjectMeta, checked by the server on its own.
                schema.get("properties", {}).pop("metadata", None)
                schema.setdefault("properties", {})["metadata"] = {"type": "object"}
                s = structural(schema)
                s["properties"]["metadata"] = {}
                cls = jsonschema.validators.validator_for(s, default=jsonschema.Draft7Validator)
                self.validators[(group + "/" + v["name"], kind)] = (
                    cls(s), crd["spec"]["scope"] == "Namespaced")

    def errors(self, obj):
        """Every reason the API server (strict field validation) would refuse
        `obj`, as "path: message" strings; [] when it would be accepted."""
        key = (obj.get("apiVersion"), obj.get("kind"))
        if key not in self.validators:
            served = sorted("%s %s" % k for k in self.validators)
            return ["%s/%s is not served by KServe %s (served: %s)" % (
                key[0], key[1], self.kserve.version, ", ".join(served))]
        validator, namespaced = self.validators[key]
        errs = ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message)
                for e in validator.iter_errors(obj)]
        meta = obj.get("metadata") or {}
        for field in sorted(set(meta) - OBJECT_META_FIELDS):
            errs.append("metadata.%s: not a field a client may set (server-set or unknown)" % field)
        name = meta.get("name", "")
        if not DNS1123_SUBDOMAIN.match(name) or len(name) > 253:
            errs.append("metadata.name %r: not a DNS-1123 subdomain" % name)
        if obj.get("kind") == "InferenceService" and not DNS1035_LABEL.match(name):
            errs.append("metadata.name %r: KServe requires a DNS-1035 label for an "
                        "InferenceService" % name)
        if not namespaced and "namespace" in meta:
            errs.append("metadata.namespace: %s is cluster-scoped" % obj.get("kind"))
        for field in ("labels", "annotations"):
            m = meta.get(field, {})
            if not isinstance(m, dict) or any(not isinstance(v, str) for v in m.values()):
                errs.append("metadata.%s: must map strings to strings" % field)
        return errs


# --- ServingRuntime admission (servingruntime_webhook.go) --------------------

def _auto(fmt):
    return fmt.get("autoSelect") is True


def _multi_model(spec):
    return spec.get("multiModel") is True


def _disabled(spec):
    return spec.get("disabled") is True


def _formats_equal(a, b):
    # Names compare case-insensitively; versions must both be unset or equal.
    return (a["name"].lower() == b["name"].lower()
            and a.get("version") == b.get("version"))


def _priority_same_refusal(spec):
    seen = {}
    for f in spec.get("supportedModelFormats") or []:
        if not _auto(f):
            continue
        if f["name"] in seen:
            p = seen[f["name"]]
            if p is not None and f.get("priority") is not None and p != f["priority"]:
                return "different priorities assigned for the model format %s" % f["name"]
        else:
            seen[f["name"]] = f.get("priority")
    return None


def _runtime_priority_refusal(new_spec, existing_spec, existing_name, new_name):
    if (_multi_model(new_spec) != _multi_model(existing_spec) or _disabled(existing_spec)
            or existing_name == new_name):
        return None
    new_protocols = new_spec.get("protocolVersions") or []
    if not any(p in new_protocols for p in existing_spec.get("protocolVersions") or []):
        return None
    for ef in existing_spec.get("supportedModelFormats") or []:
        for nf in new_spec.get("supportedModelFormats") or []:
            if _auto(ef) and _auto(nf) and _formats_equal(ef, nf):
                if (ef.get("priority") is not None and nf.get("priority") is not None
                        and ef["priority"] == nf["priority"]):
                    return "same priority assigned for the model format %s" % nf["name"]
    return None


def admission_refusal(new, existing):
    """KServe's validating webhook for a (Cluster)ServingRuntime create or
    update: the refusal message, or None when allowed. `existing` is what the
    webhook lists: every ClusterServingRuntime for a cluster one, the
    namespace's ServingRuntimes for a namespaced one (including `new`'s old
    self on an update)."""
    spec = new["spec"]
    name = new["metadata"]["name"]
    if _disabled(spec):
        return None
    cluster = new["kind"] == "ClusterServingRuntime"
    for other in existing:
        # As in KServe, the per-runtime check only runs inside the loop.
        msg = _priority_same_refusal(spec)
        if msg:
            return "%s under the %s %s" % (
                msg, "clusterservingruntime" if cluster else "servingruntime", name)
        msg = _runtime_priority_refusal(spec, other["spec"], other["metadata"]["name"], name)
        if msg:
            if cluster:
                return "%s in the clusterservingruntimes %s and %s" % (
                    msg, other["metadata"]["name"], name)
            return "%s in the servingruntimes %s and %s in namespace %s" % (
                msg, other["metadata"]["name"], name, new["metadata"].get("namespace", ""))
    return None


# --- Runtime selection (predictor_model.go, predictor.go) --------------------

PROTOCOL_INT = {"v1": 1, "v2": 2, "grpc-v1": 3, "grpc-v2": 4}
UNKNOWN_PROTOCOL = 5
PROTOCOL_STR = {v: k for k, v in PROTOCOL_INT.items()}


def protocol_version_priority(protocols):
    if not protocols:
        return UNKNOWN_PROTOCOL
    return min(PROTOCOL_INT.get(p, UNKNOWN_PROTOCOL) for p in protocols)


def _model_label(model_format):
    if model_format.get("version") is not None:
        return "mt:%s:%s" % (model_format["name"], model_format["version"])
    return "mt:" + model_format["name"]


def runtime_supports_model(model, spec):
    """RuntimeSupportsModel: with `runtime` named every format entry counts,
    otherwise only autoSelect ones."""
    labels = set()
    for f in spec.get("supportedModelFormats") or []:
        if model.get("runtime") is not None or _auto(f):
            labels.add("mt:" + f["name"])
            if f.get("version") is not None:
                labels.add("mt:%s:%s" % (f["name"], f["version"]))
    return _model_label(model["modelFormat"]) in labels


def protocol_supported(spec, protocol):
    protocols = spec.get("protocolVersions") or []
    return not protocol or not protocols or protocol in protocols


def _priority(spec, format_name):
    # GetPriority: the first entry with that name, whatever its version.
    for f in spec.get("supportedModelFormats") or []:
        if f["name"] == format_name:
            return f.get("priority")
    return None


def _list_order(runtimes):
    """sort{Cluster,}ServingRuntimeList: lowest protocol first, then newest
    creationTimestamp, then name (a total order)."""
    def key(rt):
        ts = rt["metadata"].get("creationTimestamp", "")
        return (protocol_version_priority(rt["spec"].get("protocolVersions")),
                _Desc(ts), rt["metadata"]["name"])
    return sorted(runtimes, key=key)


class _Desc:
    """Reverses the order of a string inside a sort key."""

    def __init__(self, s):
        self.s = s

    def __lt__(self, other):
        return self.s > other.s

    def __eq__(self, other):
        return self.s == other.s


def _by_priority(candidates, format_name):
    # sortSupportedRuntimeByPriority: declared priority first, higher first;
    # ties keep list order (sort.Slice on <= 12 items is an insertion sort).
    def key(rt):
        p = _priority(rt["spec"], format_name)
        return (1, 0) if p is None else (0, -p)
    return sorted(candidates, key=key)


def model_protocol(model):
    return model.get("protocolVersion") or "v1"


def supporting_runtimes(model, namespaced, cluster, minor=15, multi_node=False):
    """GetSupportingRuntimes for a single-model predictor: namespaced
    candidates (by priority) before cluster ones (by priority). Returns names."""
    protocol = model_protocol(model)

    def candidates(runtimes):
        out = []
        for rt in _list_order(runtimes):
            spec = rt["spec"]
            if _disabled(spec) or _multi_model(spec):
                continue
            if minor >= 14 and (spec.get("workerSpec") is not None) != multi_node:
                continue
            if runtime_supports_model(model, spec) and protocol_supported(spec, protocol):
                out.append(rt)
        return _by_priority(out, model["modelFormat"]["name"])

    return ([rt["metadata"]["name"] for rt in candidates(namespaced)]
            + [rt["metadata"]["name"] for rt in candidates(cluster)])


def resolve_runtime(model, namespaced, cluster, minor=15):
    """reconcileModel: the runtime KServe uses for `model`
    (spec.predictor.model) and the protocolVersion it ends up with. Raises
    SelectionError with KServe's reason when the controller would refuse."""
    by_name = {}
    for rt in cluster:
        by_name[rt["metadata"]["name"]] = rt
    for rt in namespaced:  # GetServingRuntime: the namespace's first
        by_name[rt["metadata"]["name"]] = rt
    if model.get("runtime") is not None:
        rt = by_name.get(model["runtime"])
        if rt is None:
            raise SelectionError("No ServingRuntimes or ClusterServingRuntimes with the name: "
                                 + model["runtime"])
        spec = rt["spec"]
        if _disabled(spec):
            raise SelectionError("specified runtime %s is disabled" % model["runtime"])
        if model.get("protocolVersion") and not protocol_supported(spec, model["protocolVersion"]):
            raise SelectionError("specified runtime %s does not support specified protocol "
                                 "version" % model["runtime"])
        if not runtime_supports_model(model, spec):
            raise SelectionError("specified runtime %s does not support specified "
                                 "framework/version" % model["runtime"])
        chosen = rt
    else:
        names = supporting_runtimes(model, namespaced, cluster, minor)
        if not names:
            raise SelectionError("no runtime found to support predictor with model type: %s"
                                 % model["modelFormat"])
        chosen = by_name[names[0]]
    protocol = model.get("protocolVersion")
    if protocol is None:
        protocol = PROTOCOL_STR.get(
            protocol_version_priority(chosen["spec"].get("protocolVersions")), "")
    return chosen, protocol
