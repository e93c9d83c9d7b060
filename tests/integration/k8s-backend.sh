#!/bin/bash
# k8s-backend.sh: the Kubernetes backend against kubesim: find, list,
# start (and 409), readiness, fail-fast reasons, metrics (404 while young),
# events, stop with grace, and the pod watch.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-k8s.sh"

k8s_start_sim --metrics-delay 3s --metrics-interval 0.5s
D=$TST_DIR

"$PROBE" find dev alice >"$D/f0"; rc=$?
tst_check "find absent: exit 3, 'not found'" [ $rc -eq 3 ]
grep -q "not found" "$D/f0" || tst_fail "find absent: no 'not found' text"

k8s_manifest alice-dev debian:12 '["sleep","infinity"]' \
	',"resources":{"limits":{"memory":"256Mi","cpu":"1"}}' >"$D/dev.json"
"$PROBE" start dev alice "$D/dev.json" >"$D/start"; rc=$?
tst_check "start creates the pod" [ $rc -eq 0 ]
tst_check "start reports the instance name" grep -q "instance=alice-dev" "$D/start"
"$PROBE" start dev alice "$D/dev.json" >"$D/start2"; rc=$?
tst_check "a second start gets 409 AlreadyExists (exit 4)" [ $rc -eq 4 ]
"$PROBE" wait dev alice running 60 >"$D/run"
tst_check "the environment becomes running (Ready)" grep -q "phase=running" "$D/run"
tst_check "memory limit parsed from the spec" grep -q "memory_limit=268435456" "$D/run"
tst_check "labels give env and owner" grep -q "env=dev owner=alice" "$D/run"

k8s_pod gpu alice alice-gpu
"$PROBE" list alice >"$D/list"
tst_check "list shows both environments of alice" grep -q "count=2" "$D/list"
"$PROBE" list bob >"$D/listb"
tst_check "list of another owner is empty" grep -q "count=0" "$D/listb"

# A brand-new pod has no metrics: a distinct error (exit 5) first.
"$PROBE" metrics gpu alice >"$D/m0"; rc=$?
tst_check "metrics of a young pod: 'try again' (exit 5)" [ $rc -eq 5 ]
metrics_ok() { "$PROBE" metrics dev alice >"$D/m1"; }
tst_check "metrics arrive once the pod is old enough" tst_wait_for 30 metrics_ok
tst_check "metrics carry memory bytes and a window" \
	grep -qE "memory_bytes=[1-9][0-9]* window_ms=[1-9]" "$D/m1"

# A JSON merge patch of the labels moves the pod to another environment.
"$PROBE" patch alice-gpu '{"metadata":{"labels":{"devgate.dev/env":"gpu2"},"annotations":{"devgate.dev/last-activity":"2025-06-01T10:00:00Z"}}}' >"$D/patch"
tst_check "merge patch of labels and annotations" grep -q "env=gpu2" "$D/patch"
"$PROBE" find gpu2 alice >"$D/gpu2"
tst_check "  the patched pod is found under its new label" \
	grep -q "instance=alice-gpu" "$D/gpu2"
"$PROBE" patch no-such-pod '{"metadata":{"labels":{"a":"b"}}}' >"$D/patch404"
tst_check "  patching a missing pod: not found" grep -q "error: not found" "$D/patch404"

"$PROBE" events alice-dev >"$D/ev"
tst_check "events of the pod are listed" grep -q "Scheduled" "$D/ev"

# Fail fast: an image that cannot be pulled.
k8s_manifest alice-bad kubesim/pullfail:1 '["sleep","infinity"]' >"$D/bad.json"
"$PROBE" start bad alice "$D/bad.json" >/dev/null
"$PROBE" wait bad alice failed 60 >"$D/bad"
tst_check "unpullable image: failed with ErrImagePull/ImagePullBackOff" \
	grep -qE "phase=failed .*reason=(ErrImagePull|ImagePullBackOff)" "$D/bad"

# Fail fast: a main container that crashes (restartPolicy Never).
k8s_manifest alice-crash debian:12 '["sh","-c","exit 3"]' >"$D/crash.json"
"$PROBE" start crash alice "$D/crash.json" >/dev/null
"$PROBE" wait crash alice failed 60 >"$D/crash"
tst_check "crashed container: failed, last exit code 3" \
	grep -qE "phase=failed .*last_exit=3" "$D/crash"

# The watch: list, then events while we create and delete a pod.
"$PROBE" watch 12 >"$D/watch" 2>"$D/watch.err" &
wpid=$!
tst_track_pid "$wpid"
tst_check "watch lists first (RESET ... SYNCED)" \
	tst_wait_for 20 grep -q SYNCED "$D/watch"
k8s_pod w alice alice-w
tst_check "watch sees the new pod ADDED" \
	tst_wait_for 20 grep -q "ADDED alice-w" "$D/watch"
"$PROBE" stop w alice 1 >/dev/null
tst_check "watch sees the pod DELETED" \
	tst_wait_for 30 grep -q "DELETED alice-w" "$D/watch"
wait "$wpid"
tst_check "watch reconnected after timeoutSeconds (several watch requests)" \
	[ "$(grep -c 'watch=1' "$TST_DIR/sim-requests.log")" -ge 2 ]

"$PROBE" stop dev alice 1 >"$D/stop"
tst_check "stop deletes with a grace period" grep -q ok "$D/stop"
gone() { "$PROBE" wait dev alice absent 30 >/dev/null; }
tst_check "the environment goes away" gone
tst_check "DELETE carried gracePeriodSeconds=1" \
	grep -q "DELETE /api/v1/namespaces/default/pods/alice-dev?gracePeriodSeconds=1" \
	"$TST_DIR/sim-requests.log"
"$PROBE" stop dev alice 1 >"$D/stop2"
tst_check "stopping an absent environment succeeds" grep -q ok "$D/stop2"
tst_done
