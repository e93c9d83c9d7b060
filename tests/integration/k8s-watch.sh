#!/bin/bash
# k8s-watch.sh: the pod watch survives a too-old resourceVersion: with a
# short watch history, changes to other pods push the watch's version out
# of the server's window; the next watch gets 410 Expired and the helper
# lists again (RESET ... SYNCED twice) instead of failing.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-k8s.sh"

k8s_start_sim --watch-history 3 --bookmark-interval 1h
D=$TST_DIR
"$PROBE" watch 12 devgate.dev/env=quiet >"$D/w" 2>"$D/w.err" &
w=$!
tst_track_pid "$w"
tst_check "the watch lists first" tst_wait_for 20 grep -q SYNCED "$D/w"
for i in 1 2 3; do
	k8s_manifest "noise$i" debian:12 '["sleep","infinity"]' >"$D/n$i.json"
	"$PROBE" start "noise$i" bob "$D/n$i.json" >/dev/null
	"$PROBE" stop "noise$i" bob 0 >/dev/null
done
wait "$w"
tst_check "the watch ran to its end" grep -q "^stats" "$D/w"
tst_check "a 410 Expired was seen" grep -qE "expired=[1-9]" "$D/w"
tst_check "and the helper listed again" grep -qE "lists=[2-9]" "$D/w"
tst_check "  (RESET twice)" [ "$(grep -c '^RESET' "$D/w")" -ge 2 ]
tst_check "no request failed" grep -q "errors=0" "$D/w"
tst_done
