#!/bin/bash
# gateway-session.sh: devgate with kubesim and the real OpenSSH client:
# exit codes, stdout/stderr kept apart, 100 MiB through stdin and stdout,
# SendEnv/SetEnv, a shell, routing by name, address and default, and the
# refusals (unknown key, bad name, no such or stopped environment).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

gw_start_sim
gw_pod alice-dev alice
gw_pod bob-one bob
gw_pod bob-two bob
gw_pod carol-x carol
gw_pod alice-done alice alice-done '["true"]'
gw_user alice
gw_user bob
gw_user carol
ssh-keygen -q -t ed25519 -N '' -f "$GW_KEYS/mallory"
gw_config "AcceptEnv DG_*" "EnvironmentAddress carol-x 127.0.0.3" \
	"ListenAddress 127.0.0.3:0" "Environment carol-x owner=carol members=alice"
# 127.0.0.3 on the same port as 127.0.0.1: rewrite the placeholder; and
# IPv6 loopback when the machine has it.
sed -i "s/^ListenAddress 127.0.0.3:0/ListenAddress 127.0.0.3:$GW_PORT/" \
	"$GW_CONF"
have6=0
if ip -6 addr show lo 2>/dev/null | grep -q '::1/128'; then
	echo "ListenAddress [::1]:$GW_PORT" >>"$GW_CONF"
	have6=1
fi
gw_start
for p in alice-dev bob-one bob-two carol-x; do
	gw_pod_ready "$p" || tst_fail "pod $p did not become ready"
done

out=$TST_DIR/out
err=$TST_DIR/err

gw_ssh alice+dev gw true
tst_check "exit status 0" test $? -eq 0
gw_ssh alice+dev gw false
tst_check "exit status 1" test $? -eq 1
gw_ssh alice+dev gw 'exit 42'
tst_check "exit status 42" test $? -eq 42

gw_ssh alice+dev gw 'echo to-out; echo to-err >&2; exit 3' >"$out" 2>"$err"
rc=$?
tst_check "exec: status 3 with output" test $rc -eq 3
tst_check "stdout has only stdout" test "$(cat "$out")" = to-out
tst_check "stderr has only stderr" test "$(cat "$err")" = to-err

head -c $((100 * 1024 * 1024)) /dev/urandom >"$TST_DIR/100m"
want=$(sha256sum <"$TST_DIR/100m" | cut -d' ' -f1)
got=$(gw_ssh alice+dev gw cat <"$TST_DIR/100m" | sha256sum | cut -d' ' -f1)
tst_check "100 MiB stdin to stdout, same sha256" test "$got" = "$want"
rm -f "$TST_DIR/100m"

got=$(printf 'line1\nline2\n' | gw_ssh alice+dev gw 'wc -l')
tst_check "stdin EOF reaches the command (wc -l ends)" test "$got" = 2

got=$(LANG=C.UTF-8 DG_TEST=yes FORBIDDEN=1 gw_ssh alice+dev \
	-o SendEnv=LANG -o SendEnv=DG_TEST -o SendEnv=FORBIDDEN \
	-o SetEnv=LC_TIME=C gw 'echo "$LANG|$DG_TEST|${FORBIDDEN:-unset}|$LC_TIME"')
tst_check "SendEnv LANG and AcceptEnv DG_*; others refused ($got)" \
	test "$got" = "C.UTF-8|yes|unset|C"

got=$(gw_ssh alice+dev gw 'echo "$SSH_CONNECTION" | wc -w; echo "$USER $HOME"')
tst_check "SSH_CONNECTION, USER and HOME set" \
	test "$(echo "$got" | head -1)" = 4
got=$(echo 'echo shell:$0; exit 7' | gw_ssh alice+dev gw)
tst_check "a shell without a terminal reads commands, exit 7" test $? -eq 7
tst_check "the shell is a login shell ($got)" grep -q 'shell:-\|shell:/' \
	<<<"$got"

# Routing.
got=$(gw_ssh carol gw 'echo $DEVGATE_ENVIRONMENT')
tst_check "the user's only environment is the default ($got)" \
	test "$got" = carol-x
gw_ssh bob gw true 2>"$err"
rc=$?
tst_check "two environments and none named: status 1" test $rc -eq 1
tst_check "... and the forms are named" grep -q 'bob+ENV' "$err"
got=$(gw_ssh bob+two gw 'echo $DEVGATE_ENVIRONMENT')
tst_check "bob+two reaches bob-two" test "$got" = bob-two
got=$(timeout 60 ssh -F "$GW_SSHCONF" -o HostName=127.0.0.3 \
	-i "$GW_KEYS/alice" -l alice gw 'echo $DEVGATE_ENVIRONMENT')
