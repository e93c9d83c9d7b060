"""Command line, startup (TLS, kubeconfigs, server) and clean shutdown on SIGTERM/SIGINT."""
import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
import time

from aiohttp import web

from . import certs, spawner, tlsserver
from .api import Api
from .events import Recorder
from .kubelet import Kubelet
from .metrics import Metrics
from .scheduler import load_nodes
from .store import Store
from .util import parse_duration

DESCRIPTION = """Kubernetes API server stand-in for devgate's tests. Serves HTTPS on --listen with a CA it
creates in DIR, writes DIR/kubeconfig (bearer token) and DIR/kubeconfig-cert (client certificate), prints
'ready' once it accepts requests, and runs pods as local processes under DIR/pods/NS/NAME."""


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="kubesim", description=DESCRIPTION)
    ap.add_argument("--listen", required=True, metavar="HOST:PORT", help="address to serve HTTPS on (127.0.0.0/8)")
    ap.add_argument("--dir", required=True, help="state directory (certificates, kubeconfigs, pods/)")
    ap.add_argument("--nodes", help="nodes file (YAML or JSON); default: one node 'kubesim-node' with the host's "
                                    "CPUs and memory and no GPU")
    ap.add_argument("--token", help="the bearer token to accept (default: random)")
    ap.add_argument("--token-file", help="file holding the accepted token, re-read on every request")
    ap.add_argument("--readonly-token", metavar="T",
                    help="a second accepted token, for user system:serviceaccount:default:readonly, that may only "
                         "get/list/watch (pods, events, metrics, pods/log); anything else gets 403 Forbidden; "
                         "writes DIR/kubeconfig-readonly")
    ap.add_argument("--plain-listen", metavar="HOST:PORT",
                    help="BENCHMARKS ONLY: also serve plain HTTP here, without TLS and without authentication; "
                         "writes DIR/kubeconfig-plain")
    ap.add_argument("--log", help="append one line per request (time method path status duration) to this file")
    ap.add_argument("--watch-history", type=int, default=1000, metavar="N",
                    help="events kept per resource for watch resumption; older resourceVersions get 410 Expired")
    ap.add_argument("--bookmark-interval", type=parse_duration, default=60.0, metavar="DUR",
                    help="interval between BOOKMARK events on watches that allow them (default 60s)")
    ap.add_argument("--metrics-delay", type=parse_duration, default=5.0, metavar="DUR",
                    help="PodMetrics are 404 until a pod has run this long (default 5s)")
    ap.add_argument("--metrics-interval", type=parse_duration, default=1.0, metavar="DUR",
                    help="sampling interval of pod CPU/memory (default 1s)")
    ap.add_argument("--metrics-window", type=parse_duration, default=10.0, metavar="DUR",
                    help="CPU usage is averaged over this window (default 10s)")
    ap.add_argument("--pull-delay", type=parse_duration, default=0.0, metavar="DUR",
                    help="simulated image pull time for ordinary images (default 0)")
    ap.add_argument("--backoff", type=parse_duration, default=10.0, metavar="DUR",
                    help="base of CrashLoopBackOff/ImagePullBackOff (doubles up to 300s; default 10s)")
    ap.add_argument("--ws-max-message", type=int, default=32768, metavar="BYTES",
                    help="largest data payload per outgoing WebSocket message (default 32768, as the API server's "
                         "32 KiB copy buffers; 0 = one message per read, up to 1 MiB)")
    ap.add_argument("--keep-pod-dirs", action="store_true", help="keep DIR/pods/NS/NAME after a pod is deleted")
    ap.add_argument("--no-cgroups", dest="cgroups", action="store_false",
                    help="do not create cgroups (memory limits then use an RSS watch)")
    ap.add_argument("--no-namespaces", action="store_true",
                    help="run pods without mount/UTS namespaces even as root")
    ap.add_argument("--host-root", action="store_true",
                    help="pods see the host's /root instead of their own (as /home and /tmp, per pod)")
    ap.add_argument("--no-fork-server", dest="fork_server", action="store_false",
                    help="start pod processes with subprocess (a fork of kubesim) instead of the fork server")
    ap.add_argument("--uvloop", action="store_true",
                    help="use uvloop if installed (measured slower for exec streams over TLS; off by default)")
    ap.add_argument("--debug", action="store_true", help="asyncio debug logging to stderr")
    o = ap.parse_args(argv)
    host, _, port = o.listen.rpartition(":")
    if not host or not port.isdigit():
        ap.error("--listen must be HOST:PORT")
    o.host, o.port = host.strip("[]"), int(port)
    o.plain = None
    if o.plain_listen:
        phost, _, pport = o.plain_listen.rpartition(":")
        if not phost or not pport.isdigit():
            ap.error("--plain-listen must be HOST:PORT")
        o.plain = (phost.strip("[]"), int(pport))
    o.dir = os.path.abspath(o.dir)
    return o


