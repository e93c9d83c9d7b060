"""core/v1 Events recorded for pods (deduplicated with count, like the kubelet's recorder)."""
import os

from .util import now_micro, now_rfc3339


class Recorder:
    def __init__(self, store, node_name="kubesim-node"):
        self.store = store
        self.node_name = node_name
        self.index = {}   # (uid, type, reason, message) -> (ns, name)

    def record(self, pod, etype, reason, message, component="kubelet", field_path=None, host=None):
        md = pod["metadata"]
        key = (md.get("uid"), etype, reason, message)
        now = now_rfc3339()
        hit = self.index.get(key)
        if hit and self.store.exists("events", *hit):
            def bump(ev):
                ev["count"] = ev.get("count", 1) + 1
                ev["lastTimestamp"] = now
            self.store.mutate("events", hit[0], hit[1], bump)
            return
        name = "%s.%016x" % (md["name"], int.from_bytes(os.urandom(8), "big"))
        inv = {"kind": "Pod", "namespace": md["namespace"], "name": md["name"], "uid": md.get("uid"),
               "apiVersion": "v1", "resourceVersion": md.get("resourceVersion", "")}
        if field_path:
            inv["fieldPath"] = field_path
        src = {"component": component}
        if component == "kubelet":
            src["host"] = host or pod["spec"].get("nodeName") or self.node_name
        ev = {"kind": "Event", "apiVersion": "v1",
              "metadata": {"name": name, "namespace": md["namespace"], "creationTimestamp": now},
              "involvedObject": inv, "reason": reason, "message": message, "source": src,
              "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": etype,
              "eventTime": None, "reportingComponent": component,
              "reportingInstance": src.get("host", "") if component == "kubelet" else ""}
        if component == "default-scheduler":
            ev["eventTime"] = now_micro()
            ev["reportingInstance"] = "default-scheduler-kubesim"
            ev["action"] = "Scheduling"
        self.store.create("events", ev)
        self.index[key] = (md["namespace"], name)
        if len(self.index) > 20000:
            self.index.clear()
