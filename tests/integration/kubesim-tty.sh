#!/bin/bash
# kubesim-tty.sh: kubectl exec -it under tmux: a real pty in the pod, terminal size that follows the
# tmux window (resize channel), Ctrl-C reaching the foreground process, exit status of the shell.
. "$(dirname "$0")/lib-kubesim.sh"
ks_need kubectl tmux
ks_start
T="tmux -L kubesim-tty-$$"
KS_EXTRA_CLEANUP+=("$T kill-server")

ks_check "run pod" k run tt --image=debian:12
ks_check "pod Ready" k wait --for=condition=Ready pod/tt --timeout=30s

screen() { $T capture-pane -p -t tt 2>/dev/null; }
screen_has() { screen | grep -q -- "$1"; }
$T -f /dev/null new-session -d -s tt -x 100 -y 30 \
  "env KUBECONFIG='$KUBECONFIG' KUBECACHEDIR='$KUBECACHEDIR' PS1='ksim# ' kubectl exec -it tt -- env PS1='ksim# ' sh; echo kubectl-rc=\$? >'$KS_DIR/rc'; sleep 60"
$T set-option -t tt window-size manual >/dev/null 2>&1
ks_check "shell prompt appears" ks_poll 20 screen_has 'ksim#' 
$T send-keys -t tt 'stty size; tty; test -t 0 && echo IS-A-TTY' Enter
ks_check "stty size is 30 100 (initial size sent on channel 4)" ks_poll 10 screen_has '^30 100'
ks_check "stdin is a terminal (/dev/pts)" ks_poll 10 screen_has 'IS-A-TTY'
# The resize message and typed keys race (as on a real cluster): ask again until the new size shows.
size_is() { $T send-keys -t tt 'clear; stty size' Enter; ks_poll 1 screen_has "^$1"; }
$T resize-window -t tt -x 120 -y 40
ks_check "after resizing the tmux window: stty size is 40 120" ks_poll 10 size_is '40 120'
$T resize-window -t tt -x 90 -y 25
ks_check "second resize: 25 90" ks_poll 10 size_is '25 90'
$T send-keys -t tt 'clear; sleep 100' Enter
ks_poll 5 screen_has 'sleep 100'
$T send-keys -t tt C-c
$T send-keys -t tt 'echo status-$?' Enter
ks_check "Ctrl-C interrupts the foreground process (130)" ks_poll 10 screen_has 'status-130'
$T send-keys -t tt 'exit 5' Enter
ks_check "kubectl exits with the shell's status 5" ks_poll 15 grep -qs 'kubectl-rc=5' "$KS_DIR/rc"
[ "$KS_FAILS" -eq 0 ] || { echo "--- screen:"; screen; }
$T kill-server 2>/dev/null

ks_stop
ks_summary
