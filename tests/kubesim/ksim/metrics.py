"""metrics.k8s.io/v1beta1: PodMetrics sampled from the pods' cgroups (or process trees)."""
import asyncio
import collections
import time

from .util import format_bytes, format_nanocores, go_duration, not_found, now_rfc3339


class Metrics:
    def __init__(self, kubelet, interval=1.0, window=10.0, delay=5.0):
        self.kubelet, self.interval, self.window, self.delay = kubelet, interval, window, delay
        self.samples = collections.defaultdict(lambda: collections.deque(maxlen=max(3, int(window / interval) + 3)))

    async def run(self):
        while True:
            now = time.monotonic()
            live = set()
            for pr in list(self.kubelet.runs.values()):
                for c in pr.containers:
                    if c.sandbox is not None and "running" in c.state:
                        key = (pr.uid, c.name)
                        live.add(key)
                        try:
                            self.samples[key].append((now, time.time(), c.sandbox.cpu_ns(), c.sandbox.working_set()))
                        except Exception:
                            pass
            for key in list(self.samples):
                if key not in live:
                    del self.samples[key]
            await asyncio.sleep(self.interval)

    def pod_metrics(self, pod):
        """PodMetrics for a pod, or raise 404 NotFound like metrics-server for pods without two samples."""
        md = pod["metadata"]
        pr = self.kubelet.runs.get(md.get("uid"))
        name = "%s/%s" % (md["namespace"], md["name"])
        if (pr is None or pr.running_since is None or time.time() - pr.running_since < self.delay
                or pod["status"].get("phase") != "Running"):
            raise not_found("podmetrics", name, "metrics.k8s.io")
        containers, stamp, win = [], None, None
        for c in pr.containers:
            s = self.samples.get((pr.uid, c.name))
            if not s or len(s) < 2:
                continue
            last = s[-1]
            first = next((x for x in s if last[0] - x[0] <= self.window + 1e-6), s[0])
            if first is last:
                first = s[-2]
            dt = last[0] - first[0]
            cpu = max(0, int((last[2] - first[2]) / dt)) if dt > 0 else 0
            containers.append({"name": c.name, "usage": {"cpu": format_nanocores(cpu), "memory": format_bytes(last[3])}})
            stamp, win = last[1], dt
        if not containers:
            raise not_found("podmetrics", name, "metrics.k8s.io")
        meta = {"name": md["name"], "namespace": md["namespace"], "creationTimestamp": now_rfc3339()}
        if md.get("labels"):
            meta["labels"] = md["labels"]
        return {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": meta,
                "timestamp": now_rfc3339(stamp - win), "window": go_duration(win), "containers": containers}
