# lib-kubesim.sh: shared helpers for the kubesim-*.sh integration tests (source it; bash only).
# Starts tests/kubesim/kubesim on a free port in a temporary directory, stops it by PID on exit,
# and offers polling helpers with deadlines (tests never sleep to wait).

set -u

# Locate the source tree: $srcdir may be the top of the tree or tests/integration; else the script's dir.
ks_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KS_TOP=
for cand in "${srcdir:-}" "${srcdir:-}/../.." "$ks_here/../.."; do
  if [ -n "$cand" ] && [ -x "$cand/tests/kubesim/kubesim" ]; then KS_TOP=$(cd "$cand" && pwd); break; fi
done
[ -n "$KS_TOP" ] || { echo "SKIP: cannot find tests/kubesim/kubesim (srcdir=${srcdir:-})"; exit 77; }
KUBESIM="$KS_TOP/tests/kubesim/kubesim"
KS_CLIENT="$KS_TOP/tests/integration/kubesim_client.py"
PY=/usr/bin/python3

KS_FAILS=0
KS_CHECKS=0
KS_PID=
KS_DIR=
KS_EXTRA_CLEANUP=()

ks_log() { printf '%s\n' "$*"; }
ks_pass() { KS_CHECKS=$((KS_CHECKS + 1)); printf 'ok   %s\n' "$*"; }
ks_fail() { KS_CHECKS=$((KS_CHECKS + 1)); KS_FAILS=$((KS_FAILS + 1)); printf 'FAIL %s\n' "$*"; }
ks_skip() { echo "SKIP: $*"; exit 77; }

# ks_check "description" command args...: run a command, record pass/fail.
ks_check() {
  local what=$1; shift
  if "$@"; then ks_pass "$what"; else ks_fail "$what"; fi
}

ks_need() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || ks_skip "$c not installed"; done
  [ -x "$PY" ] || ks_skip "$PY not found"
  "$PY" -c 'import aiohttp, yaml, cryptography' 2>/dev/null \
    || ks_skip "python3-aiohttp, python3-yaml and python3-cryptography are required"
}

ks_free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ks_poll SECONDS command args...: retry the command until it succeeds or the deadline passes.
ks_poll() {
  local secs=$1; shift
  local end=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
  while :; do
    if "$@"; then return 0; fi
    [ $(( $(date +%s%N) / 1000000 )) -lt $end ] || return 1
    sleep 0.1   # poll interval, not a wait for something to happen
  done
}

ks_cleanup() {
  local rc=$?
  local f
  for f in "${KS_EXTRA_CLEANUP[@]}"; do eval "$f" >/dev/null 2>&1 || true; done
  if [ -n "$KS_PID" ] && kill -0 "$KS_PID" 2>/dev/null; then
    kill -TERM "$KS_PID" 2>/dev/null
    ks_poll 15 ks_not_running "$KS_PID" || kill -KILL "$KS_PID" 2>/dev/null
  fi
  [ -n "$KS_DIR" ] && rm -rf "$KS_DIR"
  exit $rc
}

ks_not_running() { ! kill -0 "$1" 2>/dev/null; }

# ks_start [kubesim options...]: start kubesim, export KUBECONFIG, KS_DIR, KS_PORT, KS_PID, KS_TOKEN.
ks_start() {
  KS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kubesim-test.XXXXXX")
  KS_PORT=$(ks_free_port)
  trap ks_cleanup EXIT
  trap 'exit 130' INT TERM
  "$KUBESIM" --listen "127.0.0.1:$KS_PORT" --dir "$KS_DIR/state" --log "$KS_DIR/requests.log" "$@" \
    >"$KS_DIR/stdout" 2>"$KS_DIR/stderr" &
  KS_PID=$!
  if ! ks_poll 30 grep -qsx ready "$KS_DIR/stdout"; then
    echo "kubesim did not become ready; stderr:"; cat "$KS_DIR/stderr"; exit 1
  fi
  export KUBECONFIG="$KS_DIR/state/kubeconfig"
  export KUBECACHEDIR="$KS_DIR/kube-cache"
  KS_TOKEN=$(sed -n 's/^ *token: *//p' "$KUBECONFIG")
  ks_log "kubesim pid $KS_PID on https://127.0.0.1:$KS_PORT (dir $KS_DIR)"
}

# ks_stop: SIGTERM, expect exit 0 and no pod process or cgroup left behind.
ks_stop() {
  local pids="" cg f rc
  for cg in /sys/fs/cgroup/memory/kubesim/kubesim-"$KS_PID" /sys/fs/cgroup/kubesim/kubesim-"$KS_PID"; do
    [ -d "$cg" ] && pids="$pids $(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)"
  done
  kill -TERM "$KS_PID"
  if ks_poll 20 ks_not_running "$KS_PID"; then
    wait "$KS_PID"; rc=$?
    if [ $rc -eq 0 ]; then ks_pass "kubesim exits 0 on SIGTERM"; else ks_fail "kubesim exit status $rc on SIGTERM"; fi
  else
    ks_fail "kubesim did not stop within 20 s of SIGTERM"; kill -KILL "$KS_PID"
  fi
  local left=""
  for f in $pids; do kill -0 "$f" 2>/dev/null && left="$left $f"; done
  if [ -z "$left" ]; then ks_pass "no pod process left behind"; else ks_fail "pod processes left:$left"; fi
  if [ ! -e /sys/fs/cgroup/memory/kubesim/kubesim-"$KS_PID" ] && [ ! -e /sys/fs/cgroup/kubesim/kubesim-"$KS_PID" ]; then
    ks_pass "cgroups removed"
  else
    ks_fail "cgroup directory left behind"
  fi
  if grep -q Traceback "$KS_DIR/stderr"; then ks_fail "kubesim logged a Python traceback:"; cat "$KS_DIR/stderr"; fi
  KS_PID=
}

k() { kubectl --request-timeout=30s "$@"; }

# ks_api METHOD PATH [--data D] [--ctype T] [--token T]: prints HTTP status on line 1, body after.
ks_api() { "$PY" "$KS_CLIENT" --kubeconfig "$KUBECONFIG" req "$@"; }

# ks_json EXPR: evaluate a Python expression on JSON from stdin (bound to 'o'); prints the result.
ks_json() { "$PY" -c 'import json,sys; o=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1"; }

# ks_pod_json NAME [NS]: the pod as JSON (empty if absent).
ks_pod_json() { k get pod "$1" -n "${2:-default}" -o json 2>/dev/null; }

# ks_pod_is NAME EXPR: poll helper, true when EXPR over the pod JSON is True.
ks_pod_is() { [ "$(ks_pod_json "$1" | ks_json "$2" 2>/dev/null)" = "True" ]; }

ks_summary() {
  echo "$((KS_CHECKS - KS_FAILS)) passed, $KS_FAILS failed"
  [ "$KS_FAILS" -eq 0 ]
}
