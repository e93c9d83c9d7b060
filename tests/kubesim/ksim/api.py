"""HTTP API: authentication, routing, pods/events/nodes/namespaces, watch, logs, exec/portforward, metrics."""
import asyncio
import json
import os
import random
import re
import time
import traceback

from aiohttp import web

from . import discovery
from .execws import EXEC_PROTOCOLS, ExecSession
from .podspec import check_update, json_patch, merge_patch, to_table, table_row, validate_and_default, wants_table
from .portforward import PF_PROTOCOLS, PortForwardSession
from .spdy import SPDY_PROTOCOL, SpdyTunnel
from .selectors import EVENT_FIELDS, GENERIC_FIELDS, POD_FIELDS, FieldSelector, LabelSelector
from .util import DNS1123_LABEL, ApiError, bad_request, bool_param, dumps, not_found, now_rfc3339, status_obj
from .wsconn import is_websocket, offered_protocols

PUBLIC = {"/version", "/healthz", "/readyz", "/livez"}
KINDS = {"pods": ("Pod", POD_FIELDS), "events": ("Event", EVENT_FIELDS)}


def _json(obj, status=200):
    return web.Response(body=dumps(obj).encode(), status=status, content_type="application/json")


def _err(e):
    return _json(e.status(), e.code)


class Api:
    def __init__(self, opts, store, kubelet, metrics, token_fn, host):
        self.opts, self.store, self.kubelet, self.metrics = opts, store, kubelet, metrics
        self.token_fn, self.host = token_fn, host
        self.log = open(opts.log, "a", buffering=1) if opts.log else None
        self.watches = set()

    # ---- entry point ----
    async def handle(self, request):
        t0 = time.monotonic()
        status = 500
        try:
            resp = await self._handle(request)
            status = resp.status
            return resp
        except ApiError as e:
            status = e.code
            return _err(e)
        except web.HTTPException as e:
            status = e.status
            return _json(status_obj(e.status, "BadRequest" if e.status == 400 else "InternalError",
                                    e.text or e.reason), e.status)
        except ConnectionError:
            status = 499
            return web.Response(status=499)
        except asyncio.CancelledError:
            status = 499
            raise
        except Exception as e:
            traceback.print_exc()
            return _json(status_obj(500, "InternalError", "Internal error occurred: %s" % e), 500)
        finally:
            if self.log:
                self.log.write("%s %s %s %d %.3fs\n" % (now_rfc3339(), request.method, request.path_qs, status,
                                                        time.monotonic() - t0))

    def _authenticated(self, request):
        """The principal: "admin" (full rights), "readonly" (--readonly-token), or None."""
        tr = request.transport
        if tr is not None and tr.get_extra_info("sslcontext") is None:
            return "admin"     # the benchmark-only plain-HTTP listener (--plain-listen) has no authentication
        cert = tr.get_extra_info("peercert") if tr is not None else None
        if cert:
            return "admin"
        tokens = [(self.token_fn(), "admin"), (getattr(self.opts, "readonly_token", None), "readonly")]
        offered = [request.headers.get("Authorization", "")]
        for p in offered_protocols(request):   # WebSocket clients that cannot set headers
            if p.startswith("base64url.bearer.authorization.k8s.io."):
                import base64
                enc = p.split(".", 4)[-1]
                try:
                    offered.append("bearer " + base64.urlsafe_b64decode(enc + "=" * (-len(enc) % 4)).decode())
                except (ValueError, UnicodeDecodeError):
                    pass
        for auth in offered:
            if auth[:7].lower() != "bearer ":
                continue
            for want, who in tokens:
                if want and auth[7:].strip() == want:
                    return who
        return None

    @staticmethod
    def _readonly_allows(request, path):
        """RBAC of the read-only principal: get/list/watch of pods, events, metrics and pods/log."""
        if request.method not in ("GET", "HEAD"):
            return False
        sub = path.strip("/").split("/")
        return not (len(sub) >= 6 and sub[4] == "pods" and sub[-1] in ("exec", "attach", "portforward"))

    @staticmethod
    def _forbidden(request, path):
        """A 403 Status worded like the real RBAC authorizer."""
        p = path.strip("/").split("/")
        ns = p[3] if len(p) > 3 and p[2] == "namespaces" else ""
        rest = p[4:] if ns else p[2:]
        res = "/".join([rest[0]] + rest[2:3]) if rest else "resources"
        name = rest[1] if len(rest) > 1 else ""
        verb = {"POST": "create", "DELETE": "delete", "PATCH": "patch", "PUT": "update"}.get(request.method, "get")
        if verb == "get" and len(rest) == 1:
            verb = "watch" if request.query.get("watch") in ("1", "true") else "list"
        who = "system:serviceaccount:default:readonly"
        msg = '%s%s is forbidden: User "%s" cannot %s resource "%s" in API group "" %s' % (
            rest[0] if rest else "resources", ' "%s"' % name if name else "", who, verb, res,
            'in the namespace "%s"' % ns if ns else "at the cluster scope")
        return ApiError(403, "Forbidden", msg, {"name": name, "kind": rest[0] if rest else ""})

    async def _handle(self, request):
        path = request.path
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        if path not in PUBLIC:
            who = self._authenticated(request)
            if who is None:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if who == "readonly" and not self._readonly_allows(request, path):
                raise self._forbidden(request, path)
        m = request.method
        if path in ("/healthz", "/readyz", "/livez"):
            return web.Response(text="ok", content_type="text/plain")
        if path == "/version":
            return _json(discovery.VERSION)
        if path == "/api":
            return _json(discovery.api_versions(self.host))
        if path == "/api/v1":
            return _json(discovery.CORE_V1)
        if path == "/apis":
            return _json(discovery.api_groups())
        if path == "/apis/metrics.k8s.io":
            return _json(discovery.metrics_group())
        if path == "/apis/metrics.k8s.io/v1beta1":
            return _json(discovery.METRICS_V1B1)
        if path == "/openapi/v3":
            return _json(discovery.OPENAPI_V3_ROOT)
        if path == "/openapi/v3/api/v1":
            return _json(discovery.OPENAPI_V3_CORE)
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "v1"]:
            return await self._core(request, m, parts[2:])
        if parts[:3] == ["apis", "metrics.k8s.io", "v1beta1"]:
            return self._metrics(request, m, parts[3:])
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    async def _core(self, request, m, p):
        ns = None
        if len(p) >= 2 and p[0] == "namespaces":
            ns, p = p[1], p[2:]
            if len(ns) > 63 or not DNS1123_LABEL.match(ns):   # also keeps DIR/pods/NS inside DIR
                raise not_found("namespaces", ns)
            if not p:
                return self._namespace(m, ns)
        elif p == ["namespaces"]:
            return self._namespaces(request, m)
        if not p:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        res = p[0]
        if res == "nodes" and ns is None:
            return self._nodes(request, m, p[1:])
        if res not in KINDS:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if len(p) == 1:
            if m == "GET":
                return await self._list(request, res, ns)
            if m == "POST" and res == "pods" and ns:
                return await self._create(request, ns)
            if m == "DELETE" and res == "pods" and ns:
                return await self._delete_collection(request, ns)
            raise self._method()
        name = p[1]
        if ns is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if len(p) == 2:
            if m == "GET":
                return self._get(request, res, ns, name)
            if res == "pods":
                if m == "DELETE":
                    return await self._delete(request, ns, name)
                if m == "PATCH":
                    return await self._patch(request, ns, name)
                if m == "PUT":
                    return await self._put(request, ns, name)
            raise self._method()
        sub = p[2] if len(p) == 3 and res == "pods" else None
        if sub == "status" and m == "GET":
            return self._get(request, res, ns, name)
        if sub == "log" and m == "GET":
            return await self._logs(request, ns, name)
        if sub in ("exec", "attach"):
            return await self._exec(request, ns, name, sub)
        if sub == "portforward":
            return await self._portforward(request, ns, name)
        if sub in ("status", "log"):
            raise self._method()
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    @staticmethod
    def _method():
        return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    # ---- namespaces / nodes ----
    def _ns_obj(self, name):
        return {"kind": "Namespace", "apiVersion": "v1",
                "metadata": {"name": name, "uid": "00000000-0000-4000-8000-%012x" % (hash(name) & 0xFFFFFFFFFFFF),
                             "creationTimestamp": now_rfc3339(self.opts.started),
                             "labels": {"kubernetes.io/metadata.name": name}},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}

    def _namespace(self, m, ns):
        if m != "GET":
            raise self._method()
        return _json(self._ns_obj(ns))

    def _namespaces(self, request, m):
        if m != "GET":
            raise self._method()
        names = {"default", "kube-system", "kube-public", "kube-node-lease"}
        names |= {k[0] for k in self.store.objs["pods"]}
        return _json({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": str(self.store.rv)},
                      "items": [self._ns_obj(n) for n in sorted(names)]})

    def _nodes(self, request, m, rest):
        if m != "GET":
            raise self._method()
        if rest:
            for n in self.kubelet.nodes:
                if n["metadata"]["name"] == rest[0]:
                    if wants_table(request.headers.get("Accept")):
                        return _json(to_table("nodes", [n], str(self.store.rv), request.query.get("includeObject")))
                    return _json(n)
            raise not_found("nodes", rest[0])
        lsel = LabelSelector(request.query.get("labelSelector"))
        items = [n for n in self.kubelet.nodes if lsel.matches(n["metadata"].get("labels"))]
        if wants_table(request.headers.get("Accept")):
            return _json(to_table("nodes", items, str(self.store.rv), request.query.get("includeObject")))
        return _json({"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": str(self.store.rv)},
                      "items": items})

    # ---- get / list / watch ----
    def _get(self, request, res, ns, name):
        obj = self.store.get(res, ns, name)
        if obj is None:
            raise not_found(res, name)
        if wants_table(request.headers.get("Accept")):
            return _json(to_table(res, [obj], obj["metadata"]["resourceVersion"], request.query.get("includeObject")))
        return _json(obj)

    async def _list(self, request, res, ns):
        q = request.query
        lsel = LabelSelector(q.get("labelSelector"))
        fsel = FieldSelector(q.get("fieldSelector"), KINDS[res][1] if ns or res == "pods" else GENERIC_FIELDS)
        if bool_param(q.getall("watch", [])):
            return await self._watch(request, res, ns, lsel, fsel)
        items, rv = self.store.list(res, ns, lsel, fsel)
        if wants_table(request.headers.get("Accept")):
            return _json(to_table(res, items, rv, q.get("includeObject")))
        # like the real server, items of a typed list carry no kind/apiVersion (watch objects do)
        items = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in items]
        return _json({"kind": KINDS[res][0] + "List", "apiVersion": "v1", "metadata": {"resourceVersion": rv},
                      "items": items})

    async def _watch(self, request, res, ns, lsel, fsel):
        q = request.query
        try:
            timeout = float(q.get("timeoutSeconds")) if q.get("timeoutSeconds") else random.uniform(1800, 3600)
        except ValueError:
            raise bad_request("invalid timeoutSeconds %r" % q.get("timeoutSeconds")) from None
        bookmarks = bool_param(q.getall("allowWatchBookmarks", []))
        initial = bool_param(q.getall("sendInitialEvents", []))
        table = wants_table(request.headers.get("Accept"))
        include = q.get("includeObject")
        resp = web.StreamResponse(status=200)
        resp.content_type = "application/json"
        resp.enable_chunked_encoding()
        try:
            w = self.store.watch(res, ns, lsel, fsel, q.get("resourceVersion"), initial)
        except ApiError as e:
            if e.code != 410:
                raise
            await resp.prepare(request)
            await resp.write(dumps({"type": "ERROR", "object": e.status()}).encode() + b"\n")
            return resp
        self.watches.add(w)
        try:
            await resp.prepare(request)
            if self.log:
                self.log.write("%s %s %s 200 watch-started\n" % (now_rfc3339(), request.method, request.path_qs))
            deadline = time.monotonic() + timeout
            next_bm = time.monotonic() + self.opts.bookmark_interval
            kindname = KINDS[res][0]
            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                if request.transport is None or request.transport.is_closing():
                    break
                if bookmarks and now >= next_bm:
                    await resp.write(dumps({"type": "BOOKMARK", "object": {
                        "kind": kindname, "apiVersion": "v1",
                        "metadata": {"resourceVersion": str(self.store.rv)}}}).encode() + b"\n")
                    next_bm = now + self.opts.bookmark_interval
                wait = min(deadline - now, 1.0, (next_bm - now) if bookmarks else 1.0)
                try:
                    etype, obj = await asyncio.wait_for(w.queue.get(), max(wait, 0.001))
                except asyncio.TimeoutError:
                    continue
                if etype == "BOOKMARK-INITIAL":
                    if bookmarks:
                        await resp.write(dumps({"type": "BOOKMARK", "object": {
                            "kind": kindname, "apiVersion": "v1", "metadata": {
                                "resourceVersion": str(self.store.rv),
                                "annotations": {"k8s.io/initial-events-end": "true"}}}}).encode() + b"\n")
                    continue
                if table:
                    t = to_table(res, [], obj["metadata"]["resourceVersion"], include)
                    t["rows"] = [table_row(res, obj, include)]
                    obj = t
                await resp.write(dumps({"type": etype, "object": obj}).encode() + b"\n")
        except (ConnectionError, RuntimeError):
            pass
        finally:
            w.close()
            self.watches.discard(w)
        return resp

    # ---- create / delete / patch ----
    async def _body(self, request):
        raw = await request.read()
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise bad_request("couldn't get version/kind; json parse error: %s" % e) from None

    async def _create(self, request, ns):
        body = await self._body(request)
        pod = validate_and_default(body, ns)
        if request.query.get("dryRun"):
            return _json(pod, 201)
        for _ in range(5):
            try:
                created = self.store.create("pods", pod)
                break
            except ApiError:
                if not body.get("metadata", {}).get("name") and body.get("metadata", {}).get("generateName"):
                    pod = validate_and_default(body, ns)
                    continue
                raise
        self.kubelet.add(created)
        return _json(created, 201)

    async def _delete_options(self, request):
        opts = {}
        if request.can_read_body:
            raw = await request.read()
            if raw.strip():
                try:
                    opts = json.loads(raw)
                except ValueError as e:
                    raise bad_request("couldn't get version/kind; json parse error: %s" % e) from None
                if not isinstance(opts, dict):
                    raise bad_request("DeleteOptions must be an object")
        g = request.query.get("gracePeriodSeconds")
        if g is not None:
            try:
                opts["gracePeriodSeconds"] = int(g)
            except ValueError:
                raise bad_request("invalid gracePeriodSeconds %r" % g) from None
        return opts

    def _delete_one(self, ns, name, opts, dry):
        pod = self.store.get("pods", ns, name)
        if pod is None:
            raise not_found("pods", name)
        pre = opts.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != pod["metadata"]["uid"]:
            raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on Pod "%s": Precondition failed: UID in '
                           "precondition: %s, UID in object meta: %s" % (name, pre["uid"], pod["metadata"]["uid"]),
                           {"name": name, "kind": "Pod"})
        if pre.get("resourceVersion") and pre["resourceVersion"] != pod["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on Pod "%s": the object has been modified; '
                           "please apply your changes to the latest version and try again" % name,
                           {"name": name, "kind": "Pod"})
        grace = opts.get("gracePeriodSeconds")
        if not isinstance(grace, int) or isinstance(grace, bool):
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        if grace < 0:
            grace = 1
        if not pod["spec"].get("nodeName") or pod["status"].get("phase") in ("Succeeded", "Failed"):
            grace = 0
        if dry:
            return pod
        cur = pod["metadata"].get("deletionGracePeriodSeconds")
        if cur is not None and grace >= cur:
            return pod                      # already terminating with a shorter or equal period
        if grace == 0:
            gone = self.store.delete("pods", ns, name)
            self.kubelet.delete(pod["metadata"]["uid"], 0, True)
            self.kubelet.kick_scheduler()
            return gone

        def mark(p):
            p["metadata"]["deletionTimestamp"] = now_rfc3339(time.time() + grace)
            p["metadata"]["deletionGracePeriodSeconds"] = grace
        new = self.store.mutate("pods", ns, name, mark)
        if cur is None:
            self.kubelet.delete(pod["metadata"]["uid"], grace, False)
        else:
            run = self.kubelet.runs.get(pod["metadata"]["uid"])
            if run is not None:
                run.grace_deadline = min(getattr(run, "grace_deadline", 1e18), time.monotonic() + grace)
        return new

    async def _delete(self, request, ns, name):
        opts = await self._delete_options(request)
        return _json(self._delete_one(ns, name, opts, bool(request.query.get("dryRun") or opts.get("dryRun"))))

    async def _delete_collection(self, request, ns):
        opts = await self._delete_options(request)
        lsel = LabelSelector(request.query.get("labelSelector"))
        fsel = FieldSelector(request.query.get("fieldSelector"), POD_FIELDS)
        items, _ = self.store.list("pods", ns, lsel, fsel)
        out = [self._delete_one(ns, p["metadata"]["name"], opts, bool(request.query.get("dryRun")))
               for p in items]
        return _json({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": str(self.store.rv)},
                      "items": out})

    def _apply_update(self, ns, name, new, dry):
        old = self.store.get("pods", ns, name)
        check_update(old, new)
        rv = new["metadata"].get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on pods "%s": the object has been '
                           "modified; please apply your changes to the latest version and try again" % name,
                           {"name": name, "kind": "pods"})
        if dry:
            return old

        def upd(p):
            changed = False
            for f in ("labels", "annotations"):
                v = new["metadata"].get(f)
                if (v or {}) != (p["metadata"].get(f) or {}):
                    changed = True
                    if v:
                        p["metadata"][f] = dict(v)
                    else:
                        p["metadata"].pop(f, None)
            for c_new, c_old in zip((new.get("spec") or {}).get("containers") or [], p["spec"]["containers"]):
                if isinstance(c_new, dict) and c_new.get("image") and c_new["image"] != c_old["image"]:
                    c_old["image"], changed = c_new["image"], True
            return None if changed else False
        return self.store.mutate("pods", ns, name, upd)

    async def _patch(self, request, ns, name):
        ct = (request.content_type or "").lower()
        pod = self.store.get("pods", ns, name)
        if pod is None:
            raise not_found("pods", name)
        if ct not in ("application/merge-patch+json", "application/strategic-merge-patch+json",
                      "application/json-patch+json"):
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted "
                           "media types include: application/json-patch+json, application/merge-patch+json, "
                           "application/strategic-merge-patch+json")
        body = await self._body(request)
        if ct == "application/json-patch+json":
            new = json_patch(pod, body)
        else:
            if not isinstance(body, dict):
                raise bad_request("the body of a merge patch must be a JSON object")
            body.pop("$setElementOrder/containers", None)
            if isinstance(body.get("spec"), dict) and ct.startswith("application/strategic"):
                spec = body["spec"]    # strategic merge of containers by name: merge into the matching entry
                if isinstance(spec.get("containers"), list):
                    byname = {c.get("name"): c for c in spec.pop("containers") if isinstance(c, dict)}
                    spec["containers"] = [merge_patch(c, byname[c["name"]]) if c["name"] in byname else c
                                          for c in pod["spec"]["containers"]]
            new = merge_patch(pod, body)
        return _json(self._apply_update(ns, name, new, bool(request.query.get("dryRun"))))

    async def _put(self, request, ns, name):
        if self.store.get("pods", ns, name) is None:
            raise not_found("pods", name)
        body = await self._body(request)
        return _json(self._apply_update(ns, name, body, bool(request.query.get("dryRun"))))

    # ---- logs ----
    def _container(self, pod, cname):
        names = [c["name"] for c in pod["spec"]["containers"]]
        if not cname:
            dflt = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
            if len(names) == 1 or dflt in names:
                return names[0] if len(names) == 1 else dflt
            raise bad_request("a container name must be specified for pod %s, choose one of: [%s]"
                              % (pod["metadata"]["name"], " ".join(names)))
        if cname not in names:
            raise bad_request("container %s is not valid for pod %s" % (cname, pod["metadata"]["name"]))
        return cname

    async def _logs(self, request, ns, name):
        pod = self.store.get("pods", ns, name)
        if pod is None:
            raise not_found("pods", name)
        q = request.query
        cname = self._container(pod, q.get("container"))
        run = self.kubelet.runs.get(pod["metadata"]["uid"])
        cr = run.container(cname) if run else None
        if cr is None or (cr.started_at is None and not cr.restart_count):
            reason = "ContainerCreating"
            if cr is not None and "waiting" in cr.state:
                reason = cr.state["waiting"].get("reason", reason)
            raise bad_request('container "%s" in pod "%s" is waiting to start: %s' % (cname, name, reason))
        path = os.path.join(run.root_dir, "logs", cname + ".log")
        if bool_param(q.getall("previous", [])):
            path += ".previous"
            if not os.path.exists(path):
                raise bad_request('previous terminated container "%s" in pod "%s" not found' % (cname, name))
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            data = b""
        if q.get("tailLines", "").isdigit():
            lines = data.splitlines(keepends=True)
            data = b"".join(lines[-int(q["tailLines"]):]) if int(q["tailLines"]) else b""
        if q.get("limitBytes", "").isdigit():
            data = data[:int(q["limitBytes"])]
        if not bool_param(q.getall("follow", [])):
            return web.Response(body=data, content_type="text/plain")
        resp = web.StreamResponse()
        resp.content_type = "text/plain"
        await resp.prepare(request)
        await resp.write(data)
        pos = os.path.getsize(path) if os.path.exists(path) else 0
        try:
            while request.transport is not None and not request.transport.is_closing():
                try:
                    with open(path, "rb") as f:
                        f.seek(pos)
                        more = f.read(1 << 20)
                except OSError:
                    more = b""
                if more:
                    pos += len(more)
                    await resp.write(more)
                    continue
                if "running" not in cr.state or run.stop.is_set():
                    break
                await asyncio.sleep(0.2)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    # ---- exec / attach / portforward ----
    def _running_pod(self, ns, name, cname):
        pod = self.store.get("pods", ns, name)
        if pod is None:
            raise not_found("pods", name)
        cname = self._container(pod, cname)
        run = self.kubelet.runs.get(pod["metadata"]["uid"])
        cr = run.container(cname) if run else None
        if cr is None or "running" not in cr.state or cr.sandbox is None or pod["status"].get("phase") != "Running":
            raise bad_request('unable to upgrade connection: container not found ("%s")' % cname)
        return pod, cr

    @staticmethod
    def _pick(request, supported):
        offered = offered_protocols(request)
        for p in offered:
            if p in supported:
                return p
        raise bad_request("unable to upgrade connection: requested protocol(s) are not supported: [%s]; supports %s"
                          % (" ".join(offered), "[" + " ".join(supported) + "]"))

    async def _exec(self, request, ns, name, sub):
        q = request.query
        if not is_websocket(request):
            if request.headers.get("Upgrade", "").lower().startswith("spdy"):
                raise bad_request("kubesim serves %s only over WebSocket (%s); SPDY upgrade is not supported"
                                  % (sub, ", ".join(EXEC_PROTOCOLS)))
            raise bad_request("Upgrade request required")
        stdin, stdout = bool_param(q.getall("stdin", [])), bool_param(q.getall("stdout", []))
        stderr, tty = bool_param(q.getall("stderr", [])), bool_param(q.getall("tty", []))
        if not (stdin or stdout or stderr):
            raise bad_request("you must specify at least 1 of stdin, stdout, stderr")
        argv = q.getall("command", [])
        if sub == "exec" and not argv:
            raise bad_request("you must specify at least one command for the container")
        pod, cr = self._running_pod(ns, name, q.get("container"))
        if sub == "attach":
            argv = ["tail", "-n", "+1", "-f", "/proc/%d/fd/1" % cr.proc.pid]
            stdin = False
        proto = self._pick(request, EXEC_PROTOCOLS)
        await ExecSession(request, cr.sandbox, argv, stdin, stdout, stderr, tty, proto).run()
        return web.Response(status=101)  # never sent: the connection was taken over

    async def _portforward(self, request, ns, name):
        if not is_websocket(request):
            if request.headers.get("Upgrade", "").lower().startswith("spdy"):
                raise bad_request("kubesim serves portforward only over WebSocket (v4.channel.k8s.io); "
                                  "SPDY upgrade is not supported")
            raise bad_request("Upgrade request required")
        offered = offered_protocols(request)
        proto = next((p for p in offered if p in PF_PROTOCOLS or p == SPDY_PROTOCOL), None)
        if proto == SPDY_PROTOCOL:       # kubectl port-forward: SPDY/3.1 tunnelled in WebSocket
            pod = self.store.get("pods", ns, name)
            if pod is None:
                raise not_found("pods", name)
            if pod["status"].get("phase") != "Running":
                raise bad_request("unable to upgrade connection: pod %s is not running" % name)
            await SpdyTunnel(request, pod, proto).run()
            return web.Response(status=101)
        ports = []
        for v in request.query.getall("ports", []) + request.query.getall("port", []):
            for s in v.split(","):
                s = s.strip()
                if not re.fullmatch(r"[0-9]{1,5}", s) or not 1 <= int(s) <= 65535:
                    raise bad_request("invalid port %r: port must be in the range 1-65535" % s)
                ports.append(int(s))
        if not ports:
            raise bad_request('query parameter "port" is required')
        pod = self.store.get("pods", ns, name)
        if pod is None:
            raise not_found("pods", name)
        if pod["status"].get("phase") != "Running":
            raise bad_request("unable to upgrade connection: pod %s is not running" % name)
        proto = self._pick(request, PF_PROTOCOLS)
        await PortForwardSession(request, pod, ports, proto).run()
        return web.Response(status=101)

    # ---- metrics.k8s.io ----
    def _metrics(self, request, m, p):
        if m != "GET":
            raise self._method()
        ns = None
        if len(p) >= 2 and p[0] == "namespaces":
            ns, p = p[1], p[2:]
            if len(ns) > 63 or not DNS1123_LABEL.match(ns):
                raise not_found("namespaces", ns)
        if p[:1] == ["nodes"]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if p[:1] != ["pods"] or len(p) > 2:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if len(p) == 2:
            pod = self.store.get("pods", ns, p[1])
            if pod is None:
                raise not_found("podmetrics", "%s/%s" % (ns, p[1]), "metrics.k8s.io")
            return _json(self.metrics.pod_metrics(pod))
        lsel = LabelSelector(request.query.get("labelSelector"))
        fsel = FieldSelector(request.query.get("fieldSelector"), GENERIC_FIELDS)
        items = []
        for pod in self.store.list("pods", ns, lsel, fsel)[0]:
            try:
                items.append(self.metrics.pod_metrics(pod))
            except ApiError:
                pass
        return _json({"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {},
                      "items": items})
