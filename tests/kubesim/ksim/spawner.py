"""kubesim's side of the fork server (forkserver.py): start it, ask it for processes, learn their exits."""
import array
import asyncio
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forkserver.py")
REPLY_TIMEOUT = 30.0
_spawner = None


class Proc:
    """What kubesim uses of a Popen (pid, poll(), returncode) for a process the fork server started.

    The exit status arrives as a message; the server keeps the zombie (so the pid and its process group stay
    reserved, as with an unpolled Popen) until poll() has handed the status out."""

    def __init__(self, spawner, pid):
        self.spawner, self.pid = spawner, pid
        self.returncode = None
        self._rc = None
        self._waiters = []

    def _exited(self, rc):
        self._rc = rc
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters = []

    def poll(self):
        if self.returncode is None and self._rc is not None:
            self.returncode = self._rc
            self.spawner.reap(self.pid)
        return self.returncode

    async def wait_async(self):
        while self._rc is None:
            fut = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            await fut
        return self.poll()


class Spawner:
    def __init__(self):
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for s in (a, b):
            try:    # room for one large request (a pod's environment); root may exceed wmem_max
                s.setsockopt(socket.SOL_SOCKET, 32, 8 << 20)    # SO_SNDBUFFORCE
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        try:
            self.server = subprocess.Popen([sys.executable, "-I", "-S", SERVER, str(b.fileno())], pass_fds=[b.fileno()],
                                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
        finally:
            b.close()
        self.sock = a
        self.sock.setblocking(False)
        self.procs = {}       # pid -> Proc, until its exit was seen
        self.replies = {}     # request id -> reply
        self.next_id = 1
        self.loop = None
        self.dead = False

    def attach(self, loop):
        """Exit messages are read on the loop from now on."""
        self.loop = loop
        loop.add_reader(self.sock.fileno(), self._drain)

    def _dispatch(self, msg):
        op = msg.get("op")
        if op == "exit":
            p = self.procs.pop(msg["pid"], None)
            if p is not None:
                p._exited(msg["rc"])
        elif op in ("spawned", "failed") and msg.get("id") is not None:
            if op == "spawned":     # registered now: its exit may be in the same read
                msg["proc"] = self.procs[msg["pid"]] = Proc(self, msg["pid"])
            self.replies[msg["id"]] = msg
        else:
            print("kubesim: fork server: %s" % msg.get("what", msg), file=sys.stderr)

    def _drain(self):
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self._lost()
                return
            self._dispatch(json.loads(data))

    def _lost(self):
        """The server died (a bug): its processes cannot be waited for any more; kill them and say so."""
        if self.dead:
            return
        self.dead = True
        if self.loop is not None:
            self.loop.remove_reader(self.sock.fileno())
        print("kubesim: the fork server exited; %d process(es) killed" % len(self.procs), file=sys.stderr)
        for pid, p in list(self.procs.items()):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            p._exited(-signal.SIGKILL)
        self.procs.clear()

    def _send(self, msg, fds=()):
        data = json.dumps(msg).encode()
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        deadline = time.monotonic() + REPLY_TIMEOUT
        while True:
            try:
                self.sock.sendmsg([data], anc)
                return
            except (BlockingIOError, InterruptedError):
                if time.monotonic() > deadline:
                    raise OSError(0, "fork server not reading")
                select.select([], [self.sock], [], 1)

    def spawn(self, argv, env, cwd, stdin, stdout, stderr, cgroup=(), ns_pid=None, ctty=False, main=None):
        """Start argv; stdin/stdout/stderr are fds or None (/dev/null). Returns a Proc once it has exec'd;
        raises OSError like Popen (FileNotFoundError for a missing binary, errno and the step otherwise)."""
        if self.dead:
            raise OSError(0, "the fork server is gone")
        fds, stdio = [], []
        for fd in (stdin, stdout, stderr):
            if fd is None:
                stdio.append(-1)
            else:
                if fd not in fds:
                    fds.append(fd)
                stdio.append(fds.index(fd))
        rid, self.next_id = self.next_id, self.next_id + 1
        self._send({"op": "spawn", "id": rid, "argv": list(argv), "env": dict(env), "cwd": cwd,
                    "cgroup": list(cgroup), "ns_pid": ns_pid, "ctty": ctty, "stdio": stdio, "main": main}, fds)
        deadline = time.monotonic() + REPLY_TIMEOUT
        while rid not in self.replies:      # exit messages met on the way are handled as on the loop
            if self.dead:
                raise OSError(0, "the fork server is gone")
            if not select.select([self.sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise OSError(0, "no answer from the fork server")
            self._drain()
        r = self.replies.pop(rid)
        if r["op"] == "failed":
            err = r.get("errno") or 0
            if r.get("exec"):
                raise OSError(err, os.strerror(err), argv[0])
            raise OSError(err, "%s: %s" % (r.get("what"), os.strerror(err)) if err else r.get("what"))
        return r["proc"]

    def reap(self, pid):
        if not self.dead:
            try:
                self._send({"op": "reap", "pid": pid})
            except OSError:
                pass

    def close(self):
        if self.loop is not None and not self.dead and not self.loop.is_closed():
            self.loop.remove_reader(self.sock.fileno())
        self.dead = True
        self.sock.close()
        try:
            self.server.wait(5)     # it reaps what has exited and waits up to 3 s for the rest
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()


def start(loop):
    """Start the fork server (kubesim start-up); pods spawned before or without it use Popen."""
    global _spawner
    if _spawner is None:
        _spawner = Spawner()
        _spawner.attach(loop)
    return _spawner


def get():
    return _spawner if _spawner is not None and not _spawner.dead else None


def stop():
    global _spawner
    if _spawner is not None:
        _spawner.close()
        _spawner = None
