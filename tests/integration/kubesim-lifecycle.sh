#!/bin/bash
# kubesim-lifecycle.sh: scheduling against a nodes file (taints, nodeSelector, GPU accounting), image
# behaviours (pull failure, start delay), exits and restarts, OOMKilled under a memory limit, graceful
# deletion, watch 410 Expired, bookmarks and timeoutSeconds, metrics.k8s.io (404 then PodMetrics).
. "$(dirname "$0")/lib-kubesim.sh"
ks_need kubectl
NODES=$(mktemp "${TMPDIR:-/tmp}/kubesim-nodes.XXXXXX")
KS_EXTRA_CLEANUP+=("rm -f '$NODES'")
cat >"$NODES" <<'YAML'
nodes:
- name: cpu-node
  labels: {pool: cpu}
  allocatable: {cpu: "4", memory: 8Gi}
- name: gpu-node
  labels: {pool: gpu, nvidia.com/gpu.present: "true"}
  taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]
  allocatable: {cpu: "8", memory: 32Gi, nvidia.com/gpu: 1}
YAML
ks_start --nodes "$NODES" --backoff 2s --watch-history 20 --bookmark-interval 1s --metrics-delay 3s
P=/api/v1/namespaces/default/pods
apply() { ks_api POST $P --data "$1" | head -1; }
pod() { # pod NAME IMAGE RESTART JSON-CONTAINER-EXTRA JSON-SPEC-EXTRA
  echo "{\"metadata\":{\"name\":\"$1\",\"labels\":{\"t\":\"$1\"}},\"spec\":{\"restartPolicy\":\"$3\",\"terminationGracePeriodSeconds\":30$5,\"containers\":[{\"name\":\"main\",\"image\":\"$2\"$4}]}}"
}
events_of() { k get events --field-selector "involvedObject.name=$1" -o json; }
has_event() { [ "$(events_of "$1" | ks_json "any(e['reason']=='$2' and '$3' in e['message'] for e in o['items'])")" = True ]; }

ks_log "== scheduling"
GPU=',"resources":{"limits":{"nvidia.com/gpu":"1"}}'
TOL=',"tolerations":[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}],"nodeSelector":{"pool":"gpu"}'
ks_check "create GPU pod without toleration" test "$(apply "$(pod gpu0 busybox Never "$GPU" "")")" = 201
want='0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) had untolerated taint {nvidia.com/gpu: true}.'
cond='[c for c in o["status"].get("conditions",[]) if c["type"]=="PodScheduled"]'
ks_check "Pending with PodScheduled=False reason Unschedulable" ks_poll 10 ks_pod_is gpu0 "o['status']['phase']=='Pending' and $cond[0]['status']=='False' and $cond[0]['reason']=='Unschedulable'"
msg=$(ks_pod_json gpu0 | ks_json "$cond[0]['message']")
echo "  message: $msg"
ks_check "scheduler message names GPU shortage and the taint" test "${msg%% preemption:*}" = "$want"
ks_check "FailedScheduling event" ks_poll 10 has_event gpu0 FailedScheduling 'Insufficient nvidia.com/gpu'
ks_check "GPU pod with toleration+nodeSelector is created" test "$(apply "$(pod gpu1 busybox Never "$GPU" "$TOL")")" = 201
ks_check "... and runs on gpu-node" ks_poll 10 ks_pod_is gpu1 "o['spec'].get('nodeName')=='gpu-node' and o['status']['phase']=='Running'"
ks_check "second GPU pod does not fit (GPU accounted)" test "$(apply "$(pod gpu2 busybox Never "$GPU" "$TOL")")" = 201
ks_check "... Unschedulable: Insufficient nvidia.com/gpu" ks_poll 10 ks_pod_is gpu2 "'1 Insufficient nvidia.com/gpu' in $cond[0].get('message','') and $cond[0]['status']=='False'"
ks_check "nodeSelector mismatch message" test "$(apply "$(pod sel busybox Never "" ',"nodeSelector":{"pool":"nope"}')")" = 201
ks_check "... node(s) didn't match Pod's node affinity/selector" ks_poll 10 ks_pod_is sel "\"node(s) didn't match Pod's node affinity/selector\" in $cond[0].get('message','')"
k delete pod gpu1 --wait=false >/dev/null
ks_check "freed GPU: the waiting pod gets scheduled" ks_poll 20 ks_pod_is gpu2 "o['spec'].get('nodeName')=='gpu-node'"
ks_check "plain pod lands on cpu-node" test "$(apply "$(pod plain busybox Never "" "")")" = 201
ks_check "... nodeName cpu-node" ks_poll 10 ks_pod_is plain "o['spec'].get('nodeName')=='cpu-node'"

