#!/usr/bin/python3
"""Wire-level test client for kubesim (stdlib + PyYAML): raw HTTP, watch, WebSocket exec/port-forward, fuzzing."""
import argparse
import base64
import json
import os
import socket
import ssl
import struct
import sys
import time

import yaml


def load_cfg(path):
    with open(path) as f:
        kc = yaml.safe_load(f)
    cl = kc["clusters"][0]["cluster"]
    user = kc["users"][0]["user"]
    host, port = cl["server"].split("://")[1].rsplit(":", 1)
    ctx = ssl.create_default_context(cadata=base64.b64decode(cl["certificate-authority-data"]).decode())
    ctx.check_hostname = False
    if "client-certificate-data" in user:
        d = os.path.dirname(os.path.abspath(path))
        ctx.load_cert_chain(os.path.join(d, "client.crt"), os.path.join(d, "client.key"))
    return host, int(port), ctx, user.get("token")


class Conn:
    def __init__(self, cfg, token=None):
        host, port, ctx, tok = cfg
        self.token = tok if token is None else token
        raw = socket.create_connection((host, port), timeout=30)
        self.s = ctx.wrap_socket(raw, server_hostname=host)
        self.host = "%s:%d" % (host, port)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def recv_some(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError
        self.buf += d

    def read_exact(self, n):
        while len(self.buf) < n:
            self.recv_some()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_headers(self):
        while b"\r\n\r\n" not in self.buf:
            self.recv_some()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return status, hdrs

    def read_body(self, hdrs):
        n = int(hdrs.get("content-length", "0"))
        return self.read_exact(n) if n else self.buf

    def request(self, method, path, body=None, ctype="application/json", extra=None):
        h = ["%s %s HTTP/1.1" % (method, path), "Host: " + self.host, "Connection: close", "Accept: application/json"]
        if self.token:
            h.append("Authorization: Bearer " + self.token)
        if body is not None:
            h += ["Content-Type: " + ctype, "Content-Length: %d" % len(body)]
        h += extra or []
        self.send(("\r\n".join(h) + "\r\n\r\n").encode() + (body or b""))
        status, hdrs = self.read_headers()
        if hdrs.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self.recv_some()
                ln, self.buf = self.buf.split(b"\r\n", 1)
                n = int(ln, 16)
                if n == 0:
                    break
                body += self.read_exact(n + 2)[:-2]
        elif "content-length" in hdrs:
            body = self.read_exact(int(hdrs["content-length"]))
        else:
            try:
                while True:
                    self.recv_some()
            except (EOFError, OSError):
                pass
            body, self.buf = self.buf, b""
        return status, hdrs, body

    # ---- websocket ----
    def ws_open(self, path, protocols, extra=None):
        key = base64.b64encode(os.urandom(16)).decode()
        h = ["GET %s HTTP/1.1" % path, "Host: " + self.host, "Connection: Upgrade", "Upgrade: websocket",
             "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: " + key]
        if protocols:
            h.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        if self.token:
            h.append("Authorization: Bearer " + self.token)
        h += extra or []
        self.send(("\r\n".join(h) + "\r\n\r\n").encode())
        return self.read_headers()

    def ws_send(self, data, op=2, fin=True):
        n = len(data)
        b0 = (0x80 if fin else 0) | op
        if n < 126:
            hdr = struct.pack("!BB", b0, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
        mask = os.urandom(4)
        m = bytes(b ^ mask[i % 4] for i, b in enumerate(data)) if n < 4096 else _xor(data, mask)
        self.send(hdr + mask + m)

    def ws_recv(self):
        """(opcode, payload) of the next frame, or (None, b'') at TCP EOF."""
        try:
            b0, b1 = self.read_exact(2)
        except (EOFError, OSError):
            return None, b""
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8))[0]
        if b1 & 0x80:
            raise ValueError("server frames must not be masked")
        return b0 & 0x0F, self.read_exact(n)


