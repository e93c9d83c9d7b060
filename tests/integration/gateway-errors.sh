#!/bin/bash
# gateway-errors.sh: failures as the SSH client sees them: 401 and 403 from
# the API server (exec and port-forward), the API server unreachable (each:
# one clear line on stderr, no URL, a non-zero status, the session id and
# a reason in the log, the worker survives), and a client that stops
# answering (ClientAliveInterval/ClientAliveCountMax).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

echo "token-one-$$" >"$TST_DIR/token"
gw_start_sim --token-file "$TST_DIR/token" --readonly-token "ro-$$"
gw_pod alice-dev alice
gw_user alice
gw_config "ClientAliveInterval 1" "ClientAliveCountMax 2" "MaxStartups 1"
gw_start
gw_pod_ready alice-dev || tst_fail "pod alice-dev did not become ready"

err=$TST_DIR/err
got=$(gw_ssh alice+dev gw 'echo fine')
tst_check "a session works" test "$got" = fine

# MaxStartups 1: while one connection is not yet authenticated, the next
# is refused; once it goes, connections are accepted again.
exec 5<>"/dev/tcp/127.0.0.1/$GW_PORT"
head -c 5 <&5 >/dev/null	# the server's banner: it was accepted
gw_ssh alice+dev gw true 2>/dev/null
tst_check "MaxStartups 1: a second unauthenticated connection is refused" \
	test $? -eq 255
tst_check "... and logged" grep -q 'MaxStartups (1:100:1)' "$GW_LOG"
exec 5<&-
tst_wait_for 10 sh -c "grep -q 'closed before login' '$GW_LOG'"
got=$(gw_ssh alice+dev gw 'echo again')
tst_check "... and accepted again once it went" test "$got" = again

# A client that stops answering is dropped after the keepalives.
gw_ssh_bg cpid alice+dev gw 'echo up; cat' </dev/zero \
	>"$TST_DIR/alive.out" 2>&1
tst_wait_for 30 grep -q up "$TST_DIR/alive.out"
# timeout and the ssh it runs: stop both.
tree="$cpid $(pgrep -P "$cpid")"
kill -STOP $tree
tst_check "an unresponsive client is dropped (ClientAliveCountMax)" \
	tst_wait_for 30 grep -q 'client not responding' "$GW_LOG"
kill -CONT $tree 2>/dev/null
wait "$cpid"
tst_check "... and its ssh ends with an error" test $? -ne 0

# The API server stops accepting our token: 401.
echo "token-two-$$" >"$TST_DIR/token"
gw_ssh alice+dev gw true 2>"$err"
rc=$?
tst_check "401 from the API server: status 255 ($rc)" test $rc -eq 255
tst_check "... one line on stderr" test "$(wc -l <"$err")" -eq 1
# The lookup may be answered from the 2 s cache; then the exec stream is
# the one refused. Either way: one line, and the log has the reason.
tst_check "... that says what happened" \
	grep -q 'alice-dev.* right now; try again later$' "$err"
tst_check "... without a URL" sh -c "! grep -q 'https\\?://' '$err'"
tst_check "the log has the reason" grep -qiE \
	'cannot look up the environment: .*auth|stream refused: .*401' "$GW_LOG"
echo "token-one-$$" >"$TST_DIR/token"
got=$(gw_ssh alice+dev gw 'echo again')
tst_check "with the token accepted again, sessions work" test "$got" = again

# 403 Forbidden: devgate's identity may read pods but not exec or
# port-forward (kubesim's read-only principal, a Status worded like the
# RBAC authorizer's). Reloaded with that kubeconfig (SIGHUP).
reload_with() {	# KUBECONFIG NTH-RELOAD
	local old
	old=$(gw_workers | tr '\n' ' ')
	sed -i "s#^Kubeconfig .*#Kubeconfig $1#" "$GW_CONF"
	kill -HUP "$GW_PID"
	tst_wait_file_line 30 "$GW_LOG" \
		"configuration reloaded: .*\\(generation $2\\)" ||
		tst_fail "SIGHUP: no reload"
	for p in $old; do
		tst_wait_for 30 sh -c "! kill -0 $p 2>/dev/null" ||
			tst_fail "old worker $p did not leave"
	done
}
reload_with "$SIM_DIR/kubeconfig-readonly" 1
ro_workers=$(gw_workers | tr '\n' ' ')
gw_ssh alice+dev gw true 2>"$err"
rc=$?
tst_check "403 on exec: a non-zero status ($rc)" test $rc -ne 0
tst_check "... one line on stderr" test "$(wc -l <"$err")" -eq 1
tst_check "... that says what happened" grep -qx 'devgate: cannot start a session in alice-dev: the cluster does not permit it; please tell your administrator' "$err"
tst_check "... without a URL or internal detail" \
	sh -c "! grep -qiE 'https?://|serviceaccount|pods/exec|403' '$err'"
tst_check "the log has the session id and the reason" grep -qE \
	' s[0-9]+\.[0-9]+ alice@[^ ]+ env=alice-dev: channel [0-9]+: exec stream refused: upgrade refused: 403 .*forbidden' \
	"$GW_LOG"
gw_ssh alice+dev -o LogLevel=INFO -W localhost:22 gw </dev/null >/dev/null \
	2>"$err"
rc=$?
tst_check "403 on port-forward: ssh -W refused ($rc)" test $rc -eq 255
tst_check "... at the SSH level" grep -q 'open failed' "$err"
tst_check "... the log has the session id and the reason" grep -qE \
	' s[0-9]+\.[0-9]+ alice@[^ ]+ env=alice-dev: channel [0-9]+: forward to localhost:22 refused: port-forward refused: upgrade refused: 403 .*forbidden' \
	"$GW_LOG"
tst_check "the workers survived the 403s" \
	test "$(gw_workers | tr '\n' ' ')" = "$ro_workers"
reload_with "$SIM_DIR/kubeconfig" 2
got=$(gw_ssh alice+dev gw 'echo good-again')
tst_check "with devgate's own kubeconfig again, the next session works" \
	test "$got" = good-again

# The API server goes away.
kill -TERM "$SIM_PID"
tst_wait_for 30 sh -c "! kill -0 $SIM_PID 2>/dev/null"
gw_ssh alice+dev gw true 2>"$err"
rc=$?
tst_check "API server unreachable: status 255 ($rc)" test $rc -eq 255
# (Either the lookup or, with a cached answer, the exec stream fails.)
tst_check "... one clear line" test "$(wc -l <"$err")" -eq 1
tst_check "... saying to try again later" grep -q \
	'^devgate: .*alice-dev.* right now; try again later$' "$err"
tst_check "the workers survived" \
	test "$(grep -c 'restarting worker' "$GW_LOG")" -eq 0
tst_check "devgate logged no crash" gw_log_clean
tst_done