ks_log "== image behaviours"
ks_check "kubesim/pullfail pod created" test "$(apply "$(pod pf kubesim/pullfail:1 Always "" "")")" = 201
ws='o["status"]["containerStatuses"][0]["state"].get("waiting",{}).get("reason")'
ks_check "ErrImagePull" ks_poll 10 ks_pod_is pf "$ws=='ErrImagePull'"
ks_check "then ImagePullBackOff" ks_poll 10 ks_pod_is pf "$ws=='ImagePullBackOff'"
ks_check "Failed event with ErrImagePull" ks_poll 5 has_event pf Failed 'Error: ErrImagePull'
ks_check "BackOff event 'Back-off pulling image'" ks_poll 5 has_event pf BackOff 'Back-off pulling image'
ks_check "phase stays Pending" ks_pod_is pf "o['status']['phase']=='Pending'"
t0=$(date +%s)
ks_check "kubesim/delay:3s pod created" test "$(apply "$(pod dl kubesim/delay:3s Never "" "")")" = 201
ks_check "ContainerCreating during the delay" ks_poll 2 ks_pod_is dl "$ws=='ContainerCreating' and o['status']['phase']=='Pending'"
ks_check "Running after the delay" ks_poll 15 ks_pod_is dl "o['status']['phase']=='Running'"
ks_check "delay lasted >= 3 s" test $(( $(date +%s) - t0 )) -ge 2
ks_check "Pulling/Pulled/Created/Started events" ks_poll 5 has_event dl Started 'Started container main'

ks_log "== exits and restarts"
CMD() { echo ",\"command\":[\"sh\",\"-c\",\"$1\"]"; }
apply "$(pod ok busybox Never "$(CMD 'exit 0')" "")" >/dev/null
apply "$(pod bad busybox Never "$(CMD 'exit 3')" "")" >/dev/null
apply "$(pod crash busybox Always "$(CMD 'exit 1')" "")" >/dev/null
ts='o["status"]["containerStatuses"][0]["state"].get("terminated",{})'
ks_check "exit 0 + Never -> Succeeded, Completed" ks_poll 10 ks_pod_is ok "o['status']['phase']=='Succeeded' and $ts.get('reason')=='Completed'"
ks_check "exit 3 + Never -> Failed, Error, exitCode 3" ks_poll 10 ks_pod_is bad "o['status']['phase']=='Failed' and $ts.get('exitCode')==3 and $ts.get('reason')=='Error'"
ks_check "Always: restarts, CrashLoopBackOff, lastState exitCode 1" ks_poll 15 ks_pod_is crash \
  "o['status']['containerStatuses'][0]['restartCount']>=2 and o['status']['containerStatuses'][0]['lastState']['terminated']['exitCode']==1"
ks_check "BackOff event for the crash loop" ks_poll 10 has_event crash BackOff 'Back-off restarting failed container'

