"""HTTPS listener without asyncio's TLS layer: each connection is a non-blocking ssl.SSLSocket that the event loop
reads and writes directly (OpenSSL on the socket: no memory BIOs, no copies into and out of them per record).

asyncio's SSL transport moves every byte through two MemoryBIOs (each write zero-fills then copies, each read copies
out again) and several Python-level buffers; for exec streams that relay gigabytes this was most of kubesim's CPU.
This transport implements what aiohttp's RequestHandler and kubesim's stream code use of asyncio.Transport.
"""
import asyncio
import collections
import errno
import socket
import ssl

READ_SIZE = 256 * 1024       # one SSL_read target (OpenSSL returns at most a record per call)
READ_BUDGET = 1 << 20        # bytes read per wake-up before letting other connections run
JOIN_SMALL = 64 * 1024       # queued writes below this are joined into one SSL_write (one TLS record)
_rbuf = bytearray(READ_SIZE)  # the loop is single-threaded: one read buffer for every connection
_rview = memoryview(_rbuf)


class TLSTransport(asyncio.Transport):
    def __init__(self, loop, sock, factory, server, handshake_timeout):
        super().__init__()
        self._loop, self._sock, self._factory, self._server = loop, sock, factory, server
        self._fd = sock.fileno()
        self._protocol = None
        self._state = "handshake"        # handshake -> open -> closing -> closed
        self._reading = True             # the protocol wants data (pause_reading / resume_reading)
        self._read_wants_write = False   # SSL_read needs the socket writable (TLS 1.3 key update reply)
        self._write_wants_read = False   # SSL_write needs readable (never in TLS 1.3; handled anyway)
        self._wq = collections.deque()   # bytes-like objects not yet written
        self._wlen = 0
        self._inflight = None            # SSL_write that returned WANT_*: must be retried with the same data
        self._high, self._low = 64 * 1024, 16 * 1024
        self._proto_paused = False
        self._readable_armed = self._writable_armed = False
        self._resume_handle = None
        self._direct = None              # f(memoryview) taking the data instead of protocol.data_received
        self._extra = {"socket": sock, "sslcontext": sock.context, "ssl_object": sock}
        try:
            self._extra["peername"] = sock.getpeername()
            self._extra["sockname"] = sock.getsockname()
        except OSError:
            pass
        self._hs_timer = loop.call_later(handshake_timeout, self._abort_handshake)
        server._conns.add(self)
        self._handshake()

    # ---- event registration ----
    def _arm(self):
        if self._state == "closed":
            return
        want_r = want_w = False
        if self._state == "handshake":
            want_r, want_w = not self._hs_wants_write, self._hs_wants_write
        else:
            want_r = (self._reading and not self._read_wants_write) or self._write_wants_read
            want_w = ((self._inflight is not None or self._wq) and not self._write_wants_read) \
                or self._read_wants_write
        if want_r != self._readable_armed:
            if want_r:
                self._loop.add_reader(self._fd, self._on_readable)
            else:
                self._loop.remove_reader(self._fd)
            self._readable_armed = want_r
        if want_w != self._writable_armed:
            if want_w:
                self._loop.add_writer(self._fd, self._on_writable)
            else:
                self._loop.remove_writer(self._fd)
            self._writable_armed = want_w

    # ---- handshake ----
    _hs_wants_write = False

    def _handshake(self):
        try:
            self._sock.do_handshake()
        except ssl.SSLWantReadError:
            self._hs_wants_write = False
            self._arm()
            return
        except ssl.SSLWantWriteError:
            self._hs_wants_write = True
            self._arm()
            return
        except (OSError, ValueError):     # bad client, garbage, reset: nothing to tell anyone
            self._hs_timer.cancel()
            self._teardown(None, notify=False)
            return
        self._hs_timer.cancel()
        self._state = "open"
        try:
            self._extra["peercert"] = self._sock.getpeercert()
            self._extra["cipher"] = self._sock.cipher()
        except (OSError, ValueError):
            pass
        self._protocol = self._factory()
        self._protocol.connection_made(self)
        self._arm()
        if self._state == "open":       # OpenSSL may already hold the first request (read-ahead)
            self._schedule_read()

    def _abort_handshake(self):
        if self._state == "handshake":
            self._teardown(None, notify=False)

    # ---- reading ----
    def _on_readable(self):
        if self._state == "handshake":
            self._handshake()
            return
        if self._write_wants_read:
            self._write_wants_read = False
            self._flush()
            if self._state not in ("open", "closing"):
                return
        if self._reading and not self._read_wants_write:
            self._read()

    def _schedule_read(self):
        if self._resume_handle is None:
            self._resume_handle = self._loop.call_soon(self._resumed_read)

    def _resumed_read(self):
        self._resume_handle = None
        if self._state in ("open", "closing") and self._reading and not self._read_wants_write:
            self._read()

    def _read(self):
        got = 0
        sock, view = self._sock, _rview
        while self._reading and self._state in ("open", "closing"):
            if got >= READ_BUDGET:
                # TLS may hold decrypted data that epoll will not report: come back explicitly
                self._schedule_read()
                return
            try:
                n = sock.recv_into(view, READ_SIZE)
            except ssl.SSLWantReadError:
                return
            except ssl.SSLWantWriteError:
                self._read_wants_write = True
                self._arm()
                return
            except (OSError, ssl.SSLError, ValueError) as e:
                self._fatal(e)
                return
            if n == 0:
                self._eof()
                return
            got += n
            try:
                if self._direct is not None:
                    self._direct(view[:n])
                else:
                    self._protocol.data_received(bytes(view[:n]))
            except Exception as e:      # noqa: BLE001 - a protocol bug ends this connection, not the server
                self._fatal(e)
                return

    def _eof(self):
        try:
            keep = self._protocol.eof_received()
        except Exception as e:      # noqa: BLE001 - a protocol bug must not kill the server
            self._fatal(e)
            return
        del keep                      # no half-close over TLS: the connection ends either way
        self._teardown(None)

    def set_direct_reader(self, fn):
        """After an upgrade: hand decrypted data straight to fn(memoryview), valid only during the call."""
        self._direct = fn

    def pause_reading(self):
        if self._reading:
            self._reading = False
            self._arm()

    def resume_reading(self):
        if not self._reading and self._state in ("open", "closing"):
            self._reading = True
            self._arm()
            self._schedule_read()

    def is_reading(self):
        return self._reading

    # ---- writing ----
    def write(self, data):
        """As asyncio's: the caller may reuse a mutable buffer afterwards (what has to wait is copied)."""
        self._write(data, not isinstance(data, bytes))

    def write_nocopy(self, data):
        """data (a bytearray or memoryview) is not copied when it has to wait: the caller leaves it alone until
        get_write_buffer_size() is 0 again."""
        self._write(data, False)

    def _write(self, data, copy):
        if self._state != "open" or not data:
            return
        n = len(data)
        self._wlen += n
        if self._inflight is None and not self._wq:
            self._send_now(data, copy)
        else:
            self._wq.append(bytes(data) if copy else data)
        self._check_high()

    def _send_now(self, data, copy):
        try:
            self._sock.send(data)
        except ssl.SSLWantWriteError:
            self._inflight = bytes(data) if copy else data    # retried with the same bytes (moving buffer is ok)
            self._arm()
            return
        except ssl.SSLWantReadError:
            self._inflight = bytes(data) if copy else data
            self._write_want_read()
            return
        except (OSError, ssl.SSLError, ValueError) as e:
            self._fatal(e)
            return
        self._wlen -= len(data)

    def writelines(self, chunks):
        for c in chunks:
            self.write(c)

    def _on_writable(self):
        if self._state == "handshake":
            self._handshake()
            return
        if self._read_wants_write:
            self._read_wants_write = False
            self._arm()
            self._schedule_read()
        self._flush()

    def _next_chunk(self):
        wq = self._wq
        first = wq.popleft()
        if len(first) >= JOIN_SMALL or not wq or len(wq[0]) >= JOIN_SMALL:
            return first
        parts, n = [first], len(first)
        while wq and n + len(wq[0]) <= JOIN_SMALL:
            c = wq.popleft()
            parts.append(c)
            n += len(c)
        return b"".join(parts)

    def _flush(self):
        sock = self._sock
        while self._state in ("open", "closing"):
            if self._inflight is None:
                if not self._wq:
                    break
                self._inflight = self._next_chunk()
            data = self._inflight
            try:
                sock.send(data)       # all of it: partial writes are not enabled, WANT_* means retry the same
            except ssl.SSLWantWriteError:
                self._arm()
                return
            except ssl.SSLWantReadError:
                self._write_want_read()
                return
            except (OSError, ssl.SSLError, ValueError) as e:
                self._fatal(e)
                return
            self._inflight = None
            self._wlen -= len(data)
        self._arm()
        self._check_low()
        if self._state == "closing" and self._inflight is None and not self._wq:
            self._teardown(None)

    def _write_want_read(self):
        self._write_wants_read = True
        self._arm()

    def _check_high(self):
        if not self._proto_paused and self._wlen > self._high and self._protocol is not None:
            self._proto_paused = True
            self._protocol.pause_writing()

    def _check_low(self):
        if self._proto_paused and self._wlen <= self._low and self._protocol is not None:
            self._proto_paused = False
            self._protocol.resume_writing()

    def get_write_buffer_size(self):
        return self._wlen

    def get_write_buffer_limits(self):
        return self._low, self._high

    def set_write_buffer_limits(self, high=None, low=None):
        if high is None:
            high = 64 * 1024 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError("high (%r) must be >= low (%r) must be >= 0" % (high, low))
        self._high, self._low = high, low
        self._check_high()

    def can_write_eof(self):
        return False

    def write_eof(self):
        raise NotImplementedError("TLS has no half-close")

    # ---- closing ----
    def is_closing(self):
        return self._state in ("closing", "closed")

    def close(self):
        if self._state == "open":
            self._state = "closing"
            self._reading = False
            if self._inflight is None and not self._wq:
                self._teardown(None)
            else:
                self._arm()
        elif self._state == "handshake":
            self._teardown(None, notify=False)

    def abort(self):
        self._teardown(None)

    def _fatal(self, exc):
        if isinstance(exc, OSError) and exc.errno in (errno.ECONNRESET, errno.EPIPE):
            exc = ConnectionResetError(exc.errno, exc.strerror)
        self._teardown(exc)

    def _teardown(self, exc, notify=True):
        if self._state == "closed":
            return
        was = self._state
        self._state = "closed"
        if self._resume_handle is not None:
            self._resume_handle.cancel()
            self._resume_handle = None
        if self._readable_armed:
            self._loop.remove_reader(self._fd)
        if self._writable_armed:
            self._loop.remove_writer(self._fd)
        self._readable_armed = self._writable_armed = False
        self._wq.clear()
        self._inflight = None
        self._wlen = 0
        if exc is None and was != "handshake":
            try:
                self._sock.unwrap()      # one close_notify, without waiting for the peer's
            except (OSError, ssl.SSLError, ValueError):
                pass
        try:
            self._sock.close()
        except OSError:
            pass
        self._server._conns.discard(self)
        if notify and self._protocol is not None:
            self._loop.call_soon(self._protocol.connection_lost, exc)

    # ---- misc ----
    def get_extra_info(self, name, default=None):
        return self._extra.get(name, default)

    def get_protocol(self):
        return self._protocol

    def set_protocol(self, protocol):
        self._protocol = protocol


