#!/usr/bin/python3
"""auth-keyserver.py: a tiny HTTPS key server for auth/ tests.

Usage: auth-keyserver.py DIR CERT KEY
Serves GET /NAME from DIR/NAME over HTTPS on a free 127.0.0.1 port and
prints "ready PORT" on stdout. DIR/NAME.status overrides the HTTP status,
DIR/NAME.delay holds seconds to wait before answering. Each request is
appended to DIR/requests.log. Stops on SIGTERM.
"""
import http.server
import os
import signal
import socketserver
import ssl
import sys
import time
import urllib.parse

root, cert, key = sys.argv[1:4]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        name = os.path.basename(urllib.parse.unquote(self.path.split("?")[0]))
        with open(os.path.join(root, "requests.log"), "a") as f:
            f.write(self.path + "\n")
        base = os.path.join(root, name)
        if os.path.exists(base + ".delay"):
            time.sleep(float(open(base + ".delay").read()))
        status = 200
        if os.path.exists(base + ".status"):
            status = int(open(base + ".status").read())
        if not os.path.isfile(base):
            status = 404 if status == 200 else status
        body = open(base, "rb").read() if status == 200 else b"error\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
print("ready", srv.server_address[1], flush=True)
srv.serve_forever()
