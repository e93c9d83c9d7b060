"""pods/exec over WebSocket (v5/v4.channel.k8s.io): process plumbing, tty + resize, status on channel 3."""
import asyncio
import fcntl
import json
import os
import pty
import signal
import struct
import termios

from .util import dumps
from .wsconn import OP_BIN, WSConn

EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
CHUNK = 1 << 20
F_SETPIPE_SZ = 1031
REAPERS = set()   # background tasks killing processes whose client went away


def exit_status(code, argv):
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure",
            "message": "command terminated with non-zero exit code: error executing command %s, exit code %d"
                       % ("[" + " ".join(argv) + "]", code),
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def internal_error(text):
    msg = "error executing command in container: " + text
    return {"metadata": {}, "status": "Failure", "message": "Internal error occurred: " + msg,
            "reason": "InternalError", "details": {"causes": [{"message": msg}]}, "code": 500}


def _nonblock(fd):
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)


def _pipe():
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        fcntl.fcntl(w, F_SETPIPE_SZ, CHUNK)
    except OSError:
        pass
    return r, w


async def wait_pid(proc):
    """Wait for a Popen (pidfd, no child-watcher thread) or a fork server's Proc (its exit message) to exit."""
    if proc.poll() is not None:
        return proc.returncode
    if hasattr(proc, "wait_async"):
        return await proc.wait_async()
    loop = asyncio.get_running_loop()
    fd = os.pidfd_open(proc.pid)
    fut = loop.create_future()
    loop.add_reader(fd, lambda: fut.done() or fut.set_result(None))
    try:
        while proc.poll() is None:
            await fut
            fut = loop.create_future()
            loop.remove_reader(fd)
            loop.add_reader(fd, lambda: fut.done() or fut.set_result(None))
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    return proc.returncode


async def reap(proc, tty_master=None, grace=2.0):
    """Client vanished: SIGHUP the process group (like a closed terminal), SIGKILL after grace."""
    for sig in (signal.SIGHUP, signal.SIGCONT):
        try:
            os.killpg(proc.pid, sig)
        except OSError:
            pass
    try:
        await asyncio.wait_for(wait_pid(proc), grace)
    except asyncio.TimeoutError:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        await wait_pid(proc)


