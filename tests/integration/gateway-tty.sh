#!/bin/bash
# gateway-tty.sh: terminals and signals through devgate: ssh -t under tmux
# with stty size before and after a resize, TERM, the exit status of a
# terminal session; a signal request (paramiko) that kills the process and
# comes back as exit-signal; a pod deleted under a live session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

command -v tmux >/dev/null || tst_skip "tmux is not installed"
$PY -c 'import paramiko' 2>/dev/null || tst_skip "python3-paramiko is missing"

gw_start_sim
gw_pod alice-dev alice
gw_pod alice-gone alice
gw_user alice
gw_config
gw_start
gw_pod_ready alice-dev || tst_fail "pod alice-dev did not become ready"
gw_pod_ready alice-gone || tst_fail "pod alice-gone did not become ready"

TMUX_SOCK=$TST_DIR/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }
tst_on_exit 'tmux -S "$TMUX_SOCK" kill-server 2>/dev/null'
pane() { tm capture-pane -p -t t -S -200; }
pane_has() { pane | grep -q -- "$1"; }

tm new-session -d -s t -x 120 -y 40 "TERM=screen-256color ssh -F $GW_SSHCONF \
-i $GW_KEYS/alice -t -l alice+dev gw; echo ssh-status=\$?; sleep 600"
tst_check "a terminal session starts (prompt)" tst_wait_for 30 pane_has '[#$] *$'
tm send-keys -t t 'echo "term=$TERM"; stty size' Enter
tst_check "TERM comes from the client" tst_wait_for 20 pane_has '^term=screen-256color'
tst_check "stty size is 40 120" tst_wait_for 20 pane_has '^40 120'
tm resize-window -t t -x 90 -y 25 2>/dev/null ||
	tm refresh-client -t t -C 90x25
tm send-keys -t t 'clear; stty size' Enter
tst_check "after a resize, stty size is 25 90" tst_wait_for 20 pane_has '^25 90'
tm send-keys -t t 'exit 3' Enter
tst_check "the exit status of a terminal session comes back (3)" \
	tst_wait_for 20 pane_has '^ssh-status=3'

# A signal request: the process dies of it and exit-signal says so.
cat >"$TST_DIR/sig.py" <<'EOF'
import sys, time, paramiko
port, key, user, sig = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
orig = paramiko.Channel._handle_request
def handle(self, m):
    pos = m.packet.tell()
    kind = m.get_text()
    m.get_boolean()
    if kind == "exit-signal":
        self.dg_exit_signal = m.get_text()
    m.packet.seek(pos)
    return orig(self, m)
paramiko.Channel._handle_request = handle
paramiko.Transport._channel_handler_table[paramiko.common.MSG_CHANNEL_REQUEST] = handle
c = paramiko.SSHClient()
c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
c.connect("127.0.0.1", port=port, username=user, key_filename=key,
          look_for_keys=False, allow_agent=False, timeout=20)
ch = c.get_transport().open_session()
ch.exec_command("echo started; exec sleep 60")
buf = b""
deadline = time.time() + 20
while b"started" not in buf and time.time() < deadline:
    buf += ch.recv(100)
m = paramiko.Message()
m.add_byte(paramiko.common.cMSG_CHANNEL_REQUEST)
m.add_int(ch.remote_chanid)
m.add_string("signal")
m.add_boolean(False)
m.add_string(sig)
ch.transport._send_user_message(m)
t0 = time.time()
st = ch.recv_exit_status()
print("status=%d signal=%s secs=%.1f" % (st, getattr(ch, "dg_exit_signal", "-"),
      time.time() - t0))
EOF
got=$(timeout 60 $PY "$TST_DIR/sig.py" "$GW_PORT" "$GW_KEYS/alice" alice+dev TERM)
tst_log "signal: $got"
tst_check "signal TERM kills the process: exit-signal TERM" \
	grep -q 'status=-1 signal=TERM' <<<"$got"
got=$(timeout 60 $PY "$TST_DIR/sig.py" "$GW_PORT" "$GW_KEYS/alice" alice+dev INT)
tst_check "signal INT: exit-signal INT" grep -q 'signal=INT' <<<"$got"

# The pod goes away under a live session: one line, non-zero status.
gw_ssh alice+gone gw 'echo up; exec sleep 120' >"$TST_DIR/gone.out" \
	2>"$TST_DIR/gone.err" &
spid=$!
tst_wait_for 30 grep -q up "$TST_DIR/gone.out"
gw_kubectl delete pod alice-gone --grace-period=0 --wait=false >/dev/null
tst_wait_for 60 sh -c "! kill -0 $spid 2>/dev/null"
wait "$spid"
rc=$?
tst_check "pod deleted mid-session: non-zero status ($rc)" test $rc -ne 0
tst_check "... and one line on stderr" \
	test "$(wc -l <"$TST_DIR/gone.err")" -eq 1
tst_check "... saying what happened" \
	grep -qx 'devgate: alice-gone stopped while this session ran' \
	"$TST_DIR/gone.err"
tst_log "stderr: $(cat "$TST_DIR/gone.err")"
# The pod is replaced (same environment, new instance) while the gateway
# may still have the old one cached: the session still lands.
gw_pod alice-swap alice swap-1
gw_pod_ready swap-1
gw_ssh alice+swap gw true
gw_kubectl delete pod swap-1 --grace-period=0 --wait=false >/dev/null
gw_pod alice-swap alice swap-2
gw_pod_ready swap-2
got=$(gw_ssh alice+swap gw 'echo swapped')
tst_check "a replaced pod is reached ($got)" test "$got" = swapped
grep -q 'looking alice-swap up again' "$GW_LOG" &&
	tst_log "(the stale cached instance was retried)"
tst_check "devgate logged no crash" gw_log_clean
tst_check "the worker survived (no restart)" \
	test "$(grep -c 'restarting worker' "$GW_LOG")" -eq 0
tst_done
