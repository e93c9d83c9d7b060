#!/bin/bash
# auth-totp.sh: a second factor through PAM with the real OpenSSH client:
# AuthenticationMethods publickey,keyboard-interactive, pam_oath TOTP
# codes from oathtool typed in through SSH_ASKPASS, a wrong code refused,
# a code never accepted twice, and a locked account refused by PAM account
# management even with a valid key. devgate runs under pam_wrapper (no
# system change).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

PAMWRAP=/usr/lib/x86_64-linux-gnu/libpam_wrapper.so
MATRIX=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so
OATH=/lib/x86_64-linux-gnu/security/pam_oath.so
# pam_wrapper 1.1 dlopens libpam with RTLD_DEEPBIND (no switch to turn it
# off), which ASan refuses: the PAM path runs in the plain build only.
tst_sanitized &&
	tst_skip "sanitizer build: pam_wrapper's RTLD_DEEPBIND aborts ASan"
for f in "$PAMWRAP" "$MATRIX" "$OATH"; do
	[ -r "$f" ] || tst_skip "$f is missing (libpam-wrapper, libpam-oath)"
done
command -v oathtool >/dev/null || tst_skip "oathtool is missing"

SECRET=3132333435363738393031323334353637383930
AUDIT=$TST_DIR/audit.log
mkdir -p "$TST_DIR/pam.d"
printf 'HOTP/T30/6 alice - %s\nHOTP/T30/6 locked - %s\n' "$SECRET" \
	"$SECRET" >"$TST_DIR/oath.users"
chmod 600 "$TST_DIR/oath.users"
# pam_matrix: alice may use dg-totp; "locked" only another service.
printf 'alice:unused:dg-totp\nlocked:unused:other-service\n' >"$TST_DIR/passdb"
cat >"$TST_DIR/pam.d/dg-totp" <<EOF2
auth required $OATH usersfile=$TST_DIR/oath.users window=4 digits=6
account required $MATRIX passdb=$TST_DIR/passdb
EOF2
cp "$TST_DIR/pam.d/dg-totp" "$TST_DIR/pam.d/other"

# The askpass program answers the OTP prompt (and records it).
cat >"$TST_DIR/askpass" <<EOF2
#!/bin/sh
echo "\$*" >>"$TST_DIR/askpass.log"
if [ -f "$TST_DIR/wrong" ]; then echo 000000; else oathtool --totp $SECRET; fi
EOF2
chmod +x "$TST_DIR/askpass"

gw_start_sim
gw_pod alice-dev alice
gw_pod locked-dev locked
gw_user alice
gw_user locked
GW_WORKERS=1
gw_config "UsePAM yes" "PAMServiceName dg-totp" \
	"AuthenticationMethods publickey,keyboard-interactive" \
	"AuditLog $AUDIT" \
	"Match User locked" "  AuthenticationMethods publickey"
LD_PRELOAD=$PAMWRAP PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 \
	PAM_WRAPPER_SERVICE_DIR=$TST_DIR/pam.d gw_start
gw_pod_ready alice-dev || tst_fail "pod alice-dev did not become ready"
gw_pod_ready locked-dev || tst_fail "pod locked-dev did not become ready"

otp_ssh() {
	local u=$1
	shift
	SSH_ASKPASS=$TST_DIR/askpass SSH_ASKPASS_REQUIRE=force \
	timeout 60 setsid ssh -F "$GW_SSHCONF" -o BatchMode=no \
		-o KbdInteractiveAuthentication=yes \
		-o PreferredAuthentications=publickey,keyboard-interactive \
		-i "$GW_KEYS/${u%%+*}" -l "$u" gw "$@" </dev/null
}

# A fresh 30 s window, so the code used below is new to pam_oath.
now=$(date +%s)
[ $((now % 30)) -gt 24 ] && tst_wait_for 10 test $(( $(date +%s) % 30 )) -lt 5

out=$(otp_ssh alice+dev 'echo SECOND-FACTOR-OK' 2>"$TST_DIR/err1")
tst_check "key + TOTP: logged in ($out)" test "$out" = SECOND-FACTOR-OK
tst_check "the OTP prompt was shown" grep -qi "one-time password" \
	"$TST_DIR/askpass.log"
# The same code again (same 30 s window): a replay, refused.
out=$(otp_ssh alice+dev 'echo AGAIN' 2>"$TST_DIR/err2")
rc=$?
tst_check "the same code is not accepted twice" test "$rc" = 255
touch "$TST_DIR/wrong"
out=$(otp_ssh alice+dev 'echo WRONG' 2>"$TST_DIR/err3")
rc=$?
tst_check "wrong TOTP: refused (rc $rc)" test "$rc" = 255 -a -z "$out"
rm -f "$TST_DIR/wrong"
# Without the key, the OTP alone is not enough (publickey comes first).
ssh-keygen -q -t ed25519 -N '' -f "$GW_KEYS/mallory"
out=$(SSH_ASKPASS=$TST_DIR/askpass SSH_ASKPASS_REQUIRE=force timeout 60 \
	setsid ssh -F "$GW_SSHCONF" -o BatchMode=no -i "$GW_KEYS/mallory" \
	-l alice+dev gw 'echo NOKEY' </dev/null 2>/dev/null)
tst_check "TOTP without the key: refused" test -z "$out"
# A locked account: the key is fine, PAM account management says no.
out=$(gw_ssh locked+dev gw 'echo LOCKED-IN' </dev/null 2>"$TST_DIR/err4")
rc=$?
tst_check "locked account refused even with a valid key (rc $rc)" \
	test "$rc" = 255 -a -z "$out"

tst_check "audit: keyboard-interactive accepted" grep -q \
	'"event":"auth".*"method":"keyboard-interactive".*"decision":"accept"' \
	"$AUDIT"
tst_check "audit: keyboard-interactive refused with PAM's reason" grep -q \
	'"method":"keyboard-interactive".*"decision":"refuse".*"reason":"PAM' \
	"$AUDIT"
tst_check "audit: login with both methods" grep -q \
	'"event":"login".*"methods":"publickey,keyboard-interactive".*"accept"' \
	"$AUDIT"
tst_check "audit: locked account refused by PAM account" grep -q \
	'"user":"locked".*"method":"pam-account".*"decision":"refuse"' "$AUDIT"
tst_check "devgate log clean" gw_log_clean
tst_done
