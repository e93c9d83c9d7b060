"""Pod lifecycle ('kubelet' + scheduler loop): scheduling, image behaviours, processes, restarts, deletion."""
import asyncio
import hashlib
import os
import re
import shutil
import signal
import time

from . import runtime
from .execws import wait_pid
from .scheduler import schedule
from .util import cpu_nanos, mem_bytes, now_rfc3339, parse_duration
from .podspec import IMAGE_RE

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def image_behaviour(image):
    """kubesim/delay:5s -> ('delay', 5.0); kubesim/pullfail[:x] -> ('pullfail', None); else ('run', None)."""
    repo, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    last = repo.split("/")
    if len(last) >= 2 and last[-2] == "kubesim":
        if last[-1] == "delay":
            try:
                return "delay", parse_duration(tag or "5s")
            except ValueError:
                return "delay", 5.0
        if last[-1] in ("pullfail", "notfound", "missing"):
            return "pullfail", None
    return "run", None


def _expand(s, env):
    """Kubernetes $(VAR) expansion; $$ escapes."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), s)


def _root_home(path):
    """The pod's own /root, as in a Debian-based image: base-files' dot.bashrc and dot.profile, not the host's."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    for src, dst in (("dot.bashrc", ".bashrc"), ("dot.profile", ".profile")):
        d = os.path.join(path, dst)
        if not os.path.exists(d):
            try:
                shutil.copyfile(os.path.join("/usr/share/base-files", src), d)
            except OSError:
                pass


class ContainerRun:
    def __init__(self, spec):
        self.spec, self.name = spec, spec["name"]
        self.sandbox = None
        self.cgroup = None
        self.proc = None
        self.restart_count = 0
        self.state = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state = {}
        self.ready = False
        self.started_at = None
        self.container_id = ""
        self.image_id = ""

    def status(self):
        st = {"name": self.name, "state": self.state, "lastState": self.last_state, "ready": self.ready,
              "restartCount": self.restart_count, "image": self.spec["image"], "imageID": self.image_id,
              "started": "running" in self.state}
        if self.container_id:
            st["containerID"] = self.container_id
        return st


class PodRun:
    def __init__(self, pod, root_dir):
        md = pod["metadata"]
        self.ns, self.name, self.uid = md["namespace"], md["name"], md["uid"]
        self.root_dir = root_dir
        self.containers = [ContainerRun(c) for c in pod["spec"]["containers"]]
        self.restart_policy = pod["spec"].get("restartPolicy", "Always")
        self.stop = asyncio.Event()
        self.task = None
        self.terminating = None
        self.running_since = None
        self.start_time = None

    def container(self, name):
        for c in self.containers:
            if c.name == name:
                return c
        return None


