"""Local 'container runtime': processes in their own mount/UTS namespaces and per-container cgroups."""
import ctypes
import ctypes.util
import errno
import os
import signal
import subprocess
import time

from . import forkserver, spawner

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))


def _write(path, data):
    with open(path, "w") as f:
        f.write(data)


def _read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def _stat_kv(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


class CgroupDriver:
    """Finds which cgroup layout the host has: 'v2', 'v1' or 'none' (not root / not writable)."""

    def __init__(self, instance, root="/sys/fs/cgroup"):
        self.instance, self.root, self.mode = instance, root, "none"
        if os.geteuid() != 0:
            return
        if "memory" in _read(os.path.join(root, "cgroup.controllers")).split():
            self.mode = "v2"
            self.base = {"unified": os.path.join(root, "kubesim", instance)}
        elif os.access(os.path.join(root, "memory", "cgroup.procs"), os.W_OK):
            self.mode = "v1"
            self.base = {c: os.path.join(root, c, "kubesim", instance) for c in ("memory", "cpu", "cpuacct")
                         if os.path.isdir(os.path.join(root, c))}
        if self.mode == "none":
            return
        try:
            self._sweep_stale()
            for d in self.base.values():
                for attempt in range(20):     # another instance may be removing an empty .../kubesim
                    try:
                        os.makedirs(d, exist_ok=True)
                        break
                    except FileNotFoundError:
                        if attempt == 19:
                            raise
                        time.sleep(0.01)
            if self.mode == "v2":
                for d in (os.path.join(root, "kubesim"), self.base["unified"]):
                    for c in ("+memory", "+cpu"):
                        try:
                            _write(os.path.join(d, "cgroup.subtree_control"), c)
                        except OSError:
                            pass
        except OSError:
            self.mode = "none"

    def _sweep_stale(self):
        """Remove cgroups left by kubesim instances that died without cleaning up."""
        for top in {os.path.dirname(d) for d in self.base.values()}:
            for inst in _listdir(top):
                pid = inst.split("-")[-1]
                if pid.isdigit() and not os.path.exists("/proc/" + pid):
                    _rm_tree_cg(os.path.join(top, inst))

    def new(self, name, mem_limit=None, cpu_nanos=None):
        if self.mode == "none":
            return None
        return Cgroup(self, name, mem_limit, cpu_nanos)

    def shutdown(self):
        if self.mode == "none":
            return
        for d in self.base.values():
            _rm_tree_cg(d)
            try:
                os.rmdir(os.path.dirname(d))   # .../kubesim, if no other instance uses it
            except OSError:
                pass


def _listdir(d):
    try:
        return os.listdir(d)
    except OSError:
        return []


def _rm_tree_cg(d):
    for sub in _listdir(d):
        p = os.path.join(d, sub)
        if os.path.isdir(p):
            _rm_tree_cg(p)
    for pid in _read(os.path.join(d, "cgroup.procs")).split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    for _ in range(200):
        try:
            os.rmdir(d)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)


