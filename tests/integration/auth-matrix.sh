#!/bin/bash
# auth-matrix.sh: the cross-tenant matrix through the real OpenSSH client:
# users alice, bob, carol (AdminUsers), dave (member of alice-gpu), erin
# (in bob-cpu's team), frank (in AdminGroup) x environments alice-gpu,
# bob-cpu x channel kinds (shell, exec, sftp, and a forward with ssh -W to
# an HTTP server in the environment, i.e. what ssh -L opens):
# every cell allowed or refused as the policy says, a forbidden environment
# refused with exactly the text of a missing one, per-user limits from
# Match blocks, and the audit log lines of logins and channels. Groups come
# from NSS: devgate runs under nss_wrapper. gina shows Match User limits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

NSSWRAP=/usr/lib/x86_64-linux-gnu/libnss_wrapper.so
[ -r "$NSSWRAP" ] || tst_skip "libnss-wrapper is missing"
AUDIT=$TST_DIR/audit.log
# Users and groups as NSS shows them to devgate (nss_wrapper): erin is in
# ml-team (bob-cpu's team), frank in sre (AdminGroup).
{
	echo "root:x:0:0:root:/root:/bin/sh"
	uid=1001
	for u in alice bob carol dave erin frank gina; do
		echo "$u:x:$uid:$uid:$u:/home/$u:/bin/sh"
		uid=$((uid + 1))
	done
} >"$TST_DIR/passwd"
{
	echo "root:x:0:"
	gid=1001
	for u in alice bob carol dave erin frank gina; do
		echo "$u:x:$gid:"
		gid=$((gid + 1))
	done
	echo "ml-team:x:2001:erin"
	echo "sre:x:2002:frank"
} >"$TST_DIR/group"
gw_start_sim
# Each environment serves HTTP on its own port (pods share the host's
# network in kubesim), the target of the forward column.
PORT_alice_gpu=$(tst_free_port)
PORT_bob_cpu=$(tst_free_port)
httpd() { printf '["/usr/bin/python3","-m","http.server","%s","--bind","127.0.0.1"]' "$1"; }
gw_pod alice-gpu alice alice-gpu "$(httpd "$PORT_alice_gpu")"
gw_pod bob-cpu bob bob-cpu "$(httpd "$PORT_bob_cpu")"
gw_pod gina-lab gina
for u in alice bob carol dave erin frank gina; do gw_user "$u"; done
gw_config "Environment alice-gpu owner=alice members=dave" \
	"Environment bob-cpu owner=bob team=ml-team" \
	"AdminUsers carol" "AdminGroup sre" \
	"AuditLog $AUDIT" \
	"Match User gina" "  PermitSFTP no" "  PermitShell no" \
	"  AllowTcpForwarding no"
LD_PRELOAD=$NSSWRAP NSS_WRAPPER_PASSWD=$TST_DIR/passwd \
	NSS_WRAPPER_GROUP=$TST_DIR/group gw_start
gw_pod_ready alice-gpu || tst_fail "pod alice-gpu did not become ready"
gw_pod_ready bob-cpu || tst_fail "pod bob-cpu did not become ready"
gw_pod_ready gina-lab || tst_fail "pod gina-lab did not become ready"

for v in PORT_alice_gpu PORT_bob_cpu; do
	tst_wait_for 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/${!v}" ||
		tst_fail "the HTTP server of $v did not start"
done

# The SSH user name that targets ENV as USER ("alice+=alice-gpu").
target() { echo "$1+=$2"; }

