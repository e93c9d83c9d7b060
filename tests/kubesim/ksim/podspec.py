"""Pod defaulting and validation (422 Invalid), merge/JSON patch, and kubectl Table rows."""
import copy
import os
import re
import time

from .util import (DNS1123_LABEL, DNS1123_SUBDOMAIN, ApiError, bad_request, cpu_nanos, invalid, mem_bytes,
                   new_uid, now_rfc3339, parse_quantity, parse_rfc3339)

IMAGE_RE = re.compile(r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
                      r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$")


def validate_and_default(pod, ns):
    """Return a defaulted copy of pod or raise ApiError (400/422)."""
    if not isinstance(pod, dict):
        raise bad_request("the body of the request was in an unknown format - accepted media types include: "
                          "application/json, application/yaml, application/vnd.kubernetes.protobuf")
    kind, av = pod.get("kind"), pod.get("apiVersion")
    if kind not in (None, "Pod") or av not in (None, "v1"):
        raise bad_request("the API version in the data (%s) does not match the expected API version (v1)" % av
                          if av not in (None, "v1") else 'Pod in version "v1" cannot be handled as a %s' % kind)
    pod = copy.deepcopy(pod)
    pod["kind"], pod["apiVersion"] = "Pod", "v1"
    md = pod.setdefault("metadata", {})
    spec = pod.get("spec")
    if not isinstance(md, dict) or (spec is not None and not isinstance(spec, dict)):
        raise bad_request('Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal into Go struct')
    if md.get("namespace") not in (None, "", ns):
        raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
    md["namespace"] = ns
    causes = []
    name = md.get("name")
    if not name and md.get("generateName"):
        base = str(md["generateName"])[:58]
        name = md["name"] = base + "".join(__import__("random").choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
    if not name:
        causes.append(("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"))
    elif not isinstance(name, str) or len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
        causes.append(("metadata.name", "FieldValueInvalid",
                       'Invalid value: "%s": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
                       "characters, '-' or '.', and must start and end with an alphanumeric character" % name))
    for f in ("labels", "annotations"):
        v = md.get(f)
        if v is not None and (not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values())):
            causes.append(("metadata." + f, "FieldValueInvalid", "Invalid value: must be a map of strings"))
    if spec is None:
        spec = pod["spec"] = {}
    containers = spec.get("containers")
    if not containers or not isinstance(containers, list):
        causes.append(("spec.containers", "FieldValueRequired", "Required value"))
        containers = []
    seen = set()
    for i, c in enumerate(containers):
        p = "spec.containers[%d]" % i
        if not isinstance(c, dict):
            causes.append((p, "FieldValueInvalid", "Invalid value: must be an object"))
            continue
        cn = c.get("name")
        if not cn:
            causes.append((p + ".name", "FieldValueRequired", "Required value"))
        elif not isinstance(cn, str) or not DNS1123_LABEL.match(cn) or len(cn) > 63:
            causes.append((p + ".name", "FieldValueInvalid", 'Invalid value: "%s": a lowercase RFC 1123 label must '
                           "consist of lower case alphanumeric characters or '-'" % cn))
        elif cn in seen:
            causes.append((p + ".name", "FieldValueDuplicate", 'Duplicate value: "%s"' % cn))
        seen.add(cn)
        if not c.get("image"):
            causes.append((p + ".image", "FieldValueRequired", "Required value"))
        for f in ("command", "args"):
            if c.get(f) is not None and (not isinstance(c[f], list) or not all(isinstance(x, str) for x in c[f])):
                causes.append((p + "." + f, "FieldValueInvalid", "Invalid value: must be a list of strings"))
        for j, e in enumerate(c.get("env") or []):
            if not isinstance(e, dict) or not e.get("name"):
                causes.append(("%s.env[%d].name" % (p, j), "FieldValueRequired", "Required value"))
        res = c.setdefault("resources", {}) or {}
        c["resources"] = res
        for kind_ in ("limits", "requests"):
            for rk, rv in list((res.get(kind_) or {}).items()):
                try:
                    q = parse_quantity(rv)
                    if q < 0:
                        raise ValueError("must be greater than or equal to 0")
                    if "/" in rk and "." in rk.split("/")[0] and q.denominator != 1:
                        raise ValueError("must be an integer")
                except ValueError as e:
                    causes.append(("%s.resources.%s[%s]" % (p, kind_, rk), "FieldValueInvalid",
                                   'Invalid value: "%s": %s' % (rv, e)))
        lim, req = res.get("limits") or {}, res.get("requests") or {}
        for rk, rv in lim.items():          # SetDefaults_Pod: missing requests default to limits
            req.setdefault(rk, rv)
        if req:
            res["requests"] = req
        for rk in req:
            try:
                if rk in lim and parse_quantity(req[rk]) > parse_quantity(lim[rk]):
                    causes.append(("%s.resources.requests" % p, "FieldValueInvalid",
                                   'Invalid value: "%s": must be less than or equal to %s limit of %s'
                                   % (req[rk], rk, lim[rk])))
                if "/" in rk and rk in lim and parse_quantity(req[rk]) != parse_quantity(lim[rk]):
                    causes.append(("%s.resources.requests[%s]" % (p, rk), "FieldValueInvalid",
                                   'Invalid value: "%s": must be equal to %s limit of %s' % (req[rk], rk, lim[rk])))
            except ValueError:
                pass
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        img = str(c.get("image") or "")
        c.setdefault("imagePullPolicy", "Always" if img.endswith(":latest") or ":" not in img.split("/")[-1]
                     else "IfNotPresent")
    rp = spec.setdefault("restartPolicy", "Always")
    if rp not in ("Always", "OnFailure", "Never"):
        causes.append(("spec.restartPolicy", "NotSupported",
                       'Unsupported value: "%s": supported values: "Always", "OnFailure", "Never"' % rp))
    g = spec.setdefault("terminationGracePeriodSeconds", 30)
    if not isinstance(g, int) or isinstance(g, bool):
        causes.append(("spec.terminationGracePeriodSeconds", "FieldValueInvalid", "Invalid value: must be an integer"))
    if spec.get("nodeSelector") is not None and not isinstance(spec["nodeSelector"], dict):
        causes.append(("spec.nodeSelector", "FieldValueInvalid", "Invalid value: must be a map of strings"))
    for j, t in enumerate(spec.get("tolerations") or []):
        if not isinstance(t, dict) or t.get("operator", "Equal") not in ("Equal", "Exists"):
            causes.append(("spec.tolerations[%d].operator" % j, "NotSupported",
                           'Unsupported value: supported values: "Equal", "Exists"'))
    if causes:
        raise invalid("Pod", name or "", causes)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    tols = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key for t in tols):
            tols.append({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})
    md["uid"] = new_uid()
    md["creationTimestamp"] = now_rfc3339()
    md.pop("resourceVersion", None)
    md.pop("deletionTimestamp", None)
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(pod)}
    return pod


