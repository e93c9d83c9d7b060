"""kubectl port-forward: SPDY/3.1 tunnelled in WebSocket (SPDY/3.1+portforward.k8s.io), section 3.2."""
import asyncio
import os
import struct
import zlib

from .wsconn import OP_BIN, WSConn

SPDY_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
SYN_STREAM, SYN_REPLY, RST_STREAM, PING, GOAWAY = 1, 2, 3, 6, 7
FLAG_FIN = 1
RST_CANCEL = 5

_WORDS = ("options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges "
          "age allow authorization cache-control connection content-base content-encoding content-language "
          "content-length content-location content-md5 content-range content-type date etag expect expires from "
          "host if-match if-modified-since if-none-match if-range if-unmodified-since last-modified location "
          "max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after server te trailer "
          "transfer-encoding upgrade user-agent vary via warning www-authenticate method get status").split() + \
    ["200 OK"] + "version HTTP/1.1 url public set-cookie keep-alive origin".split()
_TAIL = ("100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
         "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
         "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
         "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
         "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
         "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.")
# The SPDY/3 header-compression dictionary (draft 3, 2.6.10.1): length-prefixed words, then common values.
DICTIONARY = b"".join(struct.pack("!I", len(w)) + w.encode() for w in _WORDS) + _TAIL.encode()
assert len(DICTIONARY) == 1423


def _control(ftype, flags, data):
    return struct.pack("!HHI", 0x8003, ftype, (flags << 24) | len(data)) + data


def _data(sid, flags, data):
    return struct.pack("!II", sid & 0x7FFFFFFF, (flags << 24) | len(data)) + data


class _Target(asyncio.Protocol):
    def __init__(self, tun, pair):
        self.tun, self.pair, self.transport = tun, pair, None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        for i in range(0, len(data), 0xFFFFFF):
            self.tun.ws.send(_data(self.pair["data"], 0, data[i:i + 0xFFFFFF]))
        if self.tun.ws.write_buffer_size() > (4 << 20) and not self.tun.paused:
            self.tun.pause_targets()

    def pause_writing(self):
        self.tun.ws.pause_reading()

    def resume_writing(self):
        self.tun.ws.resume_reading()

    def eof_received(self):
        return False

    def connection_lost(self, exc):
        self.tun.target_closed(self.pair)


