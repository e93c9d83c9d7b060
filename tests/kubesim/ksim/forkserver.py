"""Fork server: a small separate process that starts pod processes (fork, cgroup, namespaces, exec) for kubesim.

Run as its own interpreter (`python3 -I -S forkserver.py FD`, stdlib only, ~10 MB) so that starting a process
forks this small process instead of kubesim's (large, with a thread-unsafe asyncio loop and preexec_fn in Python).
FD is one end of an AF_UNIX SOCK_SEQPACKET pair; one JSON message per packet, stdio fds as SCM_RIGHTS.

Requests (kubesim -> server):
  {"op": "spawn", "id": N, "argv": [...], "env": {...}, "cwd": DIR, "cgroup": [procs files], "ns_pid": PID|null,
   "ctty": bool, "stdio": [i, i, i] (index into the passed fds, -1 = /dev/null),
   "main": null | {"root": DIR, "binds": [[sub, target], ...], "hostname": NAME}}
  {"op": "reap", "pid": P}            the exit was seen: release the zombie (keeps the pid reserved until then)
Replies:
  {"op": "spawned", "id": N, "pid": P}                   the process has exec'd
  {"op": "failed", "id": N, "errno": E, "what": TEXT, "exec": bool}
  {"op": "exit", "pid": P, "rc": RC}                     Popen-style returncode (-SIG when killed), sent once
The child does what subprocess.Popen(start_new_session=True, close_fds=True, preexec_fn=...) did: setsid, cgroup
entry, unshare+binds+hostname (main) or setns into the main process's mnt/uts namespaces (exec), TIOCSCTTY,
chdir, SIGPIPE/SIGXFSZ default, other fds closed, execvpe with the given environment's PATH. Exec errors come back
through a close-on-exec pipe before the reply, so a missing binary is an error of the spawn, as with Popen.
When kubesim goes away (EOF), the server exits; the processes it started keep running (kubesim's cgroup sweep
and last-resort kill handle them, as for processes whose parent died).
"""
import array
import ctypes
import json
import os
import select
import signal
import socket
import sys
import time
import warnings     # noqa: F401 - os.get_exec_path() imports it: once here, not in every child

CLONE_NEWNS, CLONE_NEWUTS = 0x00020000, 0x04000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
TIOCSCTTY = 0x540E
MAX_MSG = 8 << 20
MAX_FDS = 3

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


class StepError(Exception):
    def __init__(self, err, what):
        super().__init__(err, what)
        self.err, self.what = err, what


def _check(rc, what):
    if rc != 0:
        raise StepError(ctypes.get_errno(), what)


def _step(what, fn, *args):
    try:
        return fn(*args)
    except OSError as e:
        raise StepError(e.errno or 0, what) from None


