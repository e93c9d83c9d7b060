#!/bin/bash
# kubesim-exec.sh: pods/exec over WebSocket with real kubectl (100 MiB round trip, exit codes, stderr,
# env/workingDir, namespaces) and with a raw client (v5/v4 negotiation, initial message, status bytes,
# stdin close ff 00, Ping/Pong, close code 1000, hang-up kills the process, errors before the upgrade).
. "$(dirname "$0")/lib-kubesim.sh"
ks_need kubectl sha256sum
ks_start
C() { "$PY" "$KS_CLIENT" --kubeconfig "$KUBECONFIG" exec "$@"; }

cat >"$KS_DIR/pod.json" <<'JSON'
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"box","labels":{"app":"box"}},
 "spec":{"containers":[{"name":"main","image":"debian:12","command":["sleep","infinity"],
  "workingDir":"/home/work","env":[{"name":"FOO","value":"bar baz"},{"name":"POD","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}}
JSON
ks_check "create pod from JSON" k create -f "$KS_DIR/pod.json"
ks_check "pod becomes Ready" k wait --for=condition=Ready pod/box --timeout=30s

ks_log "== kubectl exec -i: 100 MiB round trip and exit code 3"
head -c 100M /dev/urandom >"$KS_DIR/in.bin"
k exec -i box -- sh -c 'cat; exit 3' <"$KS_DIR/in.bin" >"$KS_DIR/out.bin"
rc=$?
ks_check "exit status 3 propagated (got $rc)" test $rc -eq 3
a=$(sha256sum <"$KS_DIR/in.bin" | cut -d' ' -f1); b=$(sha256sum <"$KS_DIR/out.bin" | cut -d' ' -f1)
ks_check "100 MiB round trip has the same sha256" test "$a" = "$b"
rm -f "$KS_DIR/in.bin" "$KS_DIR/out.bin"

ks_log "== stdout/stderr, env, workingDir"
k exec box -- sh -c 'echo to-out; echo to-err >&2' >"$KS_DIR/o" 2>"$KS_DIR/e"
ks_check "stdout and stderr are separate streams" test "$(cat "$KS_DIR/o")" = to-out -a "$(grep -c to-err "$KS_DIR/e")" = 1
ks_check "container env reaches exec (FOO, fieldRef)" test "$(k exec box -- sh -c 'echo "$FOO/$POD"')" = "bar baz/box"
ks_check "workingDir honoured" test "$(k exec box -- pwd)" = /home/work
ks_check "exit 0 -> kubectl exit 0" k exec box -- true
k exec box -- sh -c 'exit 42'; rc=$?
ks_check "exit 42 -> kubectl exit 42 (got $rc)" test $rc -eq 42
err=$(k exec box -- /no/such/binary 2>&1); rc=$?
echo "$err"
ks_check "missing binary: failure with 'not found' message" test $rc -ne 0 -a -n "$(grep -i 'not found' <<<"$err")"

if [ "$(id -u)" = 0 ]; then
  ks_log "== isolation (root: mount/UTS namespaces, cgroups)"
  k exec box -- sh -c 'echo in-pod >/tmp/marker; echo home >/home/h'
  ks_check "pod /tmp is DIR/pods/NS/NAME/tmp" test "$(cat "$KS_DIR/state/pods/default/box/tmp/marker")" = in-pod
  ks_check "pod /home is DIR/pods/NS/NAME/home" test -f "$KS_DIR/state/pods/default/box/home/h"
  ks_check "host /tmp untouched" test ! -e /tmp/marker
  k exec box -- sh -c 'echo r >/root/r'
  ks_check "pod /root is DIR/pods/NS/NAME/root" test -f "$KS_DIR/state/pods/default/box/root/r"
  ks_check "pod /root has the stock .bashrc, not the host's" \
    cmp -s "$KS_DIR/state/pods/default/box/root/.bashrc" /usr/share/base-files/dot.bashrc
  ks_check "host /root untouched" test ! -e /root/r
  ks_check "hostname is the pod name" test "$(k exec box -- cat /proc/sys/kernel/hostname)" = box
  cg=$(k exec box -- cat /proc/self/cgroup)
  ks_check "exec runs in the pod's cgroup" grep -q kubesim <<<"$cg"
  if grep -q '^[0-9]*:memory:' <<<"$cg"; then   # cgroup v1: every controller kubesim uses
    for c in memory cpu cpuacct; do
      ks_check "... v1 $c" grep -Eq "^[0-9]+:([a-z_]+,)*$c(,[a-z_]+)*:.*kubesim" <<<"$cg"
    done
  fi
  ks_check "host binaries visible (/usr/lib/openssh or /bin/sh)" k exec box -- test -x /bin/sh
fi

ks_log "== raw WebSocket client: negotiation and frames"
r=$(C --pod box --stdout --stderr --protocols v5.channel.k8s.io,v4.channel.k8s.io -- sh -c 'echo hi')
echo "$r"
ks_check "v5 chosen from [v5,v4]" test "$(ks_json 'o["protocol"]' <<<"$r")" = v5.channel.k8s.io
ks_check "initial empty message on stdout (01)" test "$(ks_json 'o["first"]' <<<"$r")" = 01
ks_check "status bytes {\"metadata\":{},\"status\":\"Success\"}" test "$(ks_json 'o["status"]' <<<"$r")" = '{"metadata":{},"status":"Success"}'
ks_check "close code 1000 after the status" test "$(ks_json 'o["close"]' <<<"$r")" = 1000
r=$(C --pod box --stdout --protocols v4.channel.k8s.io,v5.channel.k8s.io,channel.k8s.io -- sh -c 'exit 7')
ks_check "client order wins: v4 chosen from [v4,v5]" test "$(ks_json 'o["protocol"]' <<<"$r")" = v4.channel.k8s.io
ks_check "NonZeroExitCode with ExitCode cause first" test "$(ks_json \
  'json.loads(o["status"])["reason"]=="NonZeroExitCode" and json.loads(o["status"])["details"]["causes"][0]=={"reason":"ExitCode","message":"7"}' <<<"$r")" = True
r=$(C --pod box --stderr -- sh -c 'echo e >&2')
ks_check "initial message on stderr (02) when no stdout" test "$(ks_json 'o["first"]' <<<"$r")" = 02
r=$(C --pod box --stdin --stdout --input 'abc' --close-stdin -- cat)
ks_check "v5 stdin close (ff 00) gives EOF to the process" test "$(ks_json 'o["stdout"]+"|"+json.loads(o["status"])["status"]' <<<"$r")" = "abc|Success"
r=$(C --pod box --stdout --ping -- sh -c 'sleep 0.3; echo x')
ks_check "Ping answered with Pong (same payload)" test "$(ks_json 'o["pong"]' <<<"$r")" = hi
r=$("$PY" - "$KUBECONFIG" "$KS_CLIENT" <<'PYEOF'
import sys, importlib.util
spec = importlib.util.spec_from_file_location("kc", sys.argv[2]); kc = importlib.util.module_from_spec(spec); spec.loader.exec_module(kc)
c = kc.Conn(kc.load_cfg(sys.argv[1]))
st, h = c.ws_open("/api/v1/namespaces/default/pods/box/exec?command=true&stdout=true", ["v5.channel.k8s.io"],
                  ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"])
print(st, h.get("sec-websocket-extensions", "none"))
PYEOF
)
ks_check "permessage-deflate declined" test "$r" = "101 none"

ks_log "== client hang-up kills the exec'd process"
r=$(C --pod box --stdout --hangup-after 1 -- sh -c 'echo $$; exec sleep 1000')
pid=$(ks_json 'o["stdout"].split()[0]' <<<"$r")
ks_check "process $pid gone after the client closed" ks_poll 10 ks_not_running "$pid"

if [ "${KUBESIM_SLOW_TESTS:-0}" = 1 ]; then
  ks_log "== (slow) kubectl exec outlives kubectl's 61 s Pong deadline"
  ks_check "kubectl exec of 'sleep 70' succeeds" test "$(k exec box -- sh -c 'sleep 70; echo survived')" = survived
fi

ks_log "== errors before the upgrade are HTTP Status responses"
r=$(C --pod nosuch --stdout -- true)
ks_check "missing pod -> 404 NotFound Status" test "$(ks_json 'o["http"]==404 and json.loads(o["body"][o["body"].index("{"):])["reason"]=="NotFound"' <<<"$r")" = True
r=$(C --pod box -- true)
ks_check "no stream requested -> 400 BadRequest" test "$(ks_json 'o["http"]' <<<"$r")" = 400
r=$(ks_api POST '/api/v1/namespaces/default/pods/box/exec?command=true&stdout=true' --data '')
ks_check "non-upgrade POST (SPDY fallback) -> 400 Status" test "$(head -1 <<<"$r")" = 400
err=$(k exec nosuch -- true 2>&1)
ks_check "kubectl exec into a missing pod says NotFound" grep -q NotFound <<<"$err"

ks_stop
ks_summary
