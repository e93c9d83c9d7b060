#!/bin/bash
# gateway-forward.sh: direct-tcpip into an environment with the real
# OpenSSH client: `ssh -L` to an HTTP server in the pod (curl through the
# forward, equal sha256), `ssh -W` both ways (a download that the server
# ends, an upload of 16 MiB), the environment's other names (its name,
# 127.0.0.1, ::1), concurrent forwards on one connection, a closed port
# and a foreign host refused at the SSH level with the reason in the log,
# the key option no-port-forwarding, AllowTcpForwarding no (Match),
# PermitOpen, the client's EOF ending the stream, the audit log, and -R
# still refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

command -v curl >/dev/null 2>&1 || tst_skip "curl is not installed"
FWD=$top_srcdir/tests/integration
AUDIT=$TST_DIR/audit.log
HTTP_PORT=$(tst_free_port)
SINK_PORT=$(tst_free_port)
CLOSED_PORT=$(tst_free_port)

gw_start_sim
# One environment serves HTTP from its /tmp, a second one runs the sink.
gw_pod alice-dev alice alice-dev \
	"[\"/usr/bin/python3\",\"-m\",\"http.server\",\"$HTTP_PORT\",\"--bind\",\"127.0.0.1\",\"--directory\",\"/tmp\"]"
# The script goes in argv: the pod has its own /tmp and /home, where a
# checkout (CI clones into /tmp) is not.
gw_pod alice-sink alice alice-sink "$($PY -c 'import json, sys
print(json.dumps(["/usr/bin/python3", "-c", open(sys.argv[1]).read(),
    sys.argv[2]]))' "$FWD/fwd-sink.py" "$SINK_PORT")"
gw_user alice
gw_user bob
gw_user carol
# bob's key says no-port-forwarding.
sed -i 's/^/no-port-forwarding /' "$GW_AUTHKEYS/bob"
gw_config "Environment alice-dev owner=alice members=bob,carol" \
	"AuditLog $AUDIT" \
	"Match User carol" "  AllowTcpForwarding no" \
	"Match User alice Environment alice-sink" \
	"  PermitOpen localhost:$SINK_PORT"
gw_start
gw_pod_ready alice-dev || tst_fail "pod alice-dev did not become ready"
gw_pod_ready alice-sink || tst_fail "pod alice-sink did not become ready"
tst_wait_for 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HTTP_PORT" ||
	tst_fail "the HTTP server in alice-dev did not start"
tst_wait_for 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SINK_PORT" ||
	tst_fail "the sink in alice-sink did not start"