ks_log "== memory limit: OOMKilled"
MEM=',"resources":{"limits":{"memory":"64Mi"}},"command":["/usr/bin/python3","-c","b=bytearray(200<<20)"]'
apply "$(pod oom busybox Never "$MEM" "")" >/dev/null
ks_check "limit 64Mi, 200 MB allocation -> terminated OOMKilled, exitCode 137, Failed" ks_poll 20 ks_pod_is oom \
  "o['status']['phase']=='Failed' and $ts.get('reason')=='OOMKilled' and $ts.get('exitCode')==137"
ks_check "OOMKilling event" ks_poll 5 has_event oom OOMKilling 'out of memory'
apply "$(pod oom2 busybox Always "$MEM" "")" >/dev/null
ks_check "restartPolicy Always: lastState.terminated OOMKilled, restartCount >= 1" ks_poll 20 ks_pod_is oom2 \
  "o['status']['containerStatuses'][0]['restartCount']>=1 and o['status']['containerStatuses'][0]['lastState']['terminated']['reason']=='OOMKilled'"
k delete pod oom2 crash pf --grace-period=0 --force >/dev/null 2>&1

ks_log "== graceful deletion"
apply "$(pod slow busybox Always "$(CMD 'trap \"\" TERM; while :; do sleep 0.2; done')" "")" >/dev/null
ks_poll 10 ks_pod_is slow "o['status']['phase']=='Running'"
out=$(ks_api DELETE "$P/slow?gracePeriodSeconds=3")
ks_check "DELETE with grace 3 -> 200 with deletionTimestamp" test "$(head -1 <<<"$out")/$(tail -n +2 <<<"$out" | ks_json '"deletionTimestamp" in o["metadata"] and o["metadata"]["deletionGracePeriodSeconds"]==3')" = 200/True
t0=$(date +%s)
ks_check "pod still there while the process ignores SIGTERM" test "$(ks_api GET "$P/slow" | head -1)" = 200
gone() { [ "$(ks_api GET "$P/slow" | head -1)" = 404 ]; }
ks_check "gone after the grace period (SIGKILL)" ks_poll 15 gone
ks_check "took about the grace period (>= 2 s)" test $(( $(date +%s) - t0 )) -ge 2
apply "$(pod quick busybox Always "" "")" >/dev/null
ks_poll 10 ks_pod_is quick "o['status']['phase']=='Running'"
ks_check "gracePeriodSeconds=0 removes at once" test "$(ks_api DELETE "$P/quick?gracePeriodSeconds=0" | head -1)/$(ks_api GET "$P/quick" | head -1)" = 200/404

ks_log "== watch: 410 Expired, bookmarks, timeoutSeconds"
rv=$(ks_api GET $P | tail -n +2 | ks_json 'o["metadata"]["resourceVersion"]')
for i in $(seq 1 25); do ks_api PATCH $P/plain --data "{\"metadata\":{\"labels\":{\"n\":\"$i\"}}}" --ctype application/merge-patch+json >/dev/null; done
out=$(ks_api GET "$P?watch=1&resourceVersion=$rv&timeoutSeconds=2")
ks_check "watch from a compacted resourceVersion -> ERROR Expired 410" test "$(tail -n +2 <<<"$out" | head -1 | ks_json 'o["type"]+"/"+o["object"]["reason"]+"/"+str(o["object"]["code"])')" = ERROR/Expired/410
rv=$(ks_api GET $P | tail -n +2 | ks_json 'o["metadata"]["resourceVersion"]')
t0=$(date +%s%N)
out=$(ks_api GET "$P?watch=1&resourceVersion=$rv&allowWatchBookmarks=true&timeoutSeconds=3")
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
ks_check "BOOKMARK events with a resourceVersion" test "$(tail -n +2 <<<"$out" | grep -c '"type":"BOOKMARK"')" -ge 1
ks_check "watch ends after timeoutSeconds=3 (${dt} ms)" test $dt -ge 2500 -a $dt -lt 6000
rv=$(ks_api GET $P | tail -n +2 | ks_json 'o["metadata"]["resourceVersion"]')
ks_api PATCH $P/plain --data '{"metadata":{"labels":{"resume":"yes"}}}' --ctype application/merge-patch+json >/dev/null
out=$(ks_api GET "$P?watch=1&resourceVersion=$rv&timeoutSeconds=1")
ks_check "watch from a list resourceVersion sends exactly the later change" test "$(tail -n +2 <<<"$out" | grep -c .)/$(tail -n +2 <<<"$out" | head -1 | ks_json 'o["type"]+"/"+o["object"]["metadata"]["labels"].get("resume","")')" = 1/MODIFIED/yes
out=$(ks_api GET "/api/v1/namespaces/default/events?watch=1&fieldSelector=involvedObject.name%3Dplain&timeoutSeconds=1")
ks_check "events can be watched (with an involvedObject field selector)" test "$(tail -n +2 <<<"$out" | head -1 | ks_json 'o["type"]+"/"+o["object"]["involvedObject"]["name"]')" = ADDED/plain
out=$(ks_api GET "$P?watch=1&fieldSelector=metadata.name%3Dplain&timeoutSeconds=1")
ks_check "watch without resourceVersion starts with ADDED for existing pods" test "$(tail -n +2 <<<"$out" | head -1 | ks_json 'o["type"]+"/"+o["object"]["metadata"]["name"]')" = ADDED/plain