class Cgroup:
    """One container's cgroup(s). procs_files() are written by the child before exec."""

    def __init__(self, drv, name, mem_limit, cpu_nanos):
        self.drv, self.mem_limit = drv, mem_limit
        self.dirs = {c: os.path.join(b, name) for c, b in drv.base.items()}
        for d in self.dirs.values():
            os.makedirs(d, exist_ok=True)
        if drv.mode == "v1":
            m = self.dirs.get("memory")
            if mem_limit:
                _write(os.path.join(m, "memory.limit_in_bytes"), str(mem_limit))
                if os.path.exists(os.path.join(m, "memory.memsw.limit_in_bytes")):
                    try:
                        _write(os.path.join(m, "memory.memsw.limit_in_bytes"), str(mem_limit))
                    except OSError:
                        pass
            if cpu_nanos and "cpu" in self.dirs:
                period = 100000
                _write(os.path.join(self.dirs["cpu"], "cpu.cfs_period_us"), str(period))
                _write(os.path.join(self.dirs["cpu"], "cpu.cfs_quota_us"), str(max(1000, cpu_nanos * period // 10 ** 9)))
        else:
            u = self.dirs["unified"]
            if mem_limit:
                _write(os.path.join(u, "memory.max"), str(mem_limit))
                for f, v in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                    try:
                        _write(os.path.join(u, f), v)
                    except OSError:
                        pass
            if cpu_nanos:
                try:
                    _write(os.path.join(u, "cpu.max"), "%d 100000" % max(1000, cpu_nanos * 100000 // 10 ** 9))
                except OSError:
                    pass
        self.oom_base = self.oom_kills()

    def procs_files(self):
        return [os.path.join(d, "cgroup.procs") for d in self.dirs.values()]

    def pids(self):
        d = self.dirs.get("memory") or self.dirs.get("unified")
        return [int(p) for p in _read(os.path.join(d, "cgroup.procs")).split()]

    def oom_kills(self):
        if self.drv.mode == "v1":
            return _stat_kv(_read(os.path.join(self.dirs["memory"], "memory.oom_control"))).get("oom_kill", 0)
        return _stat_kv(_read(os.path.join(self.dirs["unified"], "memory.events"))).get("oom_kill", 0)

    def cpu_ns(self):
        if self.drv.mode == "v1":
            v = _read(os.path.join(self.dirs.get("cpuacct", ""), "cpuacct.usage")).strip()
            return int(v) if v.isdigit() else None
        return _stat_kv(_read(os.path.join(self.dirs["unified"], "cpu.stat"))).get("usage_usec", 0) * 1000

    def working_set(self):
        if self.drv.mode == "v1":
            d = self.dirs["memory"]
            usage = int(_read(os.path.join(d, "memory.usage_in_bytes"), "0").strip() or 0)
            inactive = _stat_kv(_read(os.path.join(d, "memory.stat"))).get("total_inactive_file", 0)
        else:
            d = self.dirs["unified"]
            usage = int(_read(os.path.join(d, "memory.current"), "0").strip() or 0)
            inactive = _stat_kv(_read(os.path.join(d, "memory.stat"))).get("inactive_file", 0)
        return max(0, usage - inactive)

    def kill_all(self):
        """SIGKILL every process in the cgroup; True when it is empty."""
        if self.drv.mode == "v2" and os.path.exists(os.path.join(self.dirs["unified"], "cgroup.kill")):
            try:
                _write(os.path.join(self.dirs["unified"], "cgroup.kill"), "1")
            except OSError:
                pass
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return not pids

    def remove(self):
        for d in self.dirs.values():
            _rm_tree_cg(d)


# ---- process-tree helpers for the no-cgroup fallback ------------------------------------------

def proc_stat(pid):
    """(ppid, session, utime+stime+cutime+cstime ticks, rss bytes) or None."""
    s = _read("/proc/%d/stat" % pid)
    if not s:
        return None
    f = s[s.rfind(")") + 2:].split()
    return int(f[1]), int(f[3]), sum(int(x) for x in f[11:15]), int(f[21]) * PAGE


def session_pids(sids):
    out = []
    for d in _listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[1] in sids:
                out.append(int(d))
    return out


# ---- spawning --------------------------------------------------------------------------------

class Sandbox:
    """What a container's processes share: namespaces (via the main PID), cgroup, env, cwd."""

    def __init__(self, root_dir, hostname, env, workdir, cgroup, use_ns):
        self.root_dir, self.hostname, self.env, self.workdir = root_dir, hostname, env, workdir or "/"
        self.cgroup, self.use_ns = cgroup, use_ns
        self.main_pid = None
        self.sids = set()     # sessions of main + execs (fallback process tracking)

    def _enter_cgroup(self):
        if self.cgroup:
            me = str(os.getpid())
            for f in self.cgroup.procs_files():
                _write(f, me)

    def _chdir(self):
        try:
            os.makedirs(self.workdir, exist_ok=True)
        except OSError:
            pass
        os.chdir(self.workdir)

    def spawn_main(self, argv, stdout_fd):
        # The pod's directories are opened before the first bind (the state directory may itself be under /tmp,
        # /home or /root; after unshare, so that they are in the new namespace) and bound through /proc/self/fd.
        # /root only when the pod has its own.
        binds = [(d, "/" + d) for d in ("home", "tmp", "root")
                 if d != "root" or os.path.isdir(os.path.join(self.root_dir, d))]
        fs = spawner.get()
        if fs is not None:      # the fork server does what _popen_main's pre() does, in a small process
            main = {"root": self.root_dir, "binds": binds, "hostname": self.hostname} if self.use_ns else None
            p = fs.spawn(argv, self.env, self.workdir, None, stdout_fd, stdout_fd, cgroup=self._procs_files(),
                         main=main)
        else:
            p = self._popen_main(argv, stdout_fd, binds)
        self.main_pid = p.pid
        self.sids.add(p.pid)
        return p

    def _procs_files(self):
        return self.cgroup.procs_files() if self.cgroup else []

    def _popen_main(self, argv, stdout_fd, binds):
        def pre():
            self._enter_cgroup()
            if self.use_ns:
                forkserver.pod_namespaces(self.root_dir, binds, self.hostname)
            self._chdir()

        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout_fd, stderr=stdout_fd, env=self.env,
                                preexec_fn=pre, start_new_session=True, close_fds=True)

    def spawn_exec(self, argv, stdin, stdout, stderr, tty_slave=None):
        """Start a process inside the container. stdin/stdout/stderr: fds or subprocess.DEVNULL."""
        env = dict(self.env)
        if tty_slave is not None:
            env.setdefault("TERM", "xterm")
        fs = spawner.get()
        if fs is not None:      # the fork server does what _popen_exec's pre() does, in a small process
            std = [None if fd == subprocess.DEVNULL else fd for fd in (stdin, stdout, stderr)]
            p = fs.spawn(argv, env, self.workdir, *std, cgroup=self._procs_files(),
                         ns_pid=self.main_pid if self.use_ns else None, ctty=tty_slave is not None)
        else:
            p = self._popen_exec(argv, env, stdin, stdout, stderr, tty_slave)
        self.sids.add(p.pid)
        return p

    def _popen_exec(self, argv, env, stdin, stdout, stderr, tty_slave):
        nsfds = []
        if self.use_ns and self.main_pid:
            for ns in ("mnt", "uts"):
                nsfds.append(os.open("/proc/%d/ns/%s" % (self.main_pid, ns), os.O_RDONLY | os.O_CLOEXEC))

        def pre():
            self._enter_cgroup()
            for fd in nsfds:
                _check(_libc.setns(fd, 0), "setns")
            if tty_slave is not None:
                import fcntl
                import termios
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            self._chdir()

        try:
            return subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env, preexec_fn=pre,
                                    start_new_session=True, close_fds=True)
        finally:
            for fd in nsfds:
                os.close(fd)

    def pids(self):
        if self.cgroup:
            return self.cgroup.pids()
        return session_pids(self.sids)

    def kill_all(self):
        if self.cgroup:
            return self.cgroup.kill_all()
        pids = session_pids(self.sids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return not pids

    def cpu_ns(self):
        v = self.cgroup.cpu_ns() if self.cgroup else None
        if v is None:
            v = sum((proc_stat(p) or (0, 0, 0, 0))[2] for p in self.pids()) * 10 ** 9 // CLK_TCK
        return v

    def working_set(self):
        if self.cgroup:
            return self.cgroup.working_set()
        return sum((proc_stat(p) or (0, 0, 0, 0))[3] for p in self.pids())

    def oom_kills(self):
        return self.cgroup.oom_kills() - self.cgroup.oom_base if self.cgroup else 0


def exit_code(returncode):
    """Popen returncode -> container-style exit code (signal N -> 128+N)."""
    if returncode is None:
        return None
    return 128 - returncode if returncode < 0 else returncode


def signal_pgroup(pid, sig):
    try:
        os.killpg(pid, sig)
    except OSError as e:
        if e.errno != errno.ESRCH:
            pass
