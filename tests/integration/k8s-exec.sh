#!/bin/bash
# k8s-exec.sh: exec and port-forward streams against kubesim: exit codes,
# 100 MiB through cat with equal sha256, stderr apart without a tty, tty
# size and resize, stdin EOF under v5, port-forward both ways and its
# error channel, memory of idle streams.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-k8s.sh"

k8s_start_sim
D=$TST_DIR
WEBPORT=$(tst_free_port)
k8s_pod dev alice alice-dev || { tst_fail "pod did not start"; tst_done; }
k8s_pod web alice alice-web "[\"/usr/bin/python3\",\"-m\",\"http.server\",\"$WEBPORT\",\"--bind\",\"127.0.0.1\"]" ||
	{ tst_fail "web pod did not start"; tst_done; }

for code in 0 1 42; do
	"$PROBE" exec alice-dev sh -c "exit $code" </dev/null >"$D/x$code" 2>&1
	rc=$?
	tst_check "exit code $code comes back" [ $rc -eq "$code" ]
done
tst_check "v5.channel.k8s.io is negotiated" \
	grep -q "open protocol=v5.channel.k8s.io" "$D/x0"

# Older API servers answer v4 (no stdin EOF message): exit codes still
# come back through the JSON status.
"$PROBE" -4 exec alice-dev sh -c 'echo v4-out; exit 42' </dev/null >"$D/v4" 2>&1
rc=$?
tst_check "v4.channel.k8s.io: exit code 42 comes back" [ $rc -eq 42 ]
tst_check "  over v4, with its output" \
	bash -c "grep -q 'open protocol=v4.channel.k8s.io' '$D/v4' && grep -qx v4-out '$D/v4'"

"$PROBE" exec alice-dev /no/such/program </dev/null >"$D/nf" 2>&1
rc=$?
tst_check "exec of a missing program: no exit code, a message (125)" [ $rc -eq 125 ]
tst_check "  the message says what failed" grep -q "exit-message:.*no/such/program" "$D/nf"

# 100 MiB through cat: stdin → stdout byte for byte, then EOF ends cat.
head -c $((100 << 20)) /dev/urandom >"$D/big"
"$PROBE" exec alice-dev cat <"$D/big" >"$D/big.out" 2>"$D/big.err"
rc=$?
tst_check "cat of 100 MiB exits 0 after stdin EOF (ff 00)" [ $rc -eq 0 ]
tst_check "100 MiB come back with the same sha256" \
	[ "$(sha256sum <"$D/big" | cut -d' ' -f1)" = "$(sha256sum <"$D/big.out" | cut -d' ' -f1)" ]
rm -f "$D/big" "$D/big.out"

"$PROBE" exec alice-dev sh -c 'echo to-out; echo to-err >&2' </dev/null \
	>"$D/o" 2>"$D/e"
tst_check "without a tty stdout stays stdout" grep -qx to-out "$D/o"
tst_check "without a tty stderr stays stderr" grep -qx to-err "$D/e"
tst_check "  and does not leak into stdout" bash -c "! grep -q to-err '$D/o'"

# The size message goes out right after the upgrade, before any input;
# reading a line first makes sure the server has applied it.
printf 'go\n' | "$PROBE" exec -t 100x30 alice-dev sh -c 'read x; stty size' \
	>"$D/tty1" 2>/dev/null
tst_check "tty: the initial size is set (stty size = 30 100)" \
	grep -q "^30 100" "$D/tty1"
printf 'go\n' | "$PROBE" exec -t 80x24 -r 132x43 alice-dev \
	sh -c 'read x; stty size' >"$D/tty2" 2>/dev/null
tst_check "tty: a resize reaches the terminal (43 132)" grep -q "^43 132" "$D/tty2"
"$PROBE" exec -t 80x24 alice-dev sh -c 'echo e >&2' </dev/null >"$D/tty3" 2>"$D/tty3e"
tst_check "tty: stderr is merged into stdout" grep -q "^e" "$D/tty3"

printf 'line1\nline2\n' | "$PROBE" exec alice-dev sh -c 'cat; echo after-eof' \
	>"$D/eof" 2>/dev/null
tst_check "stdin EOF reaches the process and output continues after it" \
	grep -qx after-eof "$D/eof"

# Backpressure: a reader that pauses the stream after every delivery and
# resumes 1 ms later still gets every byte in order, and the probe's memory
# stays small although the pod writes as fast as it can.
"$PROBE" exec -s alice-dev seq 1 3000000 </dev/null 2>"$D/slow.err" |
	sha256sum >"$D/slow.sum"
seq 1 3000000 | sha256sum >"$D/seq.sum"
tst_check "pause/resume: output complete and in order" cmp -s "$D/slow.sum" "$D/seq.sum"
tst_check "  the stream was paused many times" grep -qE "pauses=[0-9]{3,}" "$D/slow.err"
hwm=$(sed -n 's/.*peak_rss_kb=\([0-9]*\).*/\1/p' "$D/slow.err")
tst_log "slow reader: $(grep pauses "$D/slow.err")"
if ldd "$PROBE" 2>/dev/null | grep libasan >/dev/null; then
	tst_log "ASan build: peak RSS not meaningful (quarantine), not checked"
else
	tst_check "  peak RSS stays under 64 MB while paused" [ "${hwm:-999999}" -lt 65536 ]
fi

# Port-forward: an HTTP request to a server inside the pod.
web_up() { printf 'GET / HTTP/1.0\r\n\r\n' | "$PROBE" pf alice-web "$WEBPORT" >"$D/pf" 2>&1; }
tst_check "port-forward reaches the server in the pod" tst_wait_for 20 web_up
tst_check "  and its answer comes back" grep -q "HTTP/1.0 200" "$D/pf"
tst_check "  over v4.channel.k8s.io" grep -q "open protocol=v4.channel.k8s.io" "$D/pf"
CLOSED=$(tst_free_port)
"$PROBE" pf alice-web "$CLOSED" </dev/null >"$D/pf2" 2>&1
rc=$?
tst_check "port-forward to a closed port fails with error()" [ $rc -eq 100 ]
tst_check "  naming the port" grep -q "error forwarding port $CLOSED" "$D/pf2"

"$PROBE" bench alice-dev 256 >"$D/bench" 2>/dev/null
rc=$?
tst_check "256 MiB through cat, verified" [ $rc -eq 0 ]
tst_log "$(cat "$D/bench")"

PROBE_DEBUG=1 "$PROBE" idle alice-dev 100 >"$D/idle" 2>"$D/idle.log"
rc=$?
tst_check "100 idle exec streams open" [ $rc -eq 0 ]
tst_log "$(grep idle "$D/idle")"
heap=$(sed -n 's/.*heap_per_stream=\([0-9]*\).*/\1/p' "$D/idle")
tst_check "an idle exec stream holds under 40 KB of heap" [ "${heap:-999999}" -lt 40960 ]
tst_check "later streams resume the TLS session" \
	grep -q "TLS session resumed" "$D/idle.log"
tst_done