class ExecSession:
    def __init__(self, request, sandbox, argv, stdin, stdout, stderr, tty, proto):
        self.request, self.sb, self.argv = request, sandbox, argv
        self.want_in, self.want_out, self.tty = stdin, stdout, tty
        self.want_err = stderr and not tty
        self.proto = proto
        self.v5 = proto.startswith("v5.")
        self.loop = asyncio.get_running_loop()
        self.proc = None
        self.in_fd = None          # our end of stdin (pipe write end or pty master)
        self.in_pending = []       # memoryviews not yet written to in_fd
        self.in_bytes = 0
        self.in_flush_soon = self.in_wait_writable = self.in_paused = False
        self.in_close_wanted = False
        self.out = {}              # fd -> channel
        self.obuf = self.oiov = self.opieces = None   # output read buffer laid out as frames (see _read_out)
        self.master = None
        self.paused = False
        self.resize_buf = b""
        self.outputs_done = asyncio.Event()
        self.progress = 0
        self.last_read = 0.0

    # ---- websocket -> process ----
    def on_message(self, op, payload):
        if op != OP_BIN or not payload:
            return
        ch = payload[0]
        if ch == 0:
            if self.in_fd is not None and not self.in_close_wanted and len(payload) > 1:
                self._write_in(memoryview(payload)[1:])
        elif ch == 4:
            self._resize(bytes(payload[1:]))
        elif ch == 255 and self.v5:
            if len(payload) != 2 or payload[1] > 4:
                self.ws.abort(1002)
            elif payload[1] == 0:
                self.in_close_wanted = True
                self._maybe_close_in()

    def _write_in(self, mv):
        """Queue stdin bytes; one writev per event-loop turn (fewer pipe wake-ups than a write per message)."""
        self.in_pending.append(mv)
        self.in_bytes += len(mv)
        if not self.in_flush_soon and not self.in_wait_writable:
            self.in_flush_soon = True
            self.loop.call_soon(self._flush_in)
        if self.in_bytes > (4 << 20) and not self.in_paused:
            self.in_paused = True
            self.ws.pause_reading()

    def _flush_in(self):
        self.in_flush_soon = False
        if self.in_fd is None:
            return
        pend = self.in_pending
        while pend:
            try:
                n = os.writev(self.in_fd, pend[:512])
            except BlockingIOError:
                break
            except OSError:          # process closed its stdin: discard like a broken pipe
                self._close_in()
                return
            self.in_bytes -= n
            while n:
                k = len(pend[0])
                if n >= k:
                    pend.pop(0)
                    n -= k
                else:
                    pend[0] = pend[0][n:]
                    n = 0
        if pend:
            if not self.in_wait_writable:
                self.in_wait_writable = True
                self.loop.add_writer(self.in_fd, self._flush_in)
            return
        if self.in_wait_writable:
            self.in_wait_writable = False
            self.loop.remove_writer(self.in_fd)
        if self.in_paused:
            self.in_paused = False
            self.ws.resume_reading()
        self._maybe_close_in()

    def _maybe_close_in(self):
        if self.in_close_wanted and not self.in_pending and not self.tty:
            self._close_in()

    def _close_in(self):
        if self.in_fd is None:
            return
        self.loop.remove_writer(self.in_fd)
        if self.in_fd != self.master:
            os.close(self.in_fd)
            self.in_fd = None
        self.in_pending, self.in_bytes, self.in_wait_writable = [], 0, False
        if self.in_paused:
            self.in_paused = False
            self.ws.resume_reading()

    def _resize(self, data):
        """Channel 4 is a stream of JSON objects; keys case-insensitive (Width/width)."""
        self.resize_buf += data
        dec = json.JSONDecoder()
        text = self.resize_buf.decode("utf-8", "replace")
        pos = 0
        while True:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            if pos >= len(text):
                break
            try:
                obj, end = dec.raw_decode(text, pos)
            except ValueError:
                if len(text) - pos > 4096:
                    pos = len(text)     # garbage: drop it
                break
            pos = end
            if isinstance(obj, dict) and self.master is not None:
                low = {str(k).lower(): v for k, v in obj.items()}
                try:
                    w, h = int(low.get("width", 0)), int(low.get("height", 0))
                    if 0 <= w < 65536 and 0 <= h < 65536:
                        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", h, w, 0, 0))
                except (TypeError, ValueError, OSError):
                    pass
        self.resize_buf = text[pos:].encode()

    # ---- process -> websocket ----
    def _out_iov(self, pieces):
        """A read buffer with room for a frame header before each message-sized piece, and its iovecs."""
        room, step = self.ws.header_room()
        buf = bytearray(pieces * (room + step))
        mv = memoryview(buf)
        self.obuf, self.oiov = buf, [mv[i * (room + step) + room:(i + 1) * (room + step)] for i in range(pieces)]

    def _read_out(self, fd, ch):
        """Pipe output straight into frame layout (readv), sent without joining: n, or 0 at EOF. The buffer grows
        (to CHUNK) while reads fill it and shrinks back when they do not, so quiet sessions hold little."""
        room, step = self.ws.header_room()
        most = max(1, CHUNK // step)
        if self.obuf is None:
            self._out_iov(min(2, most) if self.opieces is None else self.opieces)
        n = os.readv(fd, self.oiov)
        if n <= 0:
            return n
        cap = len(self.oiov) * step
        if self.ws.send_prepared(self.obuf, room, step, ch, n):
            self.obuf = None        # the transport holds it until sent: the next read gets a new one
        if n == cap and len(self.oiov) < most:
            self.opieces, self.obuf = min(most, 2 * len(self.oiov)), None
        elif n < cap // 8 and len(self.oiov) > 2:
            self.opieces, self.obuf = 2, None
        return n

    def _readable(self, fd):
        ch = self.out.get(fd)
        if ch is None:
            return
        try:
            if fd != self.master:
                n = self._read_out(fd, ch)
            else:
                data = os.read(fd, CHUNK)
                n = len(data)
                if n:
                    self.ws.send_channel(ch, data)
        except BlockingIOError:
            return
        except OSError:          # EIO on a pty master once the terminal is gone
            n = 0
        if not n:
            self._drop_out(fd)
            return
        self.progress += 1
        now = self.loop.time()
        burst, self.last_read = now - self.last_read < 0.002, now
        if not self.paused and self.ws.write_buffer_size() > (4 << 20):
            self.paused = True
            for f in self.out:
                self.loop.remove_reader(f)
            self.loop.create_task(self._resume_out())
        elif burst and n < CHUNK // 2 and not self.paused:
            # bulk output arriving in small pieces: let the pipe fill for 1 ms rather than send many small frames
            self.loop.remove_reader(fd)
            self.loop.call_later(0.001, self._rearm, fd)

    def _rearm(self, fd):
        if fd in self.out and not self.paused and not self.ws.closed:
            self.loop.add_reader(fd, self._readable, fd)

    async def _resume_out(self):
        await self.ws.drain()
        self.paused = False
        if not self.ws.closed:
            for f in self.out:
                self.loop.add_reader(f, self._readable, f)

    def _drop_out(self, fd):
        self.loop.remove_reader(fd)
        self.out.pop(fd, None)
        if fd != self.master:
            os.close(fd)
        if not self.out:
            self.outputs_done.set()

    def _close_all(self):
        for fd in list(self.out):
            self._drop_out(fd)
        if self.in_fd is not None and self.in_fd != self.master:
            self._close_in()
        if self.master is not None:
            self.loop.remove_writer(self.master)
            self.loop.remove_reader(self.master)
            os.close(self.master)
            self.master = self.in_fd = None

    # ---- session ----
    async def run(self):
        self.ws = WSConn(self.request, self.proto, self.on_message)
        await self.ws.accept()
        first = 1 if self.want_out else (2 if self.want_err else 3)
        self.ws.send_channel(first, b"")
        child_fds = []
        try:
            try:
                self._spawn(child_fds)
            except (OSError, ValueError) as e:
                err = getattr(e, "child_traceback", None) or e
                text = ('failed to exec in container: exec: "%s": executable file not found in $PATH' % self.argv[0]
                        if isinstance(e, FileNotFoundError) else "failed to exec in container: %s" % err)
                self.ws.send_channel(3, dumps(internal_error(text)).encode())
                self.ws.close(1000)
                return
            finally:
                for fd in child_fds:
                    os.close(fd)
            await self._relay()
        finally:
            self._close_all()

    def _spawn(self, child_fds):
        if self.tty:
            self.master, slave = pty.openpty()
            child_fds.append(slave)
            os.set_inheritable(self.master, False)
            _nonblock(self.master)
            self.proc = self.sb.spawn_exec(self.argv, slave, slave, slave, tty_slave=slave)
            if self.want_out:
                self.out[self.master] = 1
            if self.want_in:
                self.in_fd = self.master
            return
        stdin = stdout = stderr = __import__("subprocess").DEVNULL
        if self.want_in:
            r, w = _pipe()
            child_fds.append(r)
            stdin, self.in_fd = r, w
            _nonblock(w)
        for want, ch in ((self.want_out, 1), (self.want_err, 2)):
            if want:
                r, w = _pipe()
                child_fds.append(w)
                _nonblock(r)
                self.out[r] = ch
                if ch == 1:
                    stdout = w
                else:
                    stderr = w
        self.proc = self.sb.spawn_exec(self.argv, stdin, stdout, stderr)

    async def _relay(self):
        for fd in self.out:
            self.loop.add_reader(fd, self._readable, fd)
        if not self.out:
            self.outputs_done.set()
        exit_task = self.loop.create_task(wait_pid(self.proc))
        await asyncio.wait([exit_task, self.ws.done], return_when=asyncio.FIRST_COMPLETED)
        if not exit_task.done():          # client went away first: hang up like a closed terminal
            exit_task.cancel()
            t = self.loop.create_task(reap(self.proc))
            REAPERS.add(t)
            t.add_done_callback(REAPERS.discard)
            return
        # process exited: drain what is left of its output (unless something keeps the pipe open and idle)
        while not self.outputs_done.is_set() and not self.ws.done.done():
            before = self.progress
            try:
                await asyncio.wait_for(self.outputs_done.wait(), 1.0)
            except asyncio.TimeoutError:
                if self.progress == before and not self.paused:
                    break
        if self.ws.done.done():
            return
        for fd in list(self.out):   # push out anything still buffered before the status
            if fd in self.out:
                self._readable(fd)
        await self.ws.drain()
        from .runtime import exit_code
        self.ws.send_channel(3, dumps(exit_status(exit_code(self.proc.returncode), self.argv)).encode())
        self.ws.close(1000)