class SpdyTunnel:
    """One kubectl port-forward session; a pair of streams (error, data) per forwarded connection."""

    def __init__(self, request, pod, proto):
        self.request, self.pod, self.proto = request, pod, proto
        self.inbuf = bytearray()
        self.inflate = zlib.decompressobj(zdict=DICTIONARY)
        self.deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY,
                                        zdict=DICTIONARY)
        self.streams = {}     # sid -> pair
        self.pairs = {}       # requestid -> {"error": sid, "data": sid, "port": n, "target": _Target, "pending": []}
        self.paused = False
        self.tasks = set()

    # ---- incoming bytes ----
    def on_message(self, op, payload):
        if op != OP_BIN:
            return
        self.inbuf += payload
        buf = self.inbuf
        pos = 0
        try:
            while len(buf) - pos >= 8:
                w0, w1 = struct.unpack_from("!II", buf, pos)
                length = w1 & 0xFFFFFF
                if len(buf) - pos < 8 + length:
                    break
                body = bytes(buf[pos + 8:pos + 8 + length])
                flags = w1 >> 24
                pos += 8 + length
                if w0 & 0x80000000:
                    self._control(w0 & 0xFFFF, flags, body)
                else:
                    self._data(w0 & 0x7FFFFFFF, flags, body)
        except (struct.error, zlib.error, ValueError, KeyError, IndexError):
            self.ws.abort(1002)
            return
        del buf[:pos]

    def _headers(self, block):
        raw = self.inflate.decompress(block)
        n = struct.unpack_from("!I", raw, 0)[0]
        pos, out = 4, {}
        for _ in range(min(n, 1000)):
            ln = struct.unpack_from("!I", raw, pos)[0]
            name = raw[pos + 4:pos + 4 + ln].decode("latin-1").lower()
            pos += 4 + ln
            ln = struct.unpack_from("!I", raw, pos)[0]
            out[name] = raw[pos + 4:pos + 4 + ln].split(b"\0")[0].decode("latin-1")
            pos += 4 + ln
        return out

    def _control(self, ftype, flags, body):
        if ftype == SYN_STREAM:
            sid = struct.unpack_from("!I", body, 0)[0] & 0x7FFFFFFF
            hdrs = self._headers(body[10:])
            empty = self.deflate.compress(struct.pack("!I", 0)) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
            self.ws.send(_control(SYN_REPLY, 0, struct.pack("!I", sid) + empty))
            kind, rid = hdrs.get("streamtype"), hdrs.get("requestid", "")
            pair = self.pairs.setdefault(rid, {"pending": [], "target": None, "done": False})
            if kind in ("error", "data"):
                pair[kind] = sid
                pair["port"] = hdrs.get("port", "")
                self.streams[sid] = pair
                if "error" in pair and "data" in pair and "started" not in pair:
                    pair["started"] = True
                    t = asyncio.get_running_loop().create_task(self._connect(pair))
                    self.tasks.add(t)
                    t.add_done_callback(self.tasks.discard)
            else:
                self.ws.send(_control(RST_STREAM, 0, struct.pack("!II", sid, 1)))
        elif ftype == PING:
            self.ws.send(_control(PING, 0, body[:4]))
        elif ftype == RST_STREAM:
            sid = struct.unpack_from("!I", body, 0)[0] & 0x7FFFFFFF
            pair = self.streams.get(sid)
            if pair is not None and pair.get("data") == sid:
                self._close_target(pair)
        elif ftype == GOAWAY:
            for pair in list(self.pairs.values()):
                self._close_target(pair)
            self.ws.close(1000)

    def _data(self, sid, flags, body):
        pair = self.streams.get(sid)
        if pair is None or pair.get("data") != sid:
            return
        t = pair.get("target")
        if t is None or t.transport is None:
            pair["pending"].append(body)
            if flags & FLAG_FIN:
                pair["pending"].append(None)
            return
        if body and not t.transport.is_closing():
            t.transport.write(body)
        if flags & FLAG_FIN and not t.transport.is_closing() and t.transport.can_write_eof():
            t.transport.write_eof()

    # ---- target connections ----
    async def _connect(self, pair):
        md = self.pod["metadata"]
        try:
            port = int(pair["port"])
            if not 1 <= port <= 65535:
                raise ValueError
        except ValueError:
            return self._fail(pair, 'invalid port "%s"' % pair["port"])
        loop = asyncio.get_running_loop()
        try:
            _tr, proto = await loop.create_connection(lambda: _Target(self, pair), "127.0.0.1", port)
        except OSError as e:
            return self._fail(pair, 'error forwarding port %d to pod %s, uid %s: failed to connect to localhost:%d '
                              'inside namespace "%s", IPv4: dial tcp4 127.0.0.1:%d: connect: %s '
                              % (port, md["name"], md.get("uid"), port, md.get("uid"), port,
                                 (os.strerror(e.errno) if e.errno else str(e)).lower()))
        pair["target"] = proto
        for chunk in pair.pop("pending"):
            if chunk is None:
                if proto.transport.can_write_eof():
                    proto.transport.write_eof()
            elif chunk:
                proto.transport.write(chunk)
        pair["pending"] = []

    def _fail(self, pair, msg):
        self.ws.send(_data(pair["error"], 0, msg.encode()))
        self.ws.send(_data(pair["error"], FLAG_FIN, b""))
        self.ws.send(_control(RST_STREAM, 0, struct.pack("!II", pair["data"], RST_CANCEL)))
        pair["done"] = True

    def target_closed(self, pair):
        if not pair["done"]:
            pair["done"] = True
            self.ws.send(_data(pair["data"], FLAG_FIN, b""))
            self.ws.send(_data(pair["error"], FLAG_FIN, b""))

    def _close_target(self, pair):
        t = pair.get("target")
        if t is not None and t.transport is not None and not t.transport.is_closing():
            t.transport.close()
        pair["done"] = True

    def pause_targets(self):
        self.paused = True
        for pair in self.pairs.values():
            t = pair.get("target")
            if t is not None and t.transport is not None and not t.transport.is_closing():
                t.transport.pause_reading()
        asyncio.get_running_loop().create_task(self._resume_targets())

    async def _resume_targets(self):
        await self.ws.drain()
        self.paused = False
        for pair in self.pairs.values():
            t = pair.get("target")
            if t is not None and t.transport is not None and not t.transport.is_closing():
                t.transport.resume_reading()

    async def run(self):
        self.ws = WSConn(self.request, self.proto, self.on_message)
        await self.ws.accept()
        try:
            await self.ws.done
        finally:
            for pair in self.pairs.values():
                self._close_target(pair)
            for t in list(self.tasks):
                t.cancel()