class TLSServer:
    """Accepts on a listening socket and wraps each connection; close() stops accepting."""

    def __init__(self, loop, factory, ctx, sock, handshake_timeout):
        self._loop, self._factory, self._ctx, self._sock = loop, factory, ctx, sock
        self._timeout = handshake_timeout
        self._conns = set()
        loop.add_reader(sock.fileno(), self._accept)

    def _accept(self):
        for _ in range(64):
            try:
                conn, _addr = self._sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError:           # EMFILE and friends: try again on the next wake-up
                return
            try:
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s = self._ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            except (OSError, ValueError):
                conn.close()
                continue
            TLSTransport(self._loop, s, self._factory, self, self._timeout)

    def close(self):
        if self._sock is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    def abort_all(self):
        for t in list(self._conns):
            t.abort()


def read_ahead(ctx, size=READ_SIZE):
    """OpenSSL read-ahead on ctx: one recv() takes in several records, where SSL_read otherwise makes two system
    calls per record (5-byte header, then body). Python's ssl module has no setter; the SSL_CTX pointer is the
    first field after the object header of CPython's SSLContext, checked against two values read through the
    module before anything is set. Returns True if set. The transport never waits for epoll while OpenSSL may
    hold buffered records (it reads until WANT_READ, and after the handshake and every resume)."""
    import ctypes
    import ctypes.util
    import sys
    if sys.implementation.name != "cpython" or hasattr(sys, "gettotalrefcount"):
        return False
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("ssl") or "libssl.so.3")
        ptr = ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value
        if not ptr or ptr < 0x10000:
            return False
        lib.SSL_CTX_get_options.restype = ctypes.c_uint64
        lib.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
        lib.SSL_CTX_get_verify_mode.restype = ctypes.c_int
        lib.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
        if lib.SSL_CTX_get_options(ptr) != int(ctx.options) or \
                lib.SSL_CTX_get_verify_mode(ptr) != int(ctx.verify_mode):
            return False
        lib.SSL_CTX_ctrl.restype = ctypes.c_long
        lib.SSL_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
        lib.SSL_CTX_set_default_read_buffer_len.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        lib.SSL_CTX_ctrl(ptr, 41, 1, None)         # SSL_CTRL_SET_READ_AHEAD
        lib.SSL_CTX_set_default_read_buffer_len(ptr, size)
        return lib.SSL_CTX_ctrl(ptr, 40, 0, None) == 1    # SSL_CTRL_GET_READ_AHEAD
    except (OSError, AttributeError, ValueError):
        return False


def serve(loop, factory, host, port, ctx, backlog=256, handshake_timeout=15.0):
    """Listen on host:port (IPv4 or IPv6 literal or name) and serve TLS connections to factory()'s protocols."""
    read_ahead(ctx)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    af, _t, _p, _c, addr = infos[0]
    sock = socket.socket(af, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if af == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(addr)
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return TLSServer(loop, factory, ctx, sock, handshake_timeout)
