"""fwd-client.py MODE ARGS: clients for gateway-forward.sh.

  http-w OUT -- SSH...   run SSH (an `ssh -W host:port` command line) with
                         a pipe as stdin, send "GET /blob HTTP/1.0", read the
                         answer until the far end closes, write the body to
                         OUT; stdin stays open until then (port-forward has
                         no half-close)
  sink-w N -- SSH...     same, but send N random bytes in the length-prefixed
                         form of fwd-sink.py; print "sent-sha got-sha"
  sink-tcp PORT N        the same through a local port (ssh -L)
"""
import hashlib
import os
import socket
import subprocess
import sys


def run_w(argv, request):
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.stdin.write(request)
    p.stdin.flush()
    out = p.stdout.read()
    p.stdin.close()
    rc = p.wait()
    return rc, out


def sink_payload(n):
    data = os.urandom(n)
    return hashlib.sha256(data).hexdigest(), b"%d\n" % n + data


def main():
    mode = sys.argv[1]
    if mode == "http-w":
        out, argv = sys.argv[2], sys.argv[4:]
        rc, resp = run_w(argv, b"GET /blob HTTP/1.0\r\nHost: x\r\n\r\n")
        head, _, body = resp.partition(b"\r\n\r\n")
        with open(out, "wb") as f:
            f.write(body)
        sys.stderr.write(head.split(b"\r\n")[0].decode(errors="replace")
                         + "\n")
        sys.exit(rc)
    if mode == "sink-w":
        n, argv = int(sys.argv[2]), sys.argv[4:]
        sent, payload = sink_payload(n)
        rc, resp = run_w(argv, payload)
        print(sent, resp.decode(errors="replace").strip())
        sys.exit(rc)
    if mode == "sink-tcp":
        port, n = int(sys.argv[2]), int(sys.argv[3])
        sent, payload = sink_payload(n)
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        s.sendall(payload)
        got = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
        print(sent, got.decode(errors="replace").strip())
        return
    sys.exit("unknown mode " + mode)


main()