try_shell() {
	echo 'echo SHELL-OK-$$' | gw_ssh "$(target "$1" "$2")" -T gw \
		>"$TST_DIR/o" 2>"$TST_DIR/e"
	grep -q '^SHELL-OK-' "$TST_DIR/o"
}
try_exec() {
	gw_ssh "$(target "$1" "$2")" gw 'echo EXEC-OK' </dev/null \
		>"$TST_DIR/o" 2>"$TST_DIR/e"
	grep -qx EXEC-OK "$TST_DIR/o"
}
try_sftp() {
	printf 'put %s/keys/%s.pub up-%s.pub\nls -1\n' "$TST_DIR" "$1" "$1" \
		>"$TST_DIR/batch"
	gw_sftp "$(target "$1" "$2")" -b "$TST_DIR/batch" </dev/null \
		>"$TST_DIR/o" 2>"$TST_DIR/e"
	grep -q "up-$1.pub" "$TST_DIR/o"
}
# ssh -W localhost:PORT of the environment: an HTTP answer comes back.
try_fwd() {
	local v=PORT_${2//-/_}
	timeout 60 $PY "$top_srcdir/tests/integration/fwd-client.py" http-w \
		"$TST_DIR/o" -- ssh -F "$GW_SSHCONF" -i "$GW_KEYS/$1" \
		-o LogLevel=INFO -l "$(target "$1" "$2")" \
		-W "localhost:${!v:-1}" gw 2>"$TST_DIR/e"
	grep -q '^HTTP/1.0 ' "$TST_DIR/e"
}

# user env expected(1 allowed, 0 refused)
matrix="alice alice-gpu 1
alice bob-cpu 0
bob alice-gpu 0
bob bob-cpu 1
carol alice-gpu 1
carol bob-cpu 1
dave alice-gpu 1
dave bob-cpu 0
erin alice-gpu 0
erin bob-cpu 1
frank alice-gpu 1
frank bob-cpu 1"

while read -r user env want; do
	for kind in shell exec sftp fwd; do
		if "try_$kind" "$user" "$env"; then got=1; else got=0; fi
		tst_check "$user -> $env $kind: $([ "$want" = 1 ] &&
			echo allowed || echo refused)" test "$got" = "$want"
		if [ "$want" = 0 ] && [ "$kind" = fwd ]; then
			tst_check "$user -> $env fwd: refused at the SSH level" \
				grep -q 'open failed' "$TST_DIR/e"
		fi
		if [ "$want" = 0 ] && [ "$kind" = exec ]; then
			tst_check "$user -> $env: refusal says no such environment" \
				grep -q "no such environment" "$TST_DIR/e"
			cp "$TST_DIR/e" "$TST_DIR/forbidden.err"
		fi
	done
done <<<"$matrix"

# Forbidden and missing are indistinguishable to the client.
gw_ssh "$(target alice alice-nope)" gw 'echo x' </dev/null >/dev/null \
	2>"$TST_DIR/missing.err"
rc_missing=$?
gw_ssh "$(target alice bob-cpu)" gw 'echo x' </dev/null >/dev/null \
	2>"$TST_DIR/forb.err"
rc_forb=$?
tst_check "missing and forbidden: same exit status ($rc_missing/$rc_forb)" \
	test "$rc_missing" = "$rc_forb"
tst_check "missing and forbidden: same text" cmp -s \
	<(sed 's/alice-nope/ENV/' "$TST_DIR/missing.err") \
	<(sed 's/bob-cpu/ENV/' "$TST_DIR/forb.err")

# Match User gina: in her own environment, commands but no shell and no
# SFTP (PermitShell no, PermitSFTP no).
try_exec gina gina-lab
tst_check "gina -> gina-lab exec: allowed" test $? -eq 0
try_shell gina gina-lab
tst_check "gina -> gina-lab shell: refused by PermitShell no" test $? -ne 0
try_sftp gina gina-lab
tst_check "gina -> gina-lab sftp: refused by PermitSFTP no" test $? -ne 0
try_fwd gina gina-lab
tst_check "gina -> gina-lab fwd: refused by AllowTcpForwarding no" \
	test $? -ne 0
tst_check "... and the log says so" grep -q \
	'gina@.*forward to localhost:1 refused: port forwarding disabled' \
	"$GW_LOG"

# Audit: logins accepted with key fingerprints, channels with kinds.
tst_check "audit: accepted logins" grep -q \
	'"event":"login".*"user":"carol".*"decision":"accept"' "$AUDIT"
tst_check "audit: key fingerprints" grep -q '"fingerprint":"SHA256:' "$AUDIT"
tst_check "audit: carol reaches bob-cpu as admin" grep -q \
	'"event":"reach".*"user":"carol".*"env":"bob-cpu".*"as":"admin"' "$AUDIT"
tst_check "audit: dave reaches alice-gpu as member" grep -q \
	'"event":"reach".*"user":"dave".*"env":"alice-gpu".*"as":"member"' \
	"$AUDIT"
tst_check "audit: erin reaches bob-cpu through its team" grep -q \
	'"event":"reach".*"user":"erin".*"env":"bob-cpu".*"as":"team"' "$AUDIT"
tst_check "audit: frank reaches alice-gpu through AdminGroup" grep -q \
	'"event":"reach".*"user":"frank".*"env":"alice-gpu".*"as":"admin"' \
	"$AUDIT"
tst_check "audit: alice refused bob-cpu (forbidden)" grep -q \
	'"event":"reach".*"user":"alice".*"env":"bob-cpu".*"reason":"forbidden"' \
	"$AUDIT"
tst_check "audit: channels closed with byte counts" grep -q \
	'"event":"channel_close".*"kind":"sftp".*"bytes_in":[1-9]' "$AUDIT"
tst_check "audit: forwards opened and closed with byte counts" grep -q \
	'"event":"channel_close".*"kind":"forward".*"bytes_out":[1-9]' "$AUDIT"
tst_check "audit: every line is JSON" $PY -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
' "$AUDIT"
tst_check "devgate log clean" gw_log_clean
tst_done