def token_reader(o):
    if o.token_file:
        last = [o.token or ""]

        def read():
            try:
                with open(o.token_file) as f:
                    last[0] = f.read().strip()
            except OSError:
                pass
            return last[0]
        return read
    tok = o.token or secrets.token_urlsafe(32)
    return lambda: tok


async def amain(o):
    loop = asyncio.get_running_loop()
    from . import wsconn
    wsconn.OUT_MESSAGE = max(0, o.ws_max_message)
    os.makedirs(os.path.join(o.dir, "pods"), exist_ok=True)
    o.started = time.time()
    pki = certs.ensure_pki(o.dir)
    token_fn = token_reader(o)
    hostport = "%s:%d" % ("[%s]" % o.host if ":" in o.host else o.host, o.port)
    certs.write_kubeconfigs(o.dir, pki, "https://" + hostport, token_fn())
    if o.readonly_token:
        certs.write_kubeconfigs(o.dir, pki, "https://" + hostport, o.readonly_token, name="kubeconfig-readonly")
    nodes = load_nodes(o.nodes)
    store = Store(o.watch_history)
    store.objs["nodes"] = {(None, n["metadata"]["name"]): n for n in nodes}
    rec = Recorder(store, nodes[0]["metadata"]["name"])
    kubelet = Kubelet(store, rec, nodes, o, o.port)
    metrics = Metrics(kubelet, o.metrics_interval, o.metrics_window, o.metrics_delay)
    api = Api(o, store, kubelet, metrics, token_fn, hostport)
    app = web.Application(client_max_size=3 << 20)
    app.router.add_route("*", "/{tail:.*}", api.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        server = tlsserver.serve(loop, runner.server, o.host, o.port, certs.server_context(pki), backlog=256,
                                 handshake_timeout=15)
    except OSError:
        kubelet.cg.shutdown()        # do not leave this instance's (empty) cgroups behind
        raise
    plain = None
    if o.plain:
        try:
            plain = await loop.create_server(runner.server, o.plain[0], o.plain[1], backlog=256, reuse_address=True)
        except OSError:
            server.close()
            kubelet.cg.shutdown()
            raise
        certs.write_plain_kubeconfig(o.dir, "http://%s:%d" % o.plain)
    try:
        if o.fork_server:
            spawner.start(loop)      # pod processes are forked by a small helper process from now on
    except OSError as e:
        print("kubesim: no fork server (%s): processes are started with subprocess" % e, file=sys.stderr)
    mtask = loop.create_task(metrics.run())
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await stop.wait()
    server.close()
    if plain is not None:
        plain.close()
    mtask.cancel()
    await kubelet.shutdown()
    from .execws import REAPERS
    for t in list(REAPERS):
        t.cancel()
    try:
        await asyncio.wait_for(runner.shutdown(), 2)
    except Exception:
        pass
    try:
        await asyncio.wait_for(runner.cleanup(), 3)
    except Exception:
        pass


def _kill_leftovers():
    """Last resort on exit: every process we started is in a session we created; kill any survivor."""
    from .runtime import session_pids
    me = os.getpid()
    fs = spawner.get()
    parents = {me, fs.server.pid} if fs is not None else {me}
    kids = [p for p in session_pids(_children_sessions(parents)) if p not in parents]
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _children_sessions(parents):
    from .runtime import _listdir, proc_stat
    out = set()
    for d in _listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[0] in parents and st[1] == int(d):
                out.add(int(d))
    return out


def _tune_malloc():
    """Keep big I/O buffers (1 MiB reads, TLS records) on the heap: no mmap/munmap and page faults per read."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)     # M_MMAP_THRESHOLD
        libc.mallopt(-1, 128 << 20)    # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def main(argv=None):
    o = parse_args(sys.argv[1:] if argv is None else argv)
    _tune_malloc()
    logging.basicConfig(level=logging.DEBUG if o.debug else logging.WARNING, stream=sys.stderr,
                        format="kubesim: %(levelname)s %(name)s: %(message)s")
    if not o.debug:     # malformed requests are answered with 400 by aiohttp; their tracebacks are noise
        logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    prof = None
    if os.environ.get("KUBESIM_PROFILE"):        # developer aid: cProfile stats written at exit
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    if o.uvloop:
        try:
            import uvloop      # Debian python3-uvloop
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
    try:
        asyncio.run(amain(o), debug=o.debug)
    except OSError as e:
        print("kubesim: %s" % e, file=sys.stderr)
        return 1
    finally:
        _kill_leftovers()
        spawner.stop()
        if prof is not None:
            prof.disable()
            prof.dump_stats(os.environ["KUBESIM_PROFILE"])
    return 0
