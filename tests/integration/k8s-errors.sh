#!/bin/bash
# k8s-errors.sh: failures end streams with error() and a reason, never a
# hang or a crash: wrong token (401), forbidden (403, kubesim's read-only
# principal: REST writes, exec and port-forward), unreachable server, API
# server gone mid-stream, pod deleted mid-stream, a server that does not
# speak HTTP (a stub).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-k8s.sh"

k8s_start_sim --readonly-token "readonly-$$"
D=$TST_DIR
k8s_pod dev alice alice-dev || { tst_fail "pod did not start"; tst_done; }

sed 's/^\( *token:\).*/\1 not-the-token/' "$KUBECONFIG" >"$D/bad.kc"
"$PROBE" -k "$D/bad.kc" exec alice-dev true </dev/null >"$D/401" 2>&1
rc=$?
tst_check "wrong token: exec ends in error()" [ $rc -eq 100 ]
tst_check "  reason: authentication failed, 401" \
	grep -q "error: authentication failed: upgrade refused: 401" "$D/401"
"$PROBE" -k "$D/bad.kc" find dev alice >"$D/401r" 2>&1
tst_check "wrong token: REST calls fail with 'authentication failed'" \
	grep -q "error: authentication failed" "$D/401r"

DEAD=$(tst_free_port)
sed "s#https://127.0.0.1:[0-9]*#https://127.0.0.1:$DEAD#" "$KUBECONFIG" >"$D/dead.kc"
"$PROBE" -k "$D/dead.kc" exec alice-dev true </dev/null >"$D/dead" 2>&1
rc=$?
tst_check "unreachable API server: error() (not a hang)" [ $rc -eq 100 ]
tst_check "  reason: service unavailable, connection refused" \
	grep -q "error: service unavailable: connect: Connection refused" "$D/dead"

# 403 Forbidden, worded by the RBAC authorizer: the read-only principal
# may look (get, list) but not create, exec or port-forward.
RO=$K8S_DIR/kubeconfig-readonly
"$PROBE" -k "$RO" find dev alice >"$D/403f" 2>&1
tst_check "read-only: REST reads work" grep -q "phase=running" "$D/403f"
k8s_manifest alice-ro debian:12 '["sleep","infinity"]' >"$D/ro.json"
"$PROBE" -k "$RO" start ro alice "$D/ro.json" >"$D/403r" 2>&1
tst_check "forbidden: REST writes fail with 'permission denied'" \
	grep -q "error: permission denied" "$D/403r"
"$PROBE" -k "$RO" exec alice-dev true </dev/null >"$D/403" 2>&1
rc=$?
tst_check "forbidden (no pods/exec): error()" [ $rc -eq 100 ]
tst_check "  reason carries the Status message" grep -q \
	'permission denied: upgrade refused: 403 pods "alice-dev" is forbidden: User "system:serviceaccount:default:readonly"' \
	"$D/403"
"$PROBE" -k "$RO" pf alice-dev 80 </dev/null >"$D/403pf" 2>&1
rc=$?
tst_check "forbidden (no pods/portforward): error()" [ $rc -eq 100 ]
tst_check "  reason carries the Status message" grep -q \
	'permission denied: upgrade refused: 403 pods "alice-dev" is forbidden' \
	"$D/403pf"

# A stub that does not speak HTTP at all.
cat >"$D/stub.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        self.wfile.write(b"SSH-2.0-not-http\r\n\r\n")
    do_GET = do_POST = do_DELETE = answer
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
port_open() { $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1"; }
GARB=$(tst_free_port)
$PY "$D/stub.py" "$GARB" &
tst_track_pid $!
sed "s#https://127.0.0.1:[0-9]*#http://127.0.0.1:$GARB#" "$KUBECONFIG" >"$D/garb.kc"
tst_wait_for 20 port_open "$GARB"
"$PROBE" -k "$D/garb.kc" exec alice-dev true </dev/null >"$D/garb" 2>&1
rc=$?
tst_check "a server that does not speak HTTP: error()" [ $rc -eq 100 ]
tst_check "  reason: malformed response" grep -q "protocol error: malformed HTTP" "$D/garb"

# Ownership rules of the backend interface (these matter most under
# --enable-sanitizers): cancelled requests never call back, a stream may be
# closed inside its own data() callback, the backend may be freed inside a
# request callback.
"$PROBE" cancel dev alice >"$D/cancel" 2>&1
tst_check "cancelled requests never call back" [ $? -eq 0 ]
tst_log "$(grep 'cancelled in flight' "$D/cancel")"
"$PROBE" closecb alice-dev >"$D/closecb" 2>&1
tst_check "a stream closed inside data(): no further callback" [ $? -eq 0 ]
"$PROBE" freecb dev alice >"$D/freecb" 2>&1
tst_check "the backend freed inside a callback: clean exit" [ $? -eq 0 ]
tst_check "  (the callback did run)" grep -q "find: ok" "$D/freecb"

# Pod deleted while a command runs: the kubelet kills it, the status says
# so (137), and the stream ends; nothing hangs.
"$PROBE" exec alice-dev sleep 600 </dev/null >"$D/mid" 2>&1 &
mid=$!
tst_check "long exec is running" tst_wait_for 20 grep -q "open protocol" "$D/mid"
"$PROBE" stop dev alice 0 >/dev/null
wait "$mid"
rc=$?
tst_check "pod deleted mid-stream: the stream ends (killed: 137, or error())" \
	bash -c "[ $rc -eq 137 ] || [ $rc -eq 100 ]"

# The API server dies mid-stream: connection reset → error() with reason.
k8s_pod dev2 alice alice-dev2 || tst_fail "second pod did not start"
"$PROBE" exec alice-dev2 sleep 600 </dev/null >"$D/gone" 2>&1 &
gone=$!
tst_check "exec is running before the server dies" \
	tst_wait_for 20 grep -q "open protocol" "$D/gone"
kill -KILL "$K8S_PID"
wait "$K8S_PID" 2>/dev/null
wait "$gone"
rc=$?
tst_check "API server gone mid-stream: error()" [ $rc -eq 100 ]
tst_check "  reason says the connection closed" \
	grep -qE "error: connection closed: (API server closed|connection closed by)" "$D/gone"
tst_done
