#!/bin/bash
# kubesim-kubectl.sh: real kubectl against kubesim: run/wait/get -w/logs/describe/delete, cert auth, bad token.
. "$(dirname "$0")/lib-kubesim.sh"
ks_need kubectl
ks_start --bookmark-interval 1s --plain-listen "127.0.0.1:$(ks_free_port)"

ks_log "== watch, run, wait, logs, delete"
k get pods -w -o json --output-watch-events >"$KS_DIR/watch.json" 2>"$KS_DIR/watch.err" &
WPID=$!
KS_EXTRA_CLEANUP+=("kill $WPID")
ks_poll 10 grep -q 'watch=true' "$KS_DIR/requests.log" || ks_fail "kubectl get -w did not start a watch"
ks_check "kubectl run creates a pod" k run web --image=busybox:1.36 --labels=app=web,tier=a -- sh -c 'echo hello-log; exec sleep infinity'
ks_check "kubectl wait --for=condition=Ready" k wait --for=condition=Ready pod/web --timeout=30s
out=$(k get pods)
echo "$out"
ks_check "kubectl get pods shows Running 1/1" grep -Eq '^web +1/1 +Running +0 ' <<<"$out"
ks_check "label selector (in/notin/!=) selects the pod" \
  grep -q web <<<"$(k get pods -l 'app in (web,x),tier notin (b),app!=db,!missing' -o name)"
ks_check "label selector excludes non-matching" test -z "$(k get pods -l 'app=db' -o name 2>/dev/null)"
ks_check "field selector status.phase=Running" grep -q web <<<"$(k get pods --field-selector status.phase=Running -o name)"
ks_check "kubectl logs returns the main process output" ks_poll 10 grep -q hello-log <(k logs web)
ks_check "kubectl describe works" eval "k describe pod web >/dev/null"
pj=$(ks_pod_json web)
ks_check "podIP 127.0.0.1, nodeName, startTime, containerStatuses running" test "$(ks_json \
  'o["status"]["podIP"]=="127.0.0.1" and o["spec"]["nodeName"]=="kubesim-node" and bool(o["status"]["startTime"]) and "running" in o["status"]["containerStatuses"][0]["state"] and o["status"]["containerStatuses"][0]["ready"]' <<<"$pj")" = True
ks_check "conditions PodScheduled, Initialized, ContainersReady, Ready are True" test "$(ks_json \
  'all(any(c["type"]==t and c["status"]=="True" for c in o["status"]["conditions"]) for t in ("PodScheduled","Initialized","ContainersReady","Ready"))' <<<"$pj")" = True
ks_check "kubectl label (merge patch)" k label pod web extra=yes
ks_check "label visible" test "$(ks_pod_json web | ks_json 'o["metadata"]["labels"].get("extra")')" = yes
ks_check "kubectl annotate" k annotate pod web note=hi
ks_check "kubectl delete pod" k delete pod web --wait=true --timeout=60s
ks_check "pod is gone (404)" test "$(ks_api GET /api/v1/namespaces/default/pods/web | head -1)" = 404
ks_poll 10 grep -q '"type": *"DELETED"' "$KS_DIR/watch.json"
types=$(grep -o '"type": *"[A-Z]*"' "$KS_DIR/watch.json" | tr -d ' "' | sed 's/type://' | sort -u | tr '\n' ' ')
ks_log "watch event types seen: $types"
for t in ADDED MODIFIED DELETED; do
  ks_check "kubectl get -w saw $t" grep -q "$t" <<<"$types"
done
kill $WPID 2>/dev/null

ks_log "== kubectl port-forward (SPDY/3.1 tunnelled in WebSocket)"
PORT=$(ks_free_port); LPORT=$(ks_free_port)
ks_check "pod with an HTTP server" k run srv --image=python:3 -- /usr/bin/python3 -m http.server "$PORT" --bind 127.0.0.1 --directory /tmp
ks_check "pod Ready" k wait --for=condition=Ready pod/srv --timeout=30s
k exec srv -- sh -c 'echo through-the-tunnel > /tmp/f.txt; head -c 20000000 /dev/urandom > /tmp/big'
ks_poll 10 k exec srv -- /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null
k port-forward pod/srv "$LPORT:$PORT" >"$KS_DIR/pf.out" 2>&1 &
PFPID=$!
KS_EXTRA_CLEANUP+=("kill $PFPID")
fetch() { "$PY" -c 'import sys,urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=20).read())' "$1"; }
ks_check "kubectl port-forward is listening" ks_poll 15 grep -q "Forwarding from 127.0.0.1:$LPORT" "$KS_DIR/pf.out"
ks_check "HTTP GET through kubectl port-forward" test "$(fetch "http://127.0.0.1:$LPORT/f.txt")" = through-the-tunnel
a=$(fetch "http://127.0.0.1:$LPORT/big" | sha256sum | cut -d' ' -f1)
b=$(sha256sum <"$KS_DIR/state/pods/default/srv/tmp/big" | cut -d' ' -f1)
ks_check "20 MB through the tunnel, same sha256" test "$a" = "$b"
ks_check "second connection on the same tunnel" test "$(fetch "http://127.0.0.1:$LPORT/f.txt")" = through-the-tunnel
kill $PFPID 2>/dev/null; wait $PFPID 2>/dev/null
CLOSED=$(ks_free_port); LPORT=$(ks_free_port)
k port-forward pod/srv "$LPORT:$CLOSED" >"$KS_DIR/pf2.out" 2>&1 &
PFPID=$!
KS_EXTRA_CLEANUP+=("kill $PFPID")
ks_poll 15 grep -q "Forwarding from" "$KS_DIR/pf2.out"
fetch "http://127.0.0.1:$LPORT/" >/dev/null 2>&1
ks_check "closed port: kubectl reports the kubelet's error and exits" ks_poll 15 ks_not_running $PFPID
ks_check "... message names the port and 'connection refused'" grep -q "error forwarding port $CLOSED to pod srv.*connection refused" "$KS_DIR/pf2.out"

ks_log "== client certificate kubeconfig"
ks_check "kubectl with DIR/kubeconfig-cert lists pods" k --kubeconfig "$KS_DIR/state/kubeconfig-cert" get pods
ks_check "kubectl with DIR/kubeconfig-cert runs exec-less get /version" k --kubeconfig "$KS_DIR/state/kubeconfig-cert" version

ks_log "== benchmark-only plain HTTP listener"
ks_check "kubectl with DIR/kubeconfig-plain (http://, no credentials)" k --kubeconfig "$KS_DIR/state/kubeconfig-plain" get pods

ks_log "== wrong token"
sed "s/^\( *token: \).*/\1wrong-token/" "$KUBECONFIG" >"$KS_DIR/bad-kubeconfig"
err=$(k --kubeconfig "$KS_DIR/bad-kubeconfig" get pods 2>&1)
echo "$err" | tail -1
ks_check "wrong token: kubectl says Unauthorized" grep -q Unauthorized <<<"$err"

ks_stop
ks_summary
