#!/bin/bash
# auth-penalty.sh: PerSourcePenalties through devgate and OpenSSH: failed
# logins from one address slow it down, then get it refused before any SSH
# exchange, while other addresses and exempt ones still log in; the
# penalty is shared by all workers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

gw_start_sim
gw_pod alice-dev alice
gw_user alice
ssh-keygen -q -t ed25519 -N '' -f "$GW_KEYS/mallory"
GW_WORKERS=2
gw_config "PerSourcePenalties authfail:10 min:25 max:120 delay:1s" \
	"PerSourcePenaltyExemptList 127.0.0.3"
gw_start
gw_pod_ready alice-dev || tst_fail "pod alice-dev did not become ready"

# as SRC USER KEY: a login from source address SRC, exit status.
as() {
	timeout 60 ssh -F "$GW_SSHCONF" -b "$1" -i "$GW_KEYS/$3" -l "$2" gw \
		'echo IN' </dev/null >"$TST_DIR/o" 2>"$TST_DIR/e"
}

as 127.0.0.2 alice+dev alice
tst_check "a clean source logs in" grep -qx IN "$TST_DIR/o"
# Three failed logins from 127.0.0.2: 30 s of penalty, over min (25 s).
for i in 1 2 3; do
	as 127.0.0.2 alice+dev mallory
done
as 127.0.0.2 alice+dev alice
rc=$?
tst_check "the penalised source is refused, even with a good key (rc $rc)" \
	test "$rc" = 255 -a ! -s "$TST_DIR/o"
tst_check "refused before the SSH exchange" grep -qiE \
	"closed|reset|banner" "$TST_DIR/e"
as 127.0.0.1 alice+dev alice
tst_check "another source still logs in" grep -qx IN "$TST_DIR/o"
for i in 1 2 3 4; do
	as 127.0.0.3 alice+dev mallory
done
as 127.0.0.3 alice+dev alice
tst_check "an exempt source is never penalised" grep -qx IN "$TST_DIR/o"
tst_check "devgate logged the refusal with its reason" grep -q \
	"penalty: failed authentication" "$GW_LOG"
tst_check "devgate log clean" gw_log_clean
tst_done