class Kubelet:
    def __init__(self, store, recorder, nodes, opts, port):
        self.store, self.rec, self.nodes, self.opts, self.port = store, recorder, nodes, opts, port
        self.runs = {}                       # pod uid -> PodRun
        self.pulled = set()
        self.cg = runtime.CgroupDriver("kubesim-%d" % os.getpid()) if opts.cgroups else runtime.CgroupDriver.__new__(runtime.CgroupDriver)
        if not opts.cgroups:
            self.cg.mode = "none"
        self.use_ns = os.geteuid() == 0 and not opts.no_namespaces
        self.host_root = getattr(opts, "host_root", False)
        self.sched_changed = asyncio.Event()
        self.tasks = set()

    def _spawn(self, coro):
        t = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)
        return t

    def kick_scheduler(self):
        self.sched_changed.set()
        self.sched_changed = asyncio.Event()

    # ---- API entry points ----
    def add(self, pod):
        md = pod["metadata"]
        root = os.path.join(self.opts.dir, "pods", md["namespace"], md["name"])
        pr = PodRun(pod, root)
        self.runs[pr.uid] = pr
        pr.task = self._spawn(self._run(pr))

    def get_run(self, ns, name):
        pod = self.store.get("pods", ns, name)
        return self.runs.get(pod["metadata"]["uid"]) if pod else None

    def delete(self, uid, grace, removed):
        """removed: the object is already gone from the store (grace 0 / force)."""
        pr = self.runs.get(uid)
        if pr is None or pr.terminating is not None:
            if pr is not None and removed:
                pr.grace_deadline = time.monotonic()
                for c in pr.containers:
                    if c.sandbox:
                        c.sandbox.kill_all()
            return
        pr.terminating = self._spawn(self._terminate(pr, grace, removed))

    async def shutdown(self):
        for pr in list(self.runs.values()):
            pr.stop.set()
            for c in pr.containers:
                if c.sandbox:
                    c.sandbox.kill_all()
        for pr in list(self.runs.values()):
            if pr.task:
                pr.task.cancel()
        await asyncio.gather(*[pr.task for pr in self.runs.values() if pr.task], return_exceptions=True)
        for pr in list(self.runs.values()):
            self._cleanup(pr, keep_dir=True)
        for t in list(self.tasks):
            t.cancel()
        self.cg.shutdown()

    # ---- status ----
    def _sync(self, pr, extra=None):
        def fn(pod):
            if pod["metadata"].get("uid") != pr.uid:
                return False
            before = (pod["status"].get("phase"), pod["status"].get("containerStatuses"), pod["status"].get("conditions"))
            st = pod["status"]
            if extra:
                extra(pod)
            if pod["spec"].get("nodeName"):
                st["containerStatuses"] = [c.status() for c in pr.containers]
                st["phase"] = self._phase(pr)
                ready = all(c.ready for c in pr.containers)
                self._set_cond(st, "PodReadyToStartContainers", "True")
                self._set_cond(st, "Initialized", "True")
                if ready and st["phase"] == "Running":
                    self._set_cond(st, "Ready", "True")
                    self._set_cond(st, "ContainersReady", "True")
                else:
                    done = st["phase"] in ("Succeeded", "Failed")
                    unready = [c.name for c in pr.containers if not c.ready]
                    self._set_cond(st, "Ready", "False", "PodCompleted" if done else "ContainersNotReady",
                                   "" if done else "containers with unready status: [%s]" % " ".join(unready))
                    self._set_cond(st, "ContainersReady", "False", "PodCompleted" if done else "ContainersNotReady",
                                   "" if done else "containers with unready status: [%s]" % " ".join(unready))
                order = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
                st["conditions"].sort(key=lambda c: order.index(c["type"]) if c["type"] in order else 99)
            after = (st.get("phase"), st.get("containerStatuses"), st.get("conditions"))
            return None if (before != after or extra) else False
        return self.store.mutate("pods", pr.ns, pr.name, fn)

    @staticmethod
    def _set_cond(st, ctype, status, reason=None, message=None):
        conds = st.setdefault("conditions", [])
        for c in conds:
            if c["type"] == ctype:
                if c["status"] != status or c.get("reason") != reason:
                    c["status"], c["lastTransitionTime"] = status, now_rfc3339()
                    c.pop("reason", None)
                    c.pop("message", None)
                    if reason:
                        c["reason"] = reason
                    if message:
                        c["message"] = message
                elif message is not None and message != c.get("message", ""):
                    c["message"] = message
                return
        c = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": now_rfc3339()}
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        conds.append(c)

    def _phase(self, pr):
        cs = pr.containers
        final = [c for c in cs if "terminated" in c.state and getattr(c, "final", False)]
        if len(final) == len(cs):
            return "Succeeded" if all(c.state["terminated"]["exitCode"] == 0 for c in cs) else "Failed"
        if all(c.started_at or c.restart_count for c in cs):
            return "Running"
        return "Pending"

    # ---- lifecycle ----
    async def _sleep(self, pr, secs):
        """Sleep unless the pod is being stopped; True if the full time passed."""
        if secs <= 0:
            return not pr.stop.is_set()
        try:
            await asyncio.wait_for(pr.stop.wait(), secs)
            return False
        except asyncio.TimeoutError:
            return True

    async def _run(self, pr):
        try:
            node = await self._schedule(pr)
            if node is None:
                return
            for d in ("home", "tmp", "logs"):
                os.makedirs(os.path.join(pr.root_dir, d), exist_ok=True)
            os.chmod(os.path.join(pr.root_dir, "tmp"), 0o1777)
            if self.use_ns and not self.host_root:
                _root_home(os.path.join(pr.root_dir, "root"))
            pr.start_time = now_rfc3339()

            def started(pod):
                pod["status"]["startTime"] = pr.start_time
                pod["status"]["hostIP"] = "127.0.0.1"
                pod["status"]["hostIPs"] = [{"ip": "127.0.0.1"}]
                pod["status"]["podIP"] = "127.0.0.1"
                pod["status"]["podIPs"] = [{"ip": "127.0.0.1"}]
            self._sync(pr, started)
            await asyncio.gather(*(self._container(pr, c) for c in pr.containers))
        except asyncio.CancelledError:
            raise
        except Exception:
            import traceback
            traceback.print_exc()

    async def _schedule(self, pr):
        pod = self.store.get("pods", pr.ns, pr.name)
        last_msg = None
        while pod is not None and not pr.stop.is_set():
            if pod["spec"].get("nodeName"):
                return pod["spec"]["nodeName"]
            node, msg = schedule(pod, self.nodes, list(self.store.objs["pods"].values()))
            if node:
                def bind(p):
                    p["spec"]["nodeName"] = node
                    self._set_cond(p["status"], "PodScheduled", "True")
                self.store.mutate("pods", pr.ns, pr.name, bind)
                self.rec.record(pod, "Normal", "Scheduled", "Successfully assigned %s/%s to %s" % (pr.ns, pr.name, node),
                                component="default-scheduler")
                return node
            if msg != last_msg:
                def unsched(p):
                    self._set_cond(p["status"], "PodScheduled", "False", "Unschedulable", msg)
                self.store.mutate("pods", pr.ns, pr.name, unsched)
            self.rec.record(pod, "Warning", "FailedScheduling", msg, component="default-scheduler")
            last_msg = msg
            ev = self.sched_changed
            try:
                await asyncio.wait_for(ev.wait(), 30)
            except asyncio.TimeoutError:
                pass
            pod = self.store.get("pods", pr.ns, pr.name)
        return None

    def _pod(self, pr):
        return self.store.get("pods", pr.ns, pr.name) or {"metadata": {"name": pr.name, "namespace": pr.ns,
                                                                       "uid": pr.uid}, "spec": {}}

    def _event(self, pr, c, etype, reason, msg):
        self.rec.record(self._pod(pr), etype, reason, msg, field_path="spec.containers{%s}" % c.name if c else None)

    async def _pull(self, pr, c):
        img = c.spec["image"]
        kind, arg = image_behaviour(img)
        if not IMAGE_RE.match(img):
            msg = 'Failed to apply default image tag "%s": couldn\'t parse image reference "%s": invalid reference format' % (img, img)
            c.state = {"waiting": {"reason": "InvalidImageName", "message": msg}}
            self._event(pr, c, "Warning", "InspectFailed", msg)
            self._event(pr, c, "Warning", "Failed", "Error: InvalidImageName")
            self._sync(pr)
            await pr.stop.wait()
            return False
        if c.spec.get("imagePullPolicy") != "Always" and img in self.pulled and kind != "pullfail":
            self._event(pr, c, "Normal", "Pulled", 'Container image "%s" already present on machine' % img)
            return True
        attempt = 0
        while True:
            self._event(pr, c, "Normal", "Pulling", 'Pulling image "%s"' % img)
            if kind != "pullfail":
                t0 = time.monotonic()
                if not await self._sleep(pr, arg if kind == "delay" else self.opts.pull_delay):
                    return False
                took = "%.3fs" % (time.monotonic() - t0)
                self._event(pr, c, "Normal", "Pulled", 'Successfully pulled image "%s" in %s (%s including waiting). '
                            "Image size: 1048576 bytes." % (img, took, took))
                self.pulled.add(img)
                c.image_id = "docker.io/library/%s@sha256:%s" % (img.split(":")[0].split("/")[-1],
                                                                  hashlib.sha256(img.encode()).hexdigest())
                return True
            ref = img if "/" in img.split(":")[0] else "docker.io/library/" + img
            err = ('rpc error: code = NotFound desc = failed to pull and unpack image "%s": failed to resolve '
                   'reference "%s": %s: not found' % (ref, ref, ref))
            self._event(pr, c, "Warning", "Failed", 'Failed to pull image "%s": %s' % (img, err))
            self._event(pr, c, "Warning", "Failed", "Error: ErrImagePull")
            c.state = {"waiting": {"reason": "ErrImagePull", "message": err}}
            self._sync(pr)
            if not await self._sleep(pr, min(2.0, max(0.5, self.opts.backoff / 5))):
                return False
            delay = min(self.opts.backoff * (2 ** attempt), 300)
            self._event(pr, c, "Normal", "BackOff", 'Back-off pulling image "%s"' % img)
            self._event(pr, c, "Warning", "Failed", "Error: ImagePullBackOff")
            c.state = {"waiting": {"reason": "ImagePullBackOff",
                                   "message": 'Back-off pulling image "%s": ErrImagePull: %s' % (img, err)}}
            self._sync(pr)
            if not await self._sleep(pr, delay):
                return False
            attempt += 1

    def _env(self, pr, c):
        pod = self._pod(pr)
        env = {"PATH": DEFAULT_PATH, "HOSTNAME": pr.name, "HOME": "/root",
               "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.port),
               "KUBERNETES_SERVICE_PORT_HTTPS": str(self.port)}
        if not self.use_ns:
            env["HOME"] = os.path.join(pr.root_dir, "home")
        refs = {"metadata.name": pr.name, "metadata.namespace": pr.ns, "metadata.uid": pr.uid,
                "spec.nodeName": pod["spec"].get("nodeName", ""), "status.podIP": "127.0.0.1",
                "status.hostIP": "127.0.0.1", "spec.serviceAccountName": pod["spec"].get("serviceAccountName", "")}
        for e in c.spec.get("env") or []:
            if "value" in e:
                env[e["name"]] = _expand(str(e.get("value") or ""), env)
            elif (e.get("valueFrom") or {}).get("fieldRef"):
                env[e["name"]] = refs.get(e["valueFrom"]["fieldRef"].get("fieldPath"), "")
            else:
                env.setdefault(e["name"], "")
        return env

    def _argv(self, c, env):
        argv = list(c.spec.get("command") or []) + list(c.spec.get("args") or [])
        return [_expand(a, env) for a in argv] or ["sleep", "infinity"]

    def _start(self, pr, c):
        env = self._env(pr, c)
        lim = (c.spec.get("resources") or {}).get("limits") or {}
        if c.cgroup is None:
            c.cgroup = self.cg.new("%s-%s" % (pr.uid, c.name), mem_bytes(lim["memory"]) if "memory" in lim else None,
                                   cpu_nanos(lim["cpu"]) if "cpu" in lim else None)
        elif c.cgroup is not None:
            c.cgroup.oom_base = c.cgroup.oom_kills()
        c.mem_limit = mem_bytes(lim["memory"]) if "memory" in lim else None
        wd = c.spec.get("workingDir") or "/"
        if not self.use_ns and not c.spec.get("workingDir"):
            wd = os.path.join(pr.root_dir, "home")
        c.sandbox = runtime.Sandbox(pr.root_dir, pr.name, env, wd, c.cgroup, self.use_ns)
        logp = os.path.join(pr.root_dir, "logs", c.name + ".log")
        if os.path.exists(logp):
            os.replace(logp, logp + ".previous")
        fd = os.open(logp, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        try:
            c.proc = c.sandbox.spawn_main(self._argv(c, env), fd)
        finally:
            os.close(fd)

    async def _container(self, pr, c):
        if not await self._pull(pr, c):
            return
        while not pr.stop.is_set():
            try:
                self._start(pr, c)
            except Exception as e:  # runc-style start failure
                err = getattr(e, "strerror", None) or str(e)
                msg = ('failed to create containerd task: failed to create shim task: OCI runtime create failed: '
                       'runc create failed: unable to start container process: exec: "%s": %s'
                       % ((self._argv(c, {}) or ["?"])[0], err))
                c.state = {"terminated": {"exitCode": 128, "reason": "StartError", "message": msg,
                                          "startedAt": "1970-01-01T00:00:00Z", "finishedAt": now_rfc3339()}}
                self._event(pr, c, "Warning", "Failed", "Error: " + msg)
                rc, oom, started = 128, False, None
            else:
                c.container_id = "containerd://%064x" % int.from_bytes(os.urandom(32), "big")
                c.started_at = started = now_rfc3339()
                c.state = {"running": {"startedAt": started}}
                c.ready = True
                if pr.running_since is None:
                    pr.running_since = time.time()
                self._event(pr, c, "Normal", "Created", "Created container: %s" % c.name)
                self._event(pr, c, "Normal", "Started", "Started container %s" % c.name)
                self._sync(pr)
                rc, oom = await self._wait_main(pr, c)
                c.ready = False
                if oom:
                    self._event(pr, c, "Warning", "OOMKilling", "Memory cgroup out of memory: Killed process %d (%s) "
                                "in container %s of pod %s/%s" % (c.proc.pid, self._argv(c, {})[0][:15], c.name, pr.ns, pr.name))
                c.state = {"terminated": {"exitCode": rc, "reason": "OOMKilled" if oom else ("Completed" if rc == 0 else "Error"),
                                          "startedAt": started, "finishedAt": now_rfc3339(), "containerID": c.container_id}}
            self.kick_scheduler()
            if pr.stop.is_set() or pr.restart_policy == "Never" or (pr.restart_policy == "OnFailure" and rc == 0):
                c.final = True
                self._sync(pr)
                return
            # restart with CrashLoopBackOff (first restart immediately, then base*2^n, max 300 s)
            c.last_state = {"terminated": c.state["terminated"]}
            delay = 0 if c.restart_count == 0 else min(self.opts.backoff * 2 ** (c.restart_count - 1), 300)
            c.restart_count += 1
            if delay > 0:
                c.state = {"waiting": {"reason": "CrashLoopBackOff",
                                       "message": "back-off %s restarting failed container=%s pod=%s_%s(%s)"
                                       % (_dur(delay), c.name, pr.name, pr.ns, pr.uid)}}
                self._event(pr, c, "Warning", "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)"
                            % (c.name, pr.name, pr.ns, pr.uid))
                self._sync(pr)
                if not await self._sleep(pr, delay):
                    c.state = {"terminated": c.last_state["terminated"]}
                    c.final = True
                    self._sync(pr)
                    return
            self._event(pr, c, "Normal", "Pulled", 'Container image "%s" already present on machine' % c.spec["image"])

    async def _wait_main(self, pr, c):
        waiter = asyncio.get_running_loop().create_task(wait_pid(c.proc))
        oom = False
        sb = c.sandbox
        try:
            while not waiter.done():
                await asyncio.wait([waiter], timeout=0.2 if c.mem_limit else None)
                if waiter.done():
                    break
                if (sb.cgroup and sb.oom_kills() > 0) or (not sb.cgroup and sb.working_set() > c.mem_limit):
                    oom = True     # like memory.oom.group=1: the whole container goes
                    sb.kill_all()
        except asyncio.CancelledError:
            waiter.cancel()
            raise
        rc = runtime.exit_code(waiter.result())
        if sb.cgroup and sb.oom_kills() > 0:
            oom = True
        await self._kill_sandbox(sb)    # the container's end takes every process in it (execs too)
        if oom:
            rc = 137
        return rc, oom

    async def _kill_sandbox(self, sb, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not sb.kill_all() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def _terminate(self, pr, grace, removed):
        pr.grace_deadline = time.monotonic() + grace
        for c in pr.containers:
            if "running" in c.state:
                self._event(pr, c, "Normal", "Killing", "Stopping container %s" % c.name)
        pr.stop.set()
        for c in pr.containers:
            if c.proc is not None and c.proc.poll() is None:
                try:
                    os.kill(c.proc.pid, signal.SIGKILL if grace <= 0 else signal.SIGTERM)
                except OSError:
                    pass
        try:
            while not pr.task.done():
                left = pr.grace_deadline - time.monotonic()
                if left <= 0:
                    break
                await asyncio.wait([pr.task], timeout=min(left, 0.5))
        finally:
            for c in pr.containers:
                if c.sandbox:
                    await self._kill_sandbox(c.sandbox)
            try:
                await asyncio.wait_for(asyncio.shield(pr.task), 10)
            except Exception:
                pr.task.cancel()
            for c in pr.containers:
                if "running" in c.state or "waiting" in c.state:
                    c.state = {"terminated": {"exitCode": 137 if "running" in c.state else 0,
                                              "reason": "Error" if "running" in c.state else "Completed",
                                              "startedAt": c.started_at or now_rfc3339(), "finishedAt": now_rfc3339()}}
                c.final, c.ready = True, False
            if not removed:
                self._sync(pr)
                self.store.delete("pods", pr.ns, pr.name)
            self._cleanup(pr)
            self.kick_scheduler()

    def _cleanup(self, pr, keep_dir=False):
        self.runs.pop(pr.uid, None)
        for c in pr.containers:
            if c.cgroup:
                c.cgroup.remove()
                c.cgroup = None
        same = any((r.ns, r.name) == (pr.ns, pr.name) for r in self.runs.values())
        if not keep_dir and not self.opts.keep_pod_dirs and not same:
            shutil.rmtree(pr.root_dir, ignore_errors=True)


def _dur(sec):
    sec = int(sec)
    if sec < 60:
        return "%ds" % sec
    return "%dm%ds" % (sec // 60, sec % 60)
