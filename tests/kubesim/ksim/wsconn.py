"""Server-side WebSocket (RFC 6455) on aiohttp's upgraded connection: fast framing, Pong, flow control."""
import asyncio
import struct

from aiohttp import hdrs, web

try:
    from aiohttp._websocket import _websocket_mask_cython as _mask   # C-accelerated unmasking
except ImportError:  # pragma: no cover
    from aiohttp.http_websocket import _websocket_mask_python as _mask

OP_CONT, OP_TEXT, OP_BIN, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
MAX_MESSAGE = 64 << 20
PREALLOC_MAX = 1 << 20   # payloads up to this are allocated at their full size once the header is read
OUT_MESSAGE = 32768   # largest payload per outgoing message; the API server copies streams with 32 KiB buffers
HIGH_WATER = 4 << 20


def _hdr_len(n):
    return 2 if n < 126 else 4 if n < 65536 else 10


def _put_hdr(buf, pos, n, ch):
    """Binary frame header (FIN, unmasked) for an n-byte payload plus the channel byte, at buf[pos:]."""
    if n < 126:
        buf[pos:pos + 3] = bytes((0x82, n, ch))
    elif n < 65536:
        struct.pack_into("!BBHB", buf, pos, 0x82, 126, n, ch)
    else:
        struct.pack_into("!BBQB", buf, pos, 0x82, 127, n, ch)


def offered_protocols(request):
    out = []
    for h in request.headers.getall(hdrs.SEC_WEBSOCKET_PROTOCOL, []):
        out.extend(p.strip() for p in h.split(",") if p.strip())
    return out


def is_websocket(request):
    return (request.headers.get(hdrs.UPGRADE, "").lower().strip() == "websocket"
            and "upgrade" in request.headers.get(hdrs.CONNECTION, "").lower())


class _Upgrade(web.WebSocketResponse):
    """aiohttp does the handshake (101, accept key); our parser takes over the byte stream."""

    def __init__(self, conn, chosen):
        super().__init__(protocols=[chosen] if chosen else (), compress=False, autoping=False)
        self._conn, self._chosen = conn, chosen

    def _handshake(self, request):
        headers, protocol, compress, notakeover = super()._handshake(request)
        if self._chosen:
            headers[hdrs.SEC_WEBSOCKET_PROTOCOL] = self._chosen
        return headers, self._chosen, 0, False

    def _post_start(self, request, protocol, writer):
        self._ws_protocol = protocol
        self._writer = writer
        request.protocol.set_parser(self._conn)
        request.protocol.keep_alive(False)

    async def write_eof(self):  # aiohttp calls this when the handler returns; we closed already
        self._eof_sent = True


