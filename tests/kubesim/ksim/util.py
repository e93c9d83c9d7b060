"""Shared helpers: Status errors, timestamps, Kubernetes quantities, Go durations."""
import datetime
import json
import re
import time
import uuid


class ApiError(Exception):
    """An error that becomes an HTTP response with a meta/v1 Status body."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self):
        return status_obj(self.code, self.reason, self.message, self.details)


def status_obj(code, reason, message, details=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
          "message": message, "reason": reason}
    if details:
        st["details"] = details
    st["code"] = code
    return st


def not_found(kind, name, group=""):
    res = kind if not group else kind + "." + group
    return ApiError(404, "NotFound", '%s "%s" not found' % (res, name),
                    {"name": name, "group": group, "kind": kind} if group else {"name": name, "kind": kind})


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def invalid(kind, name, causes):
    """422 Invalid; causes = [(field, reason, message)]"""
    parts = ["%s: %s" % (f, m) for f, _r, m in causes]
    msg = '%s "%s" is invalid: %s' % (kind, name, parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]")
    return ApiError(422, "Invalid", msg, {
        "name": name, "kind": kind,
        "causes": [{"reason": r, "message": m, "field": f} for f, r, m in causes]})


def now_rfc3339(t=None):
    t = time.time() if t is None else t
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro(t=None):
    t = time.time() if t is None else t
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(s):
    try:
        return datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def new_uid():
    return str(uuid.uuid4())


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


# ---- quantities (apimachinery resource.Quantity) ----------------------------------------------

_QRE = re.compile(r"^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")
_BIN = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
_DEC = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse_quantity(s):
    """Return the quantity as a Fraction-free (numerator, denominator) exact value in base units.
    Raises ValueError on bad syntax."""
    from fractions import Fraction
    if isinstance(s, (int, float)) and not isinstance(s, bool):
        return Fraction(str(s))
    if not isinstance(s, str):
        raise ValueError("quantities must match the regular expression")
    m = _QRE.match(s.strip())
    if not m or s != s.strip():
        raise ValueError("quantities must match the regular expression "
                         "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    sign, num, suf = m.group(1), m.group(2), m.group(3) or ""
    v = Fraction(num if not num.endswith(".") else num[:-1] or "0")
    if suf in _BIN:
        v *= _BIN[suf]
    elif suf in _DEC:
        v *= Fraction(10) ** _DEC[suf]
    else:
        v *= Fraction(10) ** int(suf[1:])
    return -v if sign == "-" else v


def cpu_nanos(q):
    """CPU quantity -> integer nanocores (rounded up)."""
    v = parse_quantity(q) * 10 ** 9
    return -((-v.numerator) // v.denominator)


def mem_bytes(q):
    """Memory/count quantity -> integer (rounded up)."""
    v = parse_quantity(q)
    return -((-v.numerator) // v.denominator)


def format_nanocores(n):
    """Canonical decimal-SI form of a value in nanocores: '1534210n', '5m', '2'."""
    n = int(n)
    if n == 0:
        return "0"
    for suf, scale in (("", 10 ** 9), ("m", 10 ** 6), ("u", 10 ** 3)):
        if n % scale == 0:
            return "%d%s" % (n // scale, suf)
    return "%dn" % n


def format_bytes(b):
    """Canonical binary-SI form of a byte count: '524288Ki', '12345678'."""
    b = int(b)
    if b == 0:
        return "0"
    for suf, scale in (("Ei", 2 ** 60), ("Pi", 2 ** 50), ("Ti", 2 ** 40), ("Gi", 2 ** 30), ("Mi", 2 ** 20), ("Ki", 2 ** 10)):
        if b % scale == 0:
            return "%d%s" % (b // scale, suf)
    return str(b)


def parse_duration(s):
    """'5s', '500ms', '1m30s', '2' (seconds) -> float seconds. Raises ValueError."""
    s = str(s).strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", s):
        return float(s)
    total, pos = 0.0, 0
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6, "ns": 1e-9}
    for m in re.finditer(r"([0-9]+(?:\.[0-9]+)?)(ms|us|ns|h|m|s)", s):
        if m.start() != pos:
            raise ValueError("bad duration %r" % s)
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if pos != len(s) or pos == 0:
        raise ValueError("bad duration %r" % s)
    return total


def go_duration(sec):
    """Go time.Duration.String() for a non-negative number of seconds (ms precision)."""
    ms = int(round(sec * 1000))
    if ms < 1000:
        return "%dms" % ms if ms else "0s"
    h, rem = divmod(ms, 3600000)
    m, rem = divmod(rem, 60000)
    s = ("%d.%03d" % divmod(rem, 1000)).rstrip("0").rstrip(".") + "s"
    if h:
        return "%dh%dm%s" % (h, m, s)
    if m:
        return "%dm%s" % (m, s)
    return s


DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def bool_param(values):
    """apimachinery Convert_Slice_string_To_bool: absent -> False, '0'/'false' -> False, else True."""
    if not values:
        return False
    v = values[0].lower()
    return v not in ("0", "false")
