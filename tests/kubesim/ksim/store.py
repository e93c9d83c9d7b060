"""Object store with a global resourceVersion, bounded per-kind event history and watches."""
import asyncio
import collections
import copy

from .util import ApiError, bad_request


class Watcher:
    """One watch stream: a queue of (type, obj) filtered by namespace and selectors."""

    def __init__(self, store, kind, ns, lsel, fsel):
        self.store, self.kind, self.ns, self.lsel, self.fsel = store, kind, ns, lsel, fsel
        self.queue = asyncio.Queue()

    def matches(self, obj):
        if obj is None:
            return False
        md = obj.get("metadata", {})
        if self.ns and md.get("namespace") != self.ns:
            return False
        return self.lsel.matches(md.get("labels")) and self.fsel.matches(obj)

    def offer(self, etype, obj, prev):
        """Translate a store event for this watcher's filter (as the watch cache does)."""
        now, before = self.matches(obj), (self.matches(prev) if prev is not None else False)
        if etype == "MODIFIED":
            if now and not before:
                etype = "ADDED"
            elif before and not now:
                etype, now = "DELETED", True
        if now:
            self.queue.put_nowait((etype, obj))

    def close(self):
        self.store.watchers[self.kind].discard(self)


class Store:
    """kind -> {(ns, name): obj}; every change gets a new resourceVersion and an event."""

    def __init__(self, history=1000):
        self.rv = 1000
        self.history_len = max(1, history)
        self.objs = collections.defaultdict(dict)
        self.history = collections.defaultdict(collections.deque)
        self.compacted = collections.defaultdict(int)   # highest rv dropped from history, per kind
        self.watchers = collections.defaultdict(set)
        self.listeners = []                             # callables(kind, etype, obj, prev)

    def _bump(self):
        self.rv += 1
        return str(self.rv)

    def _emit(self, kind, etype, obj, prev):
        h = self.history[kind]
        h.append((int(obj["metadata"]["resourceVersion"]), etype, obj, prev))
        while len(h) > self.history_len:
            self.compacted[kind] = h.popleft()[0]
        for w in list(self.watchers[kind]):
            w.offer(etype, obj, prev)
        for fn in self.listeners:
            try:
                fn(kind, etype, obj, prev)
            except Exception:  # a listener must never break the store
                import traceback
                traceback.print_exc()

    def get(self, kind, ns, name):
        return self.objs[kind].get((ns, name))

    def exists(self, kind, ns, name):
        return (ns, name) in self.objs[kind]

    def create(self, kind, obj):
        md = obj["metadata"]
        key = (md.get("namespace"), md["name"])
        if key in self.objs[kind]:
            raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (kind, md["name"]),
                           {"name": md["name"], "kind": kind})
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = self._bump()
        self.objs[kind][key] = obj
        self._emit(kind, "ADDED", obj, None)
        return obj

    def mutate(self, kind, ns, name, fn):
        """Apply fn to a copy of the object; store and announce it if fn returns anything but False."""
        cur = self.objs[kind].get((ns, name))
        if cur is None:
            return None
        new = copy.deepcopy(cur)
        if fn(new) is False:
            return cur
        new["metadata"]["resourceVersion"] = self._bump()
        self.objs[kind][(ns, name)] = new
        self._emit(kind, "MODIFIED", new, cur)
        return new

    def delete(self, kind, ns, name):
        cur = self.objs[kind].pop((ns, name), None)
        if cur is None:
            return None
        gone = copy.deepcopy(cur)
        gone["metadata"]["resourceVersion"] = self._bump()
        self._emit(kind, "DELETED", gone, cur)
        return gone

    def list(self, kind, ns, lsel, fsel):
        out = []
        for (ons, _name), obj in sorted(self.objs[kind].items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
            if ns and ons != ns:
                continue
            if lsel.matches(obj["metadata"].get("labels")) and fsel.matches(obj):
                out.append(obj)
        return out, str(self.rv)

    def watch(self, kind, ns, lsel, fsel, rv, initial):
        """Start a watch. rv None/'0'/'' -> synthetic ADDED for current objects (or when initial is set).
        Returns the Watcher; raises ApiError(410) when rv is older than the retained history."""
        w = Watcher(self, kind, ns, lsel, fsel)
        if rv in (None, "", "0") or initial:
            for obj in self.list(kind, ns, lsel, fsel)[0]:
                w.queue.put_nowait(("ADDED", obj))
            if initial:
                w.queue.put_nowait(("BOOKMARK-INITIAL", None))
        else:
            try:
                since = int(rv)
            except ValueError:
                raise bad_request('invalid resource version "%s"' % rv) from None
            if since < self.compacted[kind]:
                raise ApiError(410, "Expired", "too old resource version: %d (%d)" % (since, self.compacted[kind] + 1))
            for erv, etype, obj, prev in self.history[kind]:
                if erv > since:
                    w.offer(etype, obj, prev)
        self.watchers[kind].add(w)
        return w
