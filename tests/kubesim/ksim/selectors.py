"""Label selectors (full apimachinery grammar) and field selectors."""
import re

from .util import bad_request

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"


class LabelSelector:
    """Parsed labelSelector; requirements are (key, op, values)."""

    def __init__(self, text):
        self.reqs = []
        text = (text or "").strip()
        if text:
            self._parse(text)

    def _parse(self, text):
        pos, n = 0, len(text)
        tok = re.compile(r"\s*(!?)\s*(" + _KEY + r")\s*(==|!=|=|\bnotin\b|\bin\b|)\s*")
        while pos < n:
            m = tok.match(text, pos)
            if not m or not m.group(2):
                raise bad_request("unable to parse requirement: invalid label selector %r" % text)
            neg, key, op = m.group(1), m.group(2), m.group(3)
            pos = m.end()
            if neg:
                if op:
                    raise bad_request("unable to parse requirement: '!' must precede a bare key in %r" % text)
                self.reqs.append((key, "!", None))
            elif op in ("in", "notin"):
                m2 = re.compile(r"\(\s*([^)]*)\)\s*").match(text, pos)
                if not m2:
                    raise bad_request("unable to parse requirement: expected '(' after %s in %r" % (op, text))
                vals = [v.strip() for v in m2.group(1).split(",")]
                if any(not re.fullmatch(r"[A-Za-z0-9._-]*", v) for v in vals):
                    raise bad_request("unable to parse requirement: invalid value in %r" % text)
                self.reqs.append((key, op, set(vals)))
                pos = m2.end()
            elif op:
                m2 = re.compile(r"([A-Za-z0-9._-]*)\s*").match(text, pos)
                self.reqs.append((key, "!=" if op == "!=" else "=", m2.group(1)))
                pos = m2.end()
            else:
                self.reqs.append((key, "exists", None))
            if pos < n:
                if text[pos] != ",":
                    raise bad_request("unable to parse requirement: found '%s', expected: ',' or 'end of string'"
                                      % text[pos])
                pos += 1
                if pos >= n:
                    raise bad_request("unable to parse requirement: trailing ',' in %r" % text)

    def matches(self, labels):
        labels = labels or {}
        for key, op, val in self.reqs:
            has = key in labels
            if op == "=" and (not has or labels[key] != val):
                return False
            if op == "!=" and has and labels[key] == val:
                return False
            if op == "in" and (not has or labels[key] not in val):
                return False
            if op == "notin" and has and labels[key] in val:
                return False
            if op == "exists" and not has:
                return False
            if op == "!" and has:
                return False
        return True


def _get_path(obj, path):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


POD_FIELDS = {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
              "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
              "status.nominatedNodeName"}
EVENT_FIELDS = {"metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace",
                "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
                "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent",
                "source", "type"}
GENERIC_FIELDS = {"metadata.name", "metadata.namespace"}


class FieldSelector:
    """fieldSelector: comma-separated k=v, k==v, k!=v over a fixed set of keys per resource."""

    def __init__(self, text, allowed, resource="pods"):
        self.reqs = []
        for part in (text or "").split(","):
            part = part.strip()
            if not part:
                continue
            m = re.fullmatch(r"([A-Za-z.]+)\s*(==|!=|=)\s*(.*)", part)
            if not m:
                raise bad_request("invalid selector: '%s'; can't understand '%s'" % (text, part))
            key, op, val = m.groups()
            if key not in allowed:
                raise bad_request('"%s" is not a known field selector: only "%s"' % (key, '", "'.join(sorted(allowed))))
            self.reqs.append((key, op != "!=", val))

    def matches(self, obj):
        for key, eq, val in self.reqs:
            if key == "source":
                got = (obj.get("source") or {}).get("component", "")
            else:
                got = _get_path(obj, key)
            if (got == val) != eq:
                return False
        return True
