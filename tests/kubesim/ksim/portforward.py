"""pods/portforward over WebSocket v4.channel.k8s.io (data channel 2i, error channel 2i+1 per port)."""
import asyncio
import os
import struct

from .wsconn import OP_BIN, WSConn

PF_PROTOCOLS = ("v4.channel.k8s.io",)


class _Target(asyncio.Protocol):
    """The TCP connection to 127.0.0.1:port 'inside the pod'."""

    def __init__(self, session, idx):
        self.s, self.idx, self.transport = session, idx, None

    def connection_made(self, transport):
        self.transport = transport
        transport.set_write_buffer_limits(high=4 << 20)

    def data_received(self, data):
        s = self.s
        s.ws.send_channel(2 * self.idx, data)
        if s.ws.write_buffer_size() > (4 << 20) and not s.paused_targets:
            s.paused_targets = True
            for t in s.targets.values():
                if t.transport and not t.transport.is_closing():
                    t.transport.pause_reading()
            asyncio.get_running_loop().create_task(s.resume_targets())

    def pause_writing(self):
        self.s.ws.pause_reading()

    def resume_writing(self):
        self.s.ws.resume_reading()

    def connection_lost(self, exc):
        self.s.target_done(self.idx)


class PortForwardSession:
    def __init__(self, request, pod, ports, proto):
        self.request, self.pod, self.ports, self.proto = request, pod, ports, proto
        self.targets = {}
        self.pending = {i: [] for i in range(len(ports))}
        self.finished = set()
        self.paused_targets = False
        self.all_done = asyncio.get_running_loop().create_future()

    def on_message(self, op, payload):
        if op != OP_BIN or len(payload) < 1:
            return
        ch = payload[0]
        if ch % 2 or ch // 2 >= len(self.ports):
            return
        idx, data = ch // 2, bytes(payload[1:])
        if not data:
            return
        t = self.targets.get(idx)
        if t is not None and t.transport is not None:
            if not t.transport.is_closing():
                t.transport.write(data)
        elif idx not in self.finished:
            self.pending[idx].append(data)

    async def resume_targets(self):
        await self.ws.drain()
        self.paused_targets = False
        for t in self.targets.values():
            if t.transport and not t.transport.is_closing():
                t.transport.resume_reading()

    def target_done(self, idx):
        self.finished.add(idx)
        if len(self.finished) == len(self.ports) and not self.all_done.done():
            self.all_done.set_result(None)

    async def _connect(self, idx, port):
        loop = asyncio.get_running_loop()
        try:
            _tr, proto = await loop.create_connection(lambda: _Target(self, idx), "127.0.0.1", port)
        except OSError as e:
            md = self.pod["metadata"]
            msg = ('error forwarding port %d to pod %s, uid %s: failed to connect to localhost:%d inside namespace '
                   '"%s", IPv4: dial tcp4 127.0.0.1:%d: connect: %s ' % (
                       port, md["name"], md.get("uid"), port, md.get("uid"), port,
                       (os.strerror(e.errno) if e.errno else str(e)).lower()))
            self.ws.send_channel(2 * idx + 1, msg.encode())
            self.target_done(idx)
            return
        self.targets[idx] = proto
        for data in self.pending.pop(idx, []):
            proto.transport.write(data)

    async def run(self):
        self.ws = WSConn(self.request, self.proto, self.on_message)
        await self.ws.accept()
        for i, port in enumerate(self.ports):
            le = struct.pack("<H", port)
            self.ws.send_channel(2 * i, le)
            self.ws.send_channel(2 * i + 1, le)
        await asyncio.gather(*(self._connect(i, p) for i, p in enumerate(self.ports)))
        try:
            await asyncio.wait([self.all_done, self.ws.done], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in self.targets.values():
                if t.transport and not t.transport.is_closing():
                    t.transport.close()
            if not self.ws.done.done():
                await self.ws.drain()
                self.ws.close(1000)