ks_log "== metrics.k8s.io"
apply "$(pod busy busybox Always "$(CMD 'while :; do :; done')" "")" >/dev/null
ks_poll 10 ks_pod_is busy "o['status']['phase']=='Running'"
out=$(ks_api GET /apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy)
ks_check "young pod -> 404 NotFound" test "$(head -1 <<<"$out")/$(tail -n +2 <<<"$out" | ks_json 'o["reason"]')" = 404/NotFound
m200() { [ "$(ks_api GET /apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy | head -1)" = 200 ]; }
ks_check "PodMetrics available after --metrics-delay" ks_poll 15 m200
m=$(ks_api GET /apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy | tail -n +2)
echo "  $m"
# (>= 100m, not ~1000m: on a loaded 2-CPU machine the loop gets a share.)
ks_check "CPU of a busy loop is plausible (>= 100m) and quantities canonical" test "$(ks_json '(
(lambda c, mem: c >= 100e6 and mem > 0)(
  {"n":1,"u":1e3,"m":1e6}.get(o["containers"][0]["usage"]["cpu"][-1],1e9) * int(o["containers"][0]["usage"]["cpu"].rstrip("num")),
  int(o["containers"][0]["usage"]["memory"].rstrip("KMGi")))
and o["kind"]=="PodMetrics" and o["window"].endswith("s"))' <<<"$m")" = True
ks_check "PodMetricsList with a label selector" test "$(ks_api GET '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=t%3Dbusy' | tail -n +2 | ks_json '[i["metadata"]["name"] for i in o["items"]]==["busy"]')" = True
ks_check "kubectl top pod busy" k top pod busy
if [ "$(id -u)" = 0 ]; then
  apply "$(pod capped busybox Always "$(CMD 'while :; do :; done'),\"resources\":{\"limits\":{\"cpu\":\"250m\"}}" "")" >/dev/null
  mc() { [ "$(ks_api GET /apis/metrics.k8s.io/v1beta1/namespaces/default/pods/capped | head -1)" = 200 ]; }
  ks_poll 20 mc
  cpu=$(ks_api GET /apis/metrics.k8s.io/v1beta1/namespaces/default/pods/capped | tail -n +2 | ks_json 'o["containers"][0]["usage"]["cpu"]')
  ks_check "CPU limit 250m enforced by CFS quota (busy loop uses $cpu)" test "$(ks_json '(lambda s: {"n":1,"u":1e3,"m":1e6}.get(s[-1],1e9)*int(s.rstrip("num")) < 400e6)(o)' <<<"\"$cpu\"")" = True
fi

ks_stop
ks_summary