def _xor(data, mask):
    n = len(data)
    k = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(data, "big") ^ k).to_bytes(n, "big")


def cmd_req(a, cfg):
    c = Conn(cfg, a.token)
    body = None
    if a.data is not None:
        body = sys.stdin.buffer.read() if a.data == "-" else a.data.encode()
    status, _h, out = c.request(a.method, a.path, body, a.ctype)
    print(status)
    sys.stdout.write(out.decode("utf-8", "replace") + "\n")


def cmd_exec(a, cfg):
    """Exec over a raw WebSocket and print a JSON transcript."""
    from urllib.parse import quote
    q = "&".join(["command=" + quote(x, safe="") for x in a.command] +
                 ["%s=true" % s for s in ("stdin", "stdout", "stderr", "tty") if getattr(a, s)])
    c = Conn(cfg)
    st, hdrs = c.ws_open("/api/v1/namespaces/%s/pods/%s/exec?%s" % (a.ns, a.pod, q), a.protocols.split(","))
    res = {"http": st, "protocol": hdrs.get("sec-websocket-protocol"), "extensions": hdrs.get("sec-websocket-extensions")}
    if st != 101:
        res["body"] = c.read_body(hdrs).decode("utf-8", "replace")
        print(json.dumps(res))
        return
    if a.ping:
        c.ws_send(b"hi", op=9)
    if a.input is not None:
        data = a.input.encode()
        if data:
            c.ws_send(b"\x00" + data)
        if a.close_stdin:
            c.ws_send(b"\xff\x00")
    msgs, out, err, status, pong, close = [], b"", b"", None, None, None
    first = None
    while True:
        op, p = c.ws_recv()
        if op is None:
            break
        if op == 10:
            pong = p.decode()
        elif op == 8:
            close = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None
            continue
        elif op == 2:
            if first is None:
                first = p.hex()
            if p[:1] == b"\x01":
                out += p[1:]
            elif p[:1] == b"\x02":
                err += p[1:]
            elif p[:1] == b"\x03":
                status = p[1:].decode()
        else:
            msgs.append("opcode %d" % op)
        if a.hangup_after and len(out) >= a.hangup_after:
            c.s.close()
            res["hung_up"] = True
            break
    res.update({"first": first, "stdout": out.decode("utf-8", "replace"), "stderr": err.decode("utf-8", "replace"),
                "status": status, "pong": pong, "close": close, "other": msgs})
    print(json.dumps(res))


def cmd_pf(a, cfg):
    c = Conn(cfg)
    st, hdrs = c.ws_open("/api/v1/namespaces/%s/pods/%s/portforward?ports=%s" % (a.ns, a.pod, a.ports),
                         a.protocols.split(","))
    res = {"http": st, "protocol": hdrs.get("sec-websocket-protocol")}
    if st != 101:
        res["body"] = c.read_body(hdrs).decode("utf-8", "replace")
        print(json.dumps(res))
        return
    first = []
    for _ in range(2 * len(a.ports.split(","))):
        op, p = c.ws_recv()
        first.append(p.hex())
    res["prefix"] = first
    if a.send:
        c.ws_send(b"\x00" + a.send.encode().decode("unicode_escape").encode())
    data, errs, close = b"", b"", None
    c.s.settimeout(a.timeout)
    while True:
        try:
            op, p = c.ws_recv()
        except socket.timeout:
            break
        if op is None:
            break
        if op == 8:
            close = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None
            continue
        if p[:1] == b"\x00":
            data += p[1:]
        elif p[:1] == b"\x01":
            errs += p[1:]
    res.update({"data": data.decode("utf-8", "replace"), "error": errs.decode("utf-8", "replace"), "close": close})
    print(json.dumps(res))