# A few MiB to fetch, written inside the environment.
want=$(gw_ssh alice+dev gw 'head -c 6000000 /dev/urandom >/tmp/blob &&
	sha256sum </tmp/blob' | cut -d' ' -f1)
tst_check "the blob was written in the pod" test ${#want} -eq 64

# ssh -L with curl through it.
LPORT=$(tst_free_port)
gw_ssh_bg lpid alice+dev -N -o ExitOnForwardFailure=yes \
	-L "127.0.0.1:$LPORT:localhost:$HTTP_PORT" gw 2>"$TST_DIR/L.err"
tst_wait_for 30 curl -sf -o /dev/null "http://127.0.0.1:$LPORT/" ||
	tst_fail "the -L forward did not come up"
got=$(curl -sf "http://127.0.0.1:$LPORT/blob" | sha256sum | cut -d' ' -f1)
tst_check "ssh -L: curl gets the blob, equal sha256" test "$got" = "$want"

# Concurrent forwarded connections on the one SSH connection.
pids=()
for i in 1 2 3 4 5 6; do
	curl -sf -m 60 "http://127.0.0.1:$LPORT/blob" -o "$TST_DIR/c$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
n=0
for i in 1 2 3 4 5 6; do
	[ "$(sha256sum <"$TST_DIR/c$i" | cut -d' ' -f1)" = "$want" ] &&
		n=$((n + 1))
done
tst_check "six concurrent fetches through one -L: all equal ($n/6)" \
	test "$n" -eq 6
tst_stop_pid "$lpid"

# ssh -W: the server ends the connection, the channel ends with it.
for host in localhost 127.0.0.1 '[::1]' alice-dev; do
	timeout 60 $PY "$FWD/fwd-client.py" http-w "$TST_DIR/w.body" -- \
		ssh -F "$GW_SSHCONF" -i "$GW_KEYS/alice" -l alice+dev \
		-W "$host:$HTTP_PORT" gw 2>"$TST_DIR/w.err"
	rc=$?
	got=$(sha256sum <"$TST_DIR/w.body" | cut -d' ' -f1)
	tst_check "ssh -W $host:$HTTP_PORT: the blob, status 0 ($rc)" \
		test "$got" = "$want" -a "$rc" -eq 0
done

# Upload through -W and -L: 16 MiB into the sink, its sha256 comes back.
read -r sent back < <(timeout 120 $PY "$FWD/fwd-client.py" sink-w 16777216 \
	-- ssh -F "$GW_SSHCONF" -i "$GW_KEYS/alice" -l alice+=alice-sink \
	-W "localhost:$SINK_PORT" gw)
tst_check "ssh -W: 16 MiB uploaded, the sink saw the same sha256" \
	test -n "$sent" -a "$sent" = "$back"
LPORT=$(tst_free_port)
gw_ssh_bg lpid alice+=alice-sink -N -o ExitOnForwardFailure=yes \
	-L "127.0.0.1:$LPORT:localhost:$SINK_PORT" gw 2>/dev/null
tst_wait_for 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$LPORT"
pids=()
for i in 1 2 3; do
	timeout 120 $PY "$FWD/fwd-client.py" sink-tcp "$LPORT" 4194304 \
		>"$TST_DIR/s$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
wait_all=0
for i in 1 2 3; do
	read -r a b <"$TST_DIR/s$i" && [ -n "$a" ] && [ "$a" = "$b" ] &&
		wait_all=$((wait_all + 1))
done
tst_check "three concurrent 4 MiB uploads through -L ($wait_all/3)" \
	test "$wait_all" -eq 3
tst_stop_pid "$lpid"

# The client's EOF ends the stream (no half-close): ssh -W returns.
printf 'GET / HTTP/1.0\r\n\r\n' | GW_TIMEOUT=20 gw_ssh alice+dev \
	-W "localhost:$HTTP_PORT" gw >/dev/null 2>&1
rc=$?
tst_check "ssh -W with stdin at EOF returns ($rc)" test $rc -ne 124

# Refusals, each an SSH-level "open failed" with the reason in the log.
refused() {	# USER TARGET LOGREGEX
	gw_ssh "$1" -o LogLevel=INFO -W "$2" gw </dev/null >/dev/null \
		2>"$TST_DIR/r.err"
	local rc=$?
	tst_check "$1 -W $2: refused ($rc)" test $rc -eq 255
	tst_check "... open failed" grep -q 'open failed' "$TST_DIR/r.err"
	tst_check "... the log says why" tst_wait_file_line 10 "$GW_LOG" "$3"
}
refused alice+dev "localhost:$CLOSED_PORT" \
	"forward to localhost:$CLOSED_PORT refused: connect failed: connection refused"
refused alice+dev "example.com:80" \
	"forward to example.com:80 refused: only the environment itself"
refused alice+dev "alice-sink:$SINK_PORT" \
	"forward to alice-sink:$SINK_PORT refused: only the environment itself"
refused bob+=alice-dev "localhost:$HTTP_PORT" \
	"bob@.*forward to localhost:$HTTP_PORT refused: port forwarding not permitted by the key"
refused carol+=alice-dev "localhost:$HTTP_PORT" \
	"carol@.*forward to localhost:$HTTP_PORT refused: port forwarding disabled \\(AllowTcpForwarding\\)"
refused alice+=alice-sink "127.0.0.1:$SINK_PORT" \
	"forward to 127.0.0.1:$SINK_PORT refused: forward target not in PermitOpen"
# bob may still run commands: only forwarding is off for his key.
got=$(gw_ssh bob+=alice-dev gw 'echo bob-in' </dev/null)
tst_check "bob (no-port-forwarding) still gets a session" test "$got" = bob-in

# -R stays refused.
got=$(gw_ssh alice+dev -N -o ExitOnForwardFailure=yes -R 0:localhost:22 gw \
	2>&1 </dev/null)
tst_check "ssh -R (tcpip-forward) is refused" \
	grep -q 'remote port forwarding failed' <<<"$got"

# Audit: forwards opened, refused and closed with byte counts.
tst_check "audit: a forward opened" grep -q \
	"\"event\":\"channel_open\".*\"kind\":\"forward\".*\"detail\":\"localhost:$HTTP_PORT\".*\"decision\":\"accept\"" \
	"$AUDIT"
tst_check "audit: a forward refused with its reason" grep -q \
	'"event":"channel_open".*"kind":"forward".*"decision":"refuse".*"reason":"only the environment' \
	"$AUDIT"
tst_check "audit: a forward closed with bytes out" grep -q \
	'"event":"channel_close".*"kind":"forward".*"bytes_out":[1-9][0-9]\{6\}' \
	"$AUDIT"
got=$(gw_ssh alice+dev gw 'echo still-here' </dev/null)
tst_check "sessions still work" test "$got" = still-here
tst_check "devgate logged no crash" gw_log_clean
tst_check "no worker was restarted" \
	test "$(grep -c 'restarting worker' "$GW_LOG")" -eq 0
tst_done
