"""fwd-sink.py PORT: a TCP server for gateway-forward.sh, run inside a pod.

Each connection sends a line "N\\n", then N bytes; the server answers with
the sha256 of those bytes (hex, newline) and closes. Port-forward streams
have no half-close, so the length says where the upload ends.
"""
import hashlib
import socket
import sys
import threading


def serve(conn):
    with conn:
        f = conn.makefile("rb")
        line = f.readline(32)
        try:
            left = int(line)
        except ValueError:
            conn.sendall(b"bad length\n")
            return
        h = hashlib.sha256()
        while left > 0:
            chunk = f.read1(min(left, 1 << 16))
            if not chunk:
                conn.sendall(b"short\n")
                return
            h.update(chunk)
            left -= len(chunk)
        conn.sendall(h.hexdigest().encode() + b"\n")


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(64)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