def cmd_fuzz(a, cfg):
    """Throw garbage at the server: broken HTTP, bad headers, random WebSocket frames. Never raises."""
    import random
    rnd = random.Random(a.seed)
    host, port, ctx, tok = cfg
    sent = 0
    payloads = [b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                b"GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + (tok or "").encode()
                + b"\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                b"POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + (tok or "").encode()
                + b"\r\nContent-Length: 10\r\n\r\n\xff\xfe\x00{[[[\"\x01",
                b"GET /" + b"A" * 70000 + b" HTTP/1.1\r\n\r\n",
                b"GET /api HTTP/1.1\r\n" + b"X-H: " + b"v" * 20000 + b"\r\n\r\n",
                b"\x16\x03\x01\x00\x05hello"]
    for i in range(a.rounds):
        try:
            if i % 3 == 2:          # plain TCP garbage, not even TLS
                s = socket.create_connection((host, port), timeout=2)
                s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300))))
                s.close()
                continue
            c = Conn(cfg)
            c.s.settimeout(2)
            if i % 3 == 0:
                c.send(rnd.choice(payloads) if rnd.random() < 0.7 else bytes(rnd.getrandbits(8) for _ in range(500)))
            else:
                st, _ = c.ws_open("/api/v1/namespaces/%s/pods/%s/exec?command=cat&stdin=true&stdout=true"
                                  % (a.ns, a.pod), ["v5.channel.k8s.io"])
                if st == 101:
                    for _ in range(rnd.randint(1, 20)):
                        choice = rnd.random()
                        if choice < 0.3:
                            c.send(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 64))))
                        elif choice < 0.5:
                            c.ws_send(bytes([rnd.choice([0, 3, 4, 5, 254, 255])]) + os.urandom(rnd.randint(0, 40)))
                        elif choice < 0.6:
                            c.ws_send(b"\x04{\"Width\":" + str(rnd.randint(-5, 99999)).encode() + b",\"height\":x")
                        elif choice < 0.7:
                            c.ws_send(os.urandom(10), op=rnd.choice([0, 1, 3, 7, 9, 11, 15]), fin=rnd.random() < 0.5)
                        else:
                            c.ws_send(b"\xff" + os.urandom(rnd.randint(0, 3)))
            try:
                c.s.recv(4096)
            except (OSError, ssl.SSLError):
                pass
            c.s.close()
            sent += 1
        except (OSError, ssl.SSLError, ValueError, EOFError):
            pass
    print("fuzz rounds: %d" % a.rounds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kubeconfig", required=True)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("req")
    r.add_argument("method")
    r.add_argument("path")
    r.add_argument("--data")
    r.add_argument("--ctype", default="application/json")
    r.add_argument("--token")
    e = sub.add_parser("exec")
    e.add_argument("--ns", default="default")
    e.add_argument("--pod", required=True)
    e.add_argument("--protocols", default="v5.channel.k8s.io")
    e.add_argument("--input")
    e.add_argument("--close-stdin", action="store_true")
    e.add_argument("--ping", action="store_true")
    e.add_argument("--hangup-after", type=int, default=0)
    for s in ("stdin", "stdout", "stderr", "tty"):
        e.add_argument("--" + s, action="store_true")
    e.add_argument("command", nargs="+")
    p = sub.add_parser("pf")
    p.add_argument("--ns", default="default")
    p.add_argument("--pod", required=True)
    p.add_argument("--ports", required=True)
    p.add_argument("--protocols", default="v5.channel.k8s.io,v4.channel.k8s.io")
    p.add_argument("--send")
    p.add_argument("--timeout", type=float, default=5)
    f = sub.add_parser("fuzz")
    f.add_argument("--ns", default="default")
    f.add_argument("--pod", required=True)
    f.add_argument("--rounds", type=int, default=60)
    f.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    cfg = load_cfg(a.kubeconfig)
    {"req": cmd_req, "exec": cmd_exec, "pf": cmd_pf, "fuzz": cmd_fuzz}[a.cmd](a, cfg)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