def qos_class(pod):
    cs = pod["spec"].get("containers", [])
    any_set, guaranteed = False, True
    for c in cs:
        r = c.get("resources") or {}
        lim, req = r.get("limits") or {}, r.get("requests") or {}
        if lim or req:
            any_set = True
        for k in ("cpu", "memory"):
            if k not in lim or str(req.get(k)) != str(lim.get(k)):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _ptr(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request("invalid JSON pointer %r" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(doc, ops):
    """RFC 6902 JSON patch (add/remove/replace/test/move/copy)."""
    doc = copy.deepcopy(doc)
    if not isinstance(ops, list):
        raise bad_request("the body of a json patch must be a list of operations")

    def walk(parts):
        cur = doc
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur, parts[-1]

    def get(parts):
        cur = doc
        for p in parts:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur

    for op in ops:
        try:
            kind, parts = op["op"], _ptr(op["path"])
            if kind in ("add", "replace"):
                parent, last = walk(parts)
                if isinstance(parent, list):
                    if last == "-":
                        parent.append(copy.deepcopy(op["value"]))
                    elif kind == "add":
                        parent.insert(int(last), copy.deepcopy(op["value"]))
                    else:
                        parent[int(last)] = copy.deepcopy(op["value"])
                else:
                    if kind == "replace" and last not in parent:
                        raise KeyError(last)
                    parent[last] = copy.deepcopy(op["value"])
            elif kind == "remove":
                parent, last = walk(parts)
                del parent[int(last) if isinstance(parent, list) else last]
            elif kind == "test":
                if get(parts) != op["value"]:
                    raise ApiError(422, "Invalid", "testing value %s failed" % op["path"])
            elif kind in ("move", "copy"):
                val = copy.deepcopy(get(_ptr(op["from"])))
                if kind == "move":
                    p2, l2 = walk(_ptr(op["from"]))
                    del p2[int(l2) if isinstance(p2, list) else l2]
                parent, last = walk(parts)
                if isinstance(parent, list):
                    parent.insert(len(parent) if last == "-" else int(last), val)
                else:
                    parent[last] = val
            else:
                raise bad_request("Unexpected kind: %s" % kind)
        except ApiError:
            raise
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise ApiError(422, "Invalid", "the server rejected our request due to an error in our request: %s" % e)
    return doc


def check_update(old, new):
    """Only metadata (labels, annotations, ...) and container images may change through update/patch."""
    if not isinstance(new, dict) or not isinstance(new.get("metadata"), dict):
        raise bad_request("the body of the request was in an unknown format")
    name = old["metadata"]["name"]
    if new["metadata"].get("name", name) != name:
        raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                          % (new["metadata"].get("name"), name))
    ospec, nspec = copy.deepcopy(old.get("spec")), copy.deepcopy(new.get("spec"))
    if isinstance(nspec, dict):
        for c in nspec.get("containers") or []:
            if isinstance(c, dict):
                c.pop("image", None)
        for c in ospec.get("containers") or []:
            c.pop("image", None)
    if nspec != ospec:
        raise ApiError(422, "Invalid", 'Pod "%s" is invalid: spec: Forbidden: pod updates may not change fields '
                       "other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
                       "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
                       "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
                       % name, {"name": name, "kind": "Pod", "causes": [
                           {"reason": "FieldValueForbidden", "message": "Forbidden: pod updates may not change fields",
                            "field": "spec"}]})
    for f in ("labels", "annotations"):
        v = new["metadata"].get(f)
        if v is not None and (not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values())):
            raise invalid("Pod", name, [("metadata." + f, "FieldValueInvalid", "Invalid value: must be a map of strings")])