tst_check "the dialled address routes (127.0.0.3 -> carol-x, member)" \
	test "$got" = carol-x
if [ "$have6" = 1 ]; then
	got=$(timeout 60 ssh -F "$GW_SSHCONF" -o HostName=::1 \
		-i "$GW_KEYS/alice" -l alice+dev gw 'echo v6')
	tst_check "ListenAddress [::1]:port serves IPv6" test "$got" = v6
fi
gw_ssh alice+=carol-x gw true
tst_check "alice+=carol-x: a member reaches another's environment" \
	test $? -eq 0
gw_ssh alice+=bob-one gw true 2>"$err"
rc=$?
tst_check "another user's environment: status 1" test $rc -eq 1
tst_check "... as 'no such environment'" \
	grep -qx 'devgate: no such environment: bob-one' "$err"
gw_ssh alice+wrongenv gw true 2>"$err"
rc=$?
tst_check "alice+wrongenv: status 1" test $rc -eq 1
tst_check "... with a clear message" \
	grep -qx 'devgate: no such environment: alice-wrongenv' "$err"
gw_ssh alice+done gw true 2>"$err"
rc=$?
tst_check "a stopped environment: status 1" test $rc -eq 1
tst_check "... 'alice-done is not running'" \
	grep -qx 'alice-done is not running' "$err"

# Refusals before login.
timeout 60 ssh -F "$GW_SSHCONF" -i "$GW_KEYS/mallory" -l alice gw true \
	2>"$err"
rc=$?
tst_check "an unknown key is refused (255)" test $rc -eq 255
tst_check "... Permission denied" grep -q 'Permission denied' "$err"
timeout 60 ssh -F "$GW_SSHCONF" -o LogLevel=INFO -i "$GW_KEYS/alice" \
	-l 'Alice+GPU' gw true 2>"$err"
rc=$?
tst_check "an invalid user name is refused (255)" test $rc -eq 255
tst_check "... with a banner naming the forms" \
	grep -q 'is not a valid user name' "$err"

# PuTTY's plink, a different client implementation.
if command -v plink >/dev/null && command -v puttygen >/dev/null; then
	puttygen "$GW_KEYS/alice" -O private -o "$GW_KEYS/alice.ppk" \
		>/dev/null 2>&1
	hk=$(ssh-keygen -lf "$TST_DIR/state/ssh_host_ed25519_key.pub" |
		awk '{print $2}')
	got=$(timeout 60 plink -batch -ssh -P "$GW_PORT" -i "$GW_KEYS/alice.ppk" \
		-hostkey "$hk" alice+dev@127.0.0.1 'echo plink-ok; exit 5' \
		</dev/null 2>"$err")
	rc=$?
	tst_check "plink: output and exit status 5 ($rc)" \
		test "$got" = plink-ok -a $rc -eq 5
else
	tst_log "plink not installed: skipped"
fi

# direct-tcpip (-L, -W) is tested in gateway-forward.sh; -R is refused.
got=$(gw_ssh alice+dev -N -o ExitOnForwardFailure=yes -R 0:localhost:22 gw \
	2>&1 </dev/null)
tst_check "ssh -R (tcpip-forward) is refused" \
	grep -q 'remote port forwarding failed' <<<"$got"

# Bad clients: garbage instead of SSH, a bare banner then garbage, a
# connection dropped in the middle of the key exchange.
for i in 1 2 3; do
	timeout 10 bash -c "head -c 20000 /dev/urandom >/dev/tcp/127.0.0.1/$GW_PORT" \
		2>/dev/null
	timeout 10 bash -c "{ printf 'SSH-2.0-junk\r\n'; head -c 5000 \
		/dev/urandom; } >/dev/tcp/127.0.0.1/$GW_PORT" 2>/dev/null
	timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GW_PORT; \
		printf 'SSH-2.0-OpenSSH_9.2\r\n' >&3; head -c 100 <&3" \
		>/dev/null 2>&1
done
got=$(gw_ssh alice+dev gw 'echo after-garbage')
tst_check "garbage from clients changes nothing" test "$got" = after-garbage
tst_check "devgate logged no crash" gw_log_clean
tst_check "the supervisor still runs" kill -0 "$GW_PID"
tst_done
