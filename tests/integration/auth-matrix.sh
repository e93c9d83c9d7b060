#!/bin/bash
# auth-matrix.sh: the cross-tenant matrix through the real OpenSSH client:
# users alice, bob, carol (AdminUsers), dave (member of alice-gpu) x
# environments alice-gpu, bob-cpu x channel kinds (shell, exec, sftp):
# every cell allowed or refused as the policy says, a forbidden environment
# refused with exactly the text of a missing one, per-user limits from
# Match blocks, and the audit log lines of logins and channels. (-L
# forwarding is decided by auth_may_open and tested in test-auth-policy;
# the gateway has no direct-tcpip yet.) erin shows Match User limits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

AUDIT=$TST_DIR/audit.log
gw_start_sim
gw_pod alice-gpu alice
gw_pod bob-cpu bob
gw_pod erin-lab erin
for u in alice bob carol dave erin; do gw_user "$u"; done
gw_config "Environment alice-gpu owner=alice members=dave" \
	"Environment bob-cpu owner=bob" \
	"AdminUsers carol" \
	"AuditLog $AUDIT" \
	"Match User erin" "  PermitSFTP no" "  PermitShell no"
gw_start
gw_pod_ready alice-gpu || tst_fail "pod alice-gpu did not become ready"
gw_pod_ready bob-cpu || tst_fail "pod bob-cpu did not become ready"
gw_pod_ready erin-lab || tst_fail "pod erin-lab did not become ready"

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

# user env expected(1 allowed, 0 refused)
matrix="alice alice-gpu 1
alice bob-cpu 0
bob alice-gpu 0
bob bob-cpu 1
carol alice-gpu 1
carol bob-cpu 1
dave alice-gpu 1
dave bob-cpu 0"

while read -r user env want; do
	for kind in shell exec sftp; do
		if "try_$kind" "$user" "$env"; then got=1; else got=0; fi
		tst_check "$user -> $env $kind: $([ "$want" = 1 ] &&
			echo allowed || echo refused)" test "$got" = "$want"
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

# Match User erin: in her own environment, commands but no shell and no
# SFTP (PermitShell no, PermitSFTP no).
try_exec erin erin-lab
tst_check "erin -> erin-lab exec: allowed" test $? -eq 0
try_shell erin erin-lab
tst_check "erin -> erin-lab shell: refused by PermitShell no" test $? -ne 0
try_sftp erin erin-lab
tst_check "erin -> erin-lab sftp: refused by PermitSFTP no" test $? -ne 0
try_exec erin alice-gpu
tst_check "erin -> alice-gpu: refused" test $? -ne 0

# Audit: logins accepted with key fingerprints, channels with kinds.
tst_check "audit: accepted logins" grep -q \
	'"event":"login".*"user":"carol".*"decision":"accept"' "$AUDIT"
tst_check "audit: key fingerprints" grep -q '"fingerprint":"SHA256:' "$AUDIT"
tst_check "audit: carol reaches bob-cpu as admin" grep -q \
	'"event":"reach".*"user":"carol".*"env":"bob-cpu".*"as":"admin"' "$AUDIT"
tst_check "audit: dave reaches alice-gpu as member" grep -q \
	'"event":"reach".*"user":"dave".*"env":"alice-gpu".*"as":"member"' \
	"$AUDIT"
tst_check "audit: alice refused bob-cpu (forbidden)" grep -q \
	'"event":"reach".*"user":"alice".*"env":"bob-cpu".*"reason":"forbidden"' \
	"$AUDIT"
tst_check "audit: channels closed with byte counts" grep -q \
	'"event":"channel_close".*"kind":"sftp".*"bytes_in":[1-9]' "$AUDIT"
tst_check "audit: every line is JSON" $PY -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
' "$AUDIT"
tst_check "devgate log clean" gw_log_clean
tst_done