# ---- kubectl table output (meta.k8s.io/v1 Table) ---------------------------------------------

def _age(ts):
    t = parse_rfc3339(ts or "")
    if t is None:
        return "<unknown>"
    s = int(max(0, time.time() - t))
    if s < 120:
        return "%ds" % s
    if s < 600:
        return "%dm%ds" % (s // 60, s % 60) if s % 60 else "%dm" % (s // 60)
    if s < 3 * 3600:
        return "%dm" % (s // 60)
    if s < 48 * 3600:
        return "%dh" % (s // 3600)
    return "%dd" % (s // 86400)


def pod_display_status(pod):
    st = pod.get("status", {})
    reason = st.get("reason") or st.get("phase") or "Unknown"
    for cs in st.get("containerStatuses") or []:
        state = cs.get("state", {})
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            t = state["terminated"]
            reason = t.get("reason") or ("Signal:%d" % t["signal"] if t.get("signal") else "ExitCode:%d" % t.get("exitCode", 0))
        elif "running" in state and cs.get("ready") and reason != "Completed":
            reason = "Running"
    if reason == "Pending":
        for c in st.get("conditions", []):
            if c.get("type") == "PodScheduled" and c.get("status") == "False" and c.get("reason"):
                reason = "Pending"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _partial(obj, include):
    if include == "Object":
        return obj
    if include == "None":
        return None
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


POD_COLUMNS = [("Name", "string", "name", 0), ("Ready", "string", "", 0), ("Status", "string", "", 0),
               ("Restarts", "string", "", 0), ("Age", "string", "", 0), ("IP", "string", "", 1),
               ("Node", "string", "", 1), ("Nominated Node", "string", "", 1), ("Readiness Gates", "string", "", 1)]
NODE_COLUMNS = [("Name", "string", "name", 0), ("Status", "string", "", 0), ("Roles", "string", "", 0),
                ("Age", "string", "", 0), ("Version", "string", "", 0), ("Internal-IP", "string", "", 1),
                ("External-IP", "string", "", 1), ("OS-Image", "string", "", 1), ("Kernel-Version", "string", "", 1),
                ("Container-Runtime", "string", "", 1)]

EVENT_COLUMNS = [("Last Seen", "string", "", 0), ("Type", "string", "", 0), ("Reason", "string", "", 0),
                 ("Object", "string", "", 0), ("Message", "string", "", 0)]


def _cols(cols):
    return [{"name": n, "type": t, "format": f, "description": n, "priority": p} for n, t, f, p in cols]


def table_row(kind, obj, include):
    md = obj["metadata"]
    if kind == "pods":
        st = obj.get("status", {})
        css = st.get("containerStatuses") or []
        ready = sum(1 for c in css if c.get("ready"))
        restarts = sum(c.get("restartCount", 0) for c in css)
        rs = str(restarts)
        last = [c["lastState"]["terminated"].get("finishedAt") for c in css
                if c.get("lastState", {}).get("terminated")]
        if restarts and last and last[0]:
            rs = "%d (%s ago)" % (restarts, _age(last[0]))
        cells = [md["name"], "%d/%d" % (ready, len(obj["spec"].get("containers", []))), pod_display_status(obj), rs,
                 _age(md.get("creationTimestamp")), st.get("podIP") or "<none>", obj["spec"].get("nodeName") or "<none>",
                 "<none>", "<none>"]
    elif kind == "nodes":
        cells = [md["name"], "Ready" + (",SchedulingDisabled" if obj["spec"].get("unschedulable") else ""), "<none>",
                 _age(md.get("creationTimestamp")), "v1.32.5", "127.0.0.1", "<none>", "kubesim",
                 os.uname().release, "kubesim://1.0"]
    elif kind == "events":
        inv = obj.get("involvedObject", {})
        cells = [_age(obj.get("lastTimestamp") or md.get("creationTimestamp")), obj.get("type", ""),
                 obj.get("reason", ""), "%s/%s" % (inv.get("kind", "").lower(), inv.get("name", "")),
                 obj.get("message", "")]
    else:
        cells = [md["name"], _age(md.get("creationTimestamp"))]
    return {"cells": cells, "object": _partial(obj, include)}


def to_table(kind, objs, rv, include):
    cols = POD_COLUMNS if kind == "pods" else NODE_COLUMNS if kind == "nodes" else EVENT_COLUMNS if kind == "events" else [
        ("Name", "string", "name", 0), ("Created At", "date", "", 0)]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": _cols(cols), "rows": [table_row(kind, o, include) for o in objs]}


def wants_table(accept):
    return "as=Table" in (accept or "")


__all__ = ["validate_and_default", "merge_patch", "json_patch", "check_update", "to_table", "wants_table",
           "cpu_nanos", "mem_bytes"]
