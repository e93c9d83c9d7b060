"""Nodes (from the --nodes file) and a filter-only scheduler with kube-scheduler's messages."""
import os

import yaml

from .util import cpu_nanos, format_bytes, format_nanocores, mem_bytes, new_uid, now_rfc3339


def _alloc_value(res, q):
    return cpu_nanos(q) if res == "cpu" else mem_bytes(q)


def default_nodes():
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return [{"name": "kubesim-node", "allocatable": {"cpu": str(os.cpu_count() or 1), "memory": format_bytes(mem),
                                                     "pods": "110"}}]


def load_nodes(path):
    """YAML or JSON: {nodes: [...]} or a bare list; each {name, labels, taints, allocatable, unschedulable}."""
    if not path:
        specs = default_nodes()
    else:
        with open(path) as f:
            doc = yaml.safe_load(f)
        specs = doc.get("nodes", []) if isinstance(doc, dict) else doc
        if not isinstance(specs, list) or not specs:
            raise ValueError("%s: expected a non-empty list of nodes (or {nodes: [...]})" % path)
    nodes = []
    for i, s in enumerate(specs):
        if not isinstance(s, dict) or not s.get("name"):
            raise ValueError("node #%d: 'name' is required" % i)
        alloc = {str(k): str(v) for k, v in (s.get("allocatable") or s.get("capacity") or {}).items()}
        alloc.setdefault("cpu", str(os.cpu_count() or 1))
        alloc.setdefault("memory", default_nodes()[0]["allocatable"]["memory"])
        alloc.setdefault("pods", "110")
        for k, v in alloc.items():
            _alloc_value(k, v)     # validates
        labels = {"kubernetes.io/hostname": s["name"], "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
        labels.update({str(k): str(v) for k, v in (s.get("labels") or {}).items()})
        taints = []
        for t in s.get("taints") or []:
            if t.get("effect") not in ("NoSchedule", "NoExecute", "PreferNoSchedule"):
                raise ValueError("node %s: taint effect must be NoSchedule, NoExecute or PreferNoSchedule" % s["name"])
            taints.append({k: str(t[k]) for k in ("key", "value", "effect") if t.get(k) is not None})
        nodes.append(node_object(s["name"], labels, taints, alloc, bool(s.get("unschedulable"))))
    return nodes


def node_object(name, labels, taints, alloc, unschedulable):
    spec = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    t = now_rfc3339()
    return {"kind": "Node", "apiVersion": "v1",
            "metadata": {"name": name, "uid": new_uid(), "creationTimestamp": t, "labels": labels},
            "spec": spec,
            "status": {"capacity": dict(alloc), "allocatable": dict(alloc),
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status", "lastHeartbeatTime": t,
                                       "lastTransitionTime": t}],
                       "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                                     {"type": "Hostname", "address": name}],
                       "nodeInfo": {"kubeletVersion": "v1.32.5", "operatingSystem": "linux", "architecture": "amd64",
                                    "containerRuntimeVersion": "kubesim://1.0", "kernelVersion": os.uname().release,
                                    "osImage": "kubesim"}}}


def pod_requests(pod):
    """Sum of container requests: {'cpu': nanocores, 'memory': bytes, '<ext>': int}."""
    req = {}
    for c in pod["spec"].get("containers", []):
        for k, v in ((c.get("resources") or {}).get("requests") or {}).items():
            req[k] = req.get(k, 0) + _alloc_value(k, v)
    return req


def _tolerates(tols, taint):
    for t in tols or []:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        op = t.get("operator", "Equal")
        if op == "Exists":
            if not t.get("key") or t["key"] == taint.get("key"):
                return True
        elif t.get("key") == taint.get("key") and (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def _node_reasons(pod, node, used):
    """Reasons this node does not fit (first failing filter, like the default scheduler); [] if it fits."""
    spec = pod["spec"]
    if node["spec"].get("unschedulable"):
        if not _tolerates(spec.get("tolerations"), {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}):
            return ["node(s) were unschedulable"], False
    for taint in node["spec"].get("taints", []):
        if taint["effect"] in ("NoSchedule", "NoExecute") and not _tolerates(spec.get("tolerations"), taint):
            return ["node(s) had untolerated taint {%s: %s}" % (taint.get("key", ""), taint.get("value", ""))], False
    labels = node["metadata"].get("labels", {})
    for k, v in (spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return ["node(s) didn't match Pod's node affinity/selector"], False
    alloc = node["status"]["allocatable"]
    reasons = []
    if used.get("pods", 0) + 1 > int(_alloc_value("pods", alloc.get("pods", "110"))):
        reasons.append("Too many pods")
    for res, amount in sorted(pod_requests(pod).items()):
        if amount <= 0:
            continue
        have = _alloc_value(res, alloc[res]) if res in alloc else 0
        if used.get(res, 0) + amount > have:
            reasons.append("Insufficient %s" % res)
    return reasons, True


def schedule(pod, nodes, pods):
    """Return (node_name, None) or (None, message) using the scheduler's FitError wording."""
    used = {n["metadata"]["name"]: {} for n in nodes}
    for p in pods:
        nn = p["spec"].get("nodeName")
        if nn in used and p["status"].get("phase") not in ("Succeeded", "Failed") and p is not pod:
            u = used[nn]
            u["pods"] = u.get("pods", 0) + 1
            for k, v in pod_requests(p).items():
                u[k] = u.get(k, 0) + v
    hist, preempt = {}, {}
    for n in nodes:
        reasons, resolvable = _node_reasons(pod, n, used[n["metadata"]["name"]])
        if not reasons:
            return n["metadata"]["name"], None
        for r in reasons:
            hist[r] = hist.get(r, 0) + 1
        key = "No preemption victims found for incoming pod" if resolvable else "Preemption is not helpful for scheduling"
        preempt[key] = preempt.get(key, 0) + 1
    total = len(nodes)
    msg = "0/%d nodes are available: %s." % (total, ", ".join(sorted("%d %s" % (v, k) for k, v in hist.items())))
    msg += " preemption: 0/%d nodes are available: %s." % (
        total, ", ".join(sorted("%d %s" % (v, k) for k, v in preempt.items())))
    return None, msg


def describe_alloc(alloc):
    return {k: (format_nanocores(v) if k == "cpu" else format_bytes(v) if k == "memory" else str(v))
            for k, v in alloc.items()}