def _write(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def pod_namespaces(root, binds, hostname):
    """A pod's main process: new mount and UTS namespaces, / private, the pod's own directories (root/sub, for
    each [sub, target] of binds) bound over the host's, its hostname. Here in the child, and in kubesim's
    preexec_fn when it runs without this server (runtime.py)."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWUTS), "unshare")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    opened = [(_step("open " + d, os.open, os.path.join(root, d), os.O_PATH | os.O_DIRECTORY), t.encode())
              for d, t in binds]
    for fd, target in opened:
        _check(_libc.mount(b"/proc/self/fd/%d" % fd, target, None, MS_BIND | MS_REC, None),
               "bind " + target.decode())
        os.close(fd)
    name = hostname.encode()
    _check(_libc.sethostname(name, len(name)), "sethostname")


def _child(req, fds, errw):
    """In the forked child: set up and exec; never returns."""
    stage = "exec"
    try:
        stage = "setup"
        os.setsid()
        me = str(os.getpid()).encode()
        for f in req.get("cgroup") or []:
            # cgroup v1: "0" into tasks moves this (single) thread without the kernel's threadgroup lock, whose
            # write side waits for an RCU grace period (7-12 ms per attach on this kernel, 1.3 ms this way).
            tasks = os.path.join(os.path.dirname(f), "tasks")
            if os.path.basename(f) == "cgroup.procs" and os.path.exists(tasks):
                _step("enter cgroup " + tasks, _write, tasks, b"0")
            else:
                _step("enter cgroup " + f, _write, f, me)
        m = req.get("main")
        if m:
            pod_namespaces(m["root"], m["binds"], m["hostname"])
        elif req.get("ns_pid"):
            for ns in ("mnt", "uts"):
                fd = _step("open ns " + ns, os.open, "/proc/%d/ns/%s" % (req["ns_pid"], ns), os.O_RDONLY)
                _check(_libc.setns(fd, 0), "setns " + ns)
                os.close(fd)
        devnull = None
        src = []
        for i in req["stdio"]:
            if i < 0:
                if devnull is None:
                    devnull = os.open(os.devnull, os.O_RDWR)
                src.append(devnull)
            else:
                src.append(fds[i])
        # every source is >= 3 (fds 0-2 of this server are open), so dup2 in order cannot clobber one
        for target, fd in enumerate(src):
            os.dup2(fd, target)
        if req.get("ctty"):
            import fcntl
            _step("TIOCSCTTY", fcntl.ioctl, 0, TIOCSCTTY, 0)
        cwd = req.get("cwd") or "/"
        try:
            os.makedirs(cwd, exist_ok=True)
        except OSError:
            pass
        _step("chdir " + cwd, os.chdir, cwd)
        for s in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(s, signal.SIG_DFL)
        os.closerange(3, errw)
        os.closerange(errw + 1, 1 << 20)
        stage = "exec"
        env = {os.fsencode(k): os.fsencode(v) for k, v in req["env"].items()}
        argv = [os.fsencode(a) for a in req["argv"]]
        os.execvpe(argv[0], argv, env)
    except StepError as e:
        err, what = e.err, e.what
    except OSError as e:
        err, what = e.errno or 0, stage
    except BaseException as e:   # noqa: B902 - anything at all must end in _exit, never back in the server
        err, what = 0, "%s: %s" % (stage, e)
    try:
        os.write(errw, json.dumps({"errno": err, "what": what, "exec": stage == "exec"}).encode())
    finally:
        os._exit(255)


class Server:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray(MAX_MSG)
        self.pidfds = {}      # pidfd -> pid, for children still running
        self.zombies = {}     # pid -> pidfd, exited and reported, not yet reaped
        self.poll = select.poll()
        self.poll.register(sock, select.POLLIN)

    def send(self, msg):
        try:
            self.sock.send(json.dumps(msg).encode())
        except OSError:
            self.finish()

    def spawn(self, req, fds):
        r, w = os.pipe2(os.O_CLOEXEC)
        try:
            pid = os.fork()
        except OSError as e:
            os.close(r)
            os.close(w)
            return self.send({"op": "failed", "id": req.get("id"), "errno": e.errno, "what": "fork", "exec": False})
        if pid == 0:
            os.close(r)
            _child(req, fds, w)
        os.close(w)
        data = b""
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            data += chunk
        os.close(r)
        if data:
            os.waitpid(pid, 0)
            try:
                err = json.loads(data)
            except ValueError:
                err = {"errno": 0, "what": "setup", "exec": False}
            err.update(op="failed", id=req.get("id"))
            return self.send(err)
        pidfd = os.pidfd_open(pid)
        self.pidfds[pidfd] = pid
        self.poll.register(pidfd, select.POLLIN)
        self.send({"op": "spawned", "id": req.get("id"), "pid": pid})

    def exited(self, pidfd):
        pid = self.pidfds.pop(pidfd)
        self.poll.unregister(pidfd)
        st = os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOWAIT)
        rc = st.si_status if st.si_code == os.CLD_EXITED else -st.si_status
        self.zombies[pid] = pidfd
        self.send({"op": "exit", "pid": pid, "rc": rc})

    def reap(self, pid):
        fd = self.zombies.pop(pid, None)
        if fd is not None:
            os.waitid(os.P_PIDFD, fd, os.WEXITED)
            os.close(fd)

    def request(self):
        try:
            n, anc, flags, _ = self.sock.recvmsg_into([self.buf], socket.CMSG_SPACE(MAX_FDS * 4))
        except InterruptedError:
            return
        except OSError:
            self.finish()
        fds = array.array("i")
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
        try:
            if n == 0:
                self.finish()
            if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
                raise ValueError("message truncated")
            req = json.loads(bytes(self.buf[:n]))
            if req.get("op") == "spawn":
                if any(i >= len(fds) for i in req["stdio"]):
                    raise ValueError("stdio index without a passed fd")
                self.spawn(req, list(fds))
            elif req.get("op") == "reap":
                self.reap(int(req["pid"]))
            else:
                raise ValueError("unknown op")
        except (ValueError, KeyError, TypeError) as e:
            self.send({"op": "failed", "id": None, "errno": 0, "what": "bad request: %s" % e, "exec": False})
        finally:
            for fd in fds:
                os.close(fd)

    def finish(self):
        """kubesim is gone. Reap what has exited; a process still running gets up to 3 s (kubesim killed every
        pod on a clean shutdown), then is left to init, as processes whose parent died always were."""
        try:
            self.poll.unregister(self.sock)
        except KeyError:
            pass
        for fd in self.zombies.values():
            os.waitid(os.P_PIDFD, fd, os.WEXITED)
        deadline = time.monotonic() + 3
        while self.pidfds and time.monotonic() < deadline:
            for fd, _ in self.poll.poll(max(1, int((deadline - time.monotonic()) * 1000))):
                if fd in self.pidfds:
                    os.waitid(os.P_PIDFD, fd, os.WEXITED)
                    self.poll.unregister(fd)
                    del self.pidfds[fd]
        sys.exit(0)

    def run(self):
        sfd = self.sock.fileno()
        while True:
            for fd, ev in self.poll.poll():
                if fd == sfd:
                    self.request()
                elif fd in self.pidfds:
                    self.exited(fd)


def _default_signals():
    """Children inherit default dispositions, as from a container runtime, whatever kubesim was started with
    (a shell's background job has SIGINT and SIGQUIT ignored). SIGPIPE stays ignored here (the socket)."""
    for s in signal.valid_signals():
        if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGPIPE):
            try:
                signal.signal(s, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def main():
    _default_signals()
    sock = socket.socket(fileno=int(sys.argv[1]))
    os.set_inheritable(sock.fileno(), False)
    Server(sock).run()


if __name__ == "__main__":
    main()