class WSConn:
    """Callbacks: on_message(opcode, payload: bytearray), on_closed(). Sends binary messages."""

    def __init__(self, request, chosen, on_message, on_closed=None):
        self.request, self.chosen = request, chosen
        self.on_message, self.on_closed = on_message, on_closed
        self.transport = None
        self.protocol = request.protocol
        self.buf = bytearray()        # a frame header split across reads
        self.part = None              # payload being filled: (part, part_len, part_fill, part_fin/op/mask)
        self.part_len = self.part_fill = 0
        self.part_fin = self.part_op = self.part_mask = None
        self.frag_op, self.frag = None, None
        self.closed = False           # we sent a close frame / transport is gone
        self.peer_closed = False
        self.done = asyncio.get_running_loop().create_future()   # resolves when the connection ended
        self.bytes_in = self.bytes_out = 0

    async def accept(self):
        resp = _Upgrade(self, self.chosen)
        await resp.prepare(self.request)
        self.transport = self.request.transport
        self.transport.set_write_buffer_limits(high=HIGH_WATER)
        # kubesim's TLS transport can hand us its read buffer: one copy less per byte (aiohttp only forwards)
        if hasattr(self.transport, "set_direct_reader"):
            self.transport.set_direct_reader(self._feed_direct)

    # ---- parser interface used by aiohttp's RequestHandler.data_received / connection_lost ----
    def feed_data(self, data):
        try:
            self._feed(data)
        except Exception:   # malformed frames from a peer must never take the server down
            self.abort(1002)
        return False, b""

    def _feed_direct(self, view):
        """The common case first: a TLS record in the middle of a large payload is copied into place."""
        p = self.part
        if p is not None and len(p) == self.part_len:
            fill = self.part_fill
            n = len(view)
            if fill + n < self.part_len:
                p[fill:fill + n] = view
                self.part_fill = fill + n
                return
        self.feed_data(view)

    def feed_eof(self):
        self.peer_closed = True
        self._finish()

    def _feed(self, data):
        """Frames are parsed where they lie in data; a payload that continues in later reads is filled into its
        own buffer as the pieces come (no re-accumulation), unmasked once complete."""
        mv = memoryview(data)
        pos, n = 0, len(mv)
        try:
            while pos < n and not self.peer_closed:
                if self.part is not None:                 # inside a payload
                    p, ln = self.part, self.part_len
                    take = min(ln - self.part_fill, n - pos)
                    if len(p) == ln:
                        p[self.part_fill:self.part_fill + take] = mv[pos:pos + take]
                    else:
                        p += mv[pos:pos + take]
                    self.part_fill += take
                    pos += take
                    if self.part_fill < ln:
                        break
                    self.part = None
                    if self.part_mask:
                        _mask(self.part_mask, p)
                    self._frame(self.part_fin, self.part_op, p)
                    continue
                if self.buf:                              # a header split across reads (at most 14 bytes)
                    head = bytes(self.buf) + bytes(mv[pos:pos + 14])
                    used = len(self.buf)
                else:
                    head, used = mv[pos:pos + 14], 0
                h = self._header(head)
                if h is None:                             # incomplete header
                    if len(head) >= 14:
                        self.abort(1002)
                        return
                    self.buf = bytearray(head)
                    return
                if h is False:
                    return
                fin, op, ln, hl, mask = h
                self.buf = bytearray()
                pos += hl - used
                if n - pos >= ln:                         # the whole payload is here: one copy
                    payload = bytearray(mv[pos:pos + ln])
                    pos += ln
                    if mask:
                        _mask(mask, payload)
                    self._frame(fin, op, payload)
                    continue
                self.part = bytearray(ln) if ln <= PREALLOC_MAX else bytearray()
                self.part_len, self.part_fill = ln, 0
                self.part_fin, self.part_op, self.part_mask = fin, op, mask
        finally:
            mv.release()

    def _header(self, head):
        """(fin, opcode, length, header length, mask or None); None if incomplete; False after a protocol error."""
        if len(head) < 2:
            return None
        b0, b1 = head[0], head[1]
        ln, hl = b1 & 0x7F, 2
        if ln == 126:
            if len(head) < 4:
                return None
            ln, hl = struct.unpack_from("!H", head, 2)[0], 4
        elif ln == 127:
            if len(head) < 10:
                return None
            ln, hl = struct.unpack_from("!Q", head, 2)[0], 10
        op = b0 & 0x0F
        if (b0 & 0x70 or ln > MAX_MESSAGE or (op >= 8 and (ln > 125 or not b0 & 0x80))
                or op in (3, 4, 5, 6, 7) or op > 10):
            self.abort(1002 if ln <= MAX_MESSAGE else 1009)
            return False
        mask = None
        if b1 & 0x80:
            if len(head) < hl + 4:
                return None
            mask = bytes(head[hl:hl + 4])
            hl += 4
        return b0 & 0x80, op, ln, hl, mask

    def _frame(self, fin, op, payload):
        if op == OP_PING:
            self._send_frame(OP_PONG, payload)
        elif op == OP_PONG:
            pass
        elif op == OP_CLOSE:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1000
            self.peer_closed = True
            if not self.closed:
                self._send_frame(OP_CLOSE, struct.pack("!H", code if code not in (1005, 1006, 1015) else 1000))
            self._close_transport()
        elif op == OP_CONT:
            if self.frag_op is None:
                return self.abort(1002)
            self.frag += payload
            if len(self.frag) > MAX_MESSAGE:
                return self.abort(1009)
            if fin:
                op, data, self.frag_op, self.frag = self.frag_op, self.frag, None, None
                self.on_message(op, data)
        else:
            if self.frag_op is not None:
                return self.abort(1002)
            if fin:
                self.on_message(op, payload)
            else:
                self.frag_op, self.frag = op, payload

    # ---- sending ----
    def _send_frame(self, op, data):
        if self.closed or self.transport is None or self.transport.is_closing():
            return
        n = len(data)
        if n < 126:
            hdr = bytes((0x80 | op, n))
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | op, 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | op, 127, n)
        if n < 65536:
            self.transport.write(hdr + data)
        else:
            self.transport.write(hdr)
            self.transport.write(data)

    def send(self, data):
        """One binary message (data already starts with the channel byte)."""
        self.bytes_out += len(data)
        self._send_frame(OP_BIN, data)

    def send_channel(self, ch, data):
        n = len(data) + 1
        if self.closed or self.transport is None or self.transport.is_closing():
            return
        if OUT_MESSAGE and n > OUT_MESSAGE + 1:
            # split like the real server, but hand TLS one buffer (one join) instead of many small writes
            mv, parts, step = memoryview(data), [], OUT_MESSAGE
            for i in range(0, len(data), step):
                piece = mv[i:i + step]
                k = len(piece) + 1
                parts.append(bytes((0x82, k, ch)) if k < 126 else
                             struct.pack("!BBHB", 0x82, 126, k, ch) if k < 65536 else struct.pack("!BBQB", 0x82, 127, k, ch))
                parts.append(piece)
            self.bytes_out += n
            self.transport.write(b"".join(parts))
            return
        if n < 126:
            hdr = bytes((0x82, n, ch))
        elif n < 65536:
            hdr = struct.pack("!BBHB", 0x82, 126, n, ch)
        else:
            hdr = struct.pack("!BBQB", 0x82, 127, n, ch)
        self.bytes_out += n
        if n < 65536:
            self.transport.write(hdr + data)
        else:
            self.transport.write(hdr)
            self.transport.write(data)

    def header_room(self):
        """(bytes reserved before each full message's payload in a prepared buffer, payload per message)."""
        step = OUT_MESSAGE or (1 << 20)
        return _hdr_len(step + 1) + 1, step

    def send_prepared(self, buf, room, step, ch, n):
        """Send n bytes read into buf (a bytearray) at offsets room, 2*room+step, ... (one gap of room bytes
        before each step-sized piece) as channel-ch messages, filling the gaps with the frame headers: the data
        reaches TLS without being joined into a new buffer. Returns True if buf was handed over unsent (the caller
        must not reuse it until the transport's buffer is empty)."""
        if self.closed or self.transport is None or self.transport.is_closing() or n <= 0:
            return False
        self.bytes_out += n + (n + step - 1) // step
        full, last = divmod(n, step)
        if last == 0:
            full, last = full - 1, step
        # every full piece's header fits its gap exactly
        for i in range(full):
            _put_hdr(buf, i * (room + step), step + 1, ch)
        start = full * (room + step)
        h = _hdr_len(last + 1) + 1
        mv = memoryview(buf)
        if full == 0:                                   # one message: start where its (shorter) header starts
            _put_hdr(buf, room - h, last + 1, ch)
            return self._write_view(mv[room - h:room + last])
        if h == room:
            _put_hdr(buf, start, last + 1, ch)
            return self._write_view(mv[:start + room + last])
        # the last piece has a shorter header: send it separately
        handed = self._write_view(mv[:start])
        _put_hdr(buf, start + room - h, last + 1, ch)
        self.transport.write(bytes(mv[start + room - h:start + room + last]))
        return handed

    def _write_view(self, view):
        wr = getattr(self.transport, "write_nocopy", None)
        if wr is None:
            self.transport.write(view)      # asyncio's transports copy what waits
            return False
        wr(view)
        return self.transport.get_write_buffer_size() > 0

    def write_buffer_size(self):
        t = self.transport
        return t.get_write_buffer_size() if t is not None and not t.is_closing() else 0

    async def drain(self):
        if self.write_buffer_size() > HIGH_WATER:
            try:
                await self.protocol._drain_helper()
            except (ConnectionError, RuntimeError):
                pass

    def pause_reading(self):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_reading(self):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def close(self, code=1000):
        """Close frame with code, then TCP close (what the API server does after the status)."""
        if not self.closed:
            self._send_frame(OP_CLOSE, struct.pack("!H", code))
            self.closed = True
        self._close_transport()

    def abort(self, code=1002):
        self.close(code)
        self.peer_closed = True

    def _close_transport(self):
        self.closed = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
        self._finish()

    def _finish(self):
        if not self.done.done():
            self.done.set_result(None)
            if self.on_closed:
                self.on_closed()
