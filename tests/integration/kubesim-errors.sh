#!/bin/bash
# kubesim-errors.sh: every error is a proper Status (401/400/404/405/409/410/415/422), token rotation via
# --token-file, and garbage (broken HTTP, TLS junk, random WebSocket frames) never takes kubesim down.
. "$(dirname "$0")/lib-kubesim.sh"
ks_need kubectl
TOKDIR=$(mktemp -d "${TMPDIR:-/tmp}/kubesim-tok.XXXXXX")
KS_EXTRA_CLEANUP+=("rm -rf '$TOKDIR'")
echo first-token >"$TOKDIR/token"
ks_start --token-file "$TOKDIR/token" --readonly-token ro-token

# st_is STATUS REASON ARGS...: call the API, check HTTP status, Status kind and reason.
st_is() {
  local want=$1 reason=$2; shift 2
  local out; out=$(ks_api "$@")
  [ "$(head -1 <<<"$out")" = "$want" ] || { echo "  got: $(head -c 300 <<<"$out")"; return 1; }
  [ "$(tail -n +2 <<<"$out" | ks_json 'o["kind"]+"/"+o["status"]+"/"+o["reason"]+"/"+str(o["code"])')" \
    = "Status/Failure/$reason/$want" ] || { echo "  got: $(head -c 300 <<<"$out")"; return 1; }
}
P=/api/v1/namespaces/default/pods

ks_log "== authentication"
ks_check "token from --token-file accepted" test "$(ks_api GET $P | head -1)" = 200
ks_check "wrong token -> 401 Unauthorized Status" st_is 401 Unauthorized GET $P --token wrong
ks_check "no token -> 401" st_is 401 Unauthorized GET $P --token ""
echo second-token >"$TOKDIR/token"
ks_check "token file re-read: old token now 401" st_is 401 Unauthorized GET $P --token first-token
ks_check "token file re-read: new token accepted" test "$(ks_api GET $P --token second-token | head -1)" = 200
echo first-token >"$TOKDIR/token"
ks_check "/version needs no credentials" test "$(ks_api GET /version --token "" | head -1)" = 200

ks_log "== authorization (--readonly-token)"
ks_check "read-only token may list pods" test "$(ks_api GET $P --token ro-token | head -1)" = 200
ks_check "read-only token may not create pods -> 403 Forbidden" \
  st_is 403 Forbidden POST $P --token ro-token --data '{"metadata":{"name":"ro"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}'
out=$(ks_api GET "$P/some-pod/exec?command=true&stdout=true" --token ro-token)
ks_check "read-only token may not exec -> 403 worded like RBAC" grep -q \
  'pods \\"some-pod\\" is forbidden: User \\"system:serviceaccount:default:readonly\\" cannot get resource \\"pods/exec\\" in API group \\"\\" in the namespace \\"default\\"' <<<"$out"
ks_check "kubeconfig-readonly written and works with kubectl" \
  kubectl --kubeconfig "$KS_DIR/state/kubeconfig-readonly" get pods
ks_check "kubectl delete with the read-only kubeconfig is Forbidden" \
  bash -c "kubectl --kubeconfig '$KS_DIR/state/kubeconfig-readonly' delete pod nothing 2>&1 | grep -q Forbidden"

ks_log "== request errors"
ks_check "malformed JSON -> 400 BadRequest" st_is 400 BadRequest POST $P --data '{"metadata": {'
ks_check "binary garbage body -> 400" st_is 400 BadRequest POST $P --data $'\x01\x02not json'
ks_check "unknown pod -> 404 NotFound" st_is 404 NotFound GET $P/nosuch
ks_check "404 Status details name/kind" test "$(ks_api GET $P/nosuch | tail -n +2 | ks_json 'o["message"]+"|"+o["details"]["name"]+"|"+o["details"]["kind"]')" = 'pods "nosuch" not found|nosuch|pods'
ks_check "delete of an absent pod -> 404" st_is 404 NotFound DELETE $P/nosuch
ks_check "pod without image -> 422 Invalid" st_is 422 Invalid POST $P --data '{"metadata":{"name":"bad"},"spec":{"containers":[{"name":"c"}]}}'
ks_check "422 names the field" test "$(ks_api POST $P --data '{"metadata":{"name":"bad"},"spec":{"containers":[{"name":"c"}]}}' | tail -n +2 | ks_json 'o["details"]["causes"][0]["field"]+"|"+o["details"]["causes"][0]["reason"]')" = 'spec.containers[0].image|FieldValueRequired'
ks_check "bad name -> 422" st_is 422 Invalid POST $P --data '{"metadata":{"name":"Bad_Name"},"spec":{"containers":[{"name":"c","image":"x"}]}}'
ks_check "namespace mismatch -> 400" st_is 400 BadRequest POST $P --data '{"metadata":{"name":"a","namespace":"other"},"spec":{"containers":[{"name":"c","image":"x"}]}}'
POD='{"metadata":{"name":"dup"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}'
ks_check "create -> 201" test "$(ks_api POST $P --data "$POD" | head -1)" = 201
ks_check "second create -> 409 AlreadyExists" st_is 409 AlreadyExists POST $P --data "$POD"
out=$(ks_api POST $P --data '{"metadata":{"generateName":"gen-"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}')
ks_check "generateName -> 201 with a generated name" test "$(tail -n +2 <<<"$out" | ks_json 'o["metadata"]["name"].startswith("gen-") and len(o["metadata"]["name"])==9')" = True
ks_check "bad label selector -> 400" st_is 400 BadRequest GET "$P?labelSelector=a%20in%20(b"
ks_check "unknown field selector -> 400" st_is 400 BadRequest GET "$P?fieldSelector=spec.bogus%3Dx"
ks_check "unsupported patch type -> 415" st_is 415 UnsupportedMediaType PATCH $P/dup --data '{}' --ctype application/apply-patch+yaml
ks_check "merge patch of labels -> 200" test "$(ks_api PATCH $P/dup --data '{"metadata":{"labels":{"x":"y"}}}' --ctype application/merge-patch+json | tail -n +2 | ks_json 'o["metadata"]["labels"]["x"]')" = y
ks_check "strategic merge patch of annotations -> 200" test "$(ks_api PATCH $P/dup --data '{"metadata":{"annotations":{"a":"b"}}}' --ctype application/strategic-merge-patch+json | head -1)" = 200
ks_check "json patch -> 200" test "$(ks_api PATCH $P/dup --data '[{"op":"add","path":"/metadata/labels/j","value":"k"}]' --ctype application/json-patch+json | head -1)" = 200
ks_check "patch changing spec -> 422" st_is 422 Invalid PATCH $P/dup --data '{"spec":{"restartPolicy":"Never"}}' --ctype application/merge-patch+json
ks_check "malformed patch -> 400" st_is 400 BadRequest PATCH $P/dup --data '{x' --ctype application/merge-patch+json
cur=$(ks_api GET $P/dup | tail -n +2)
stale=$("$PY" -c 'import json,sys; o=json.loads(sys.argv[1]); o["metadata"]["resourceVersion"]="1"; print(json.dumps(o))' "$cur")
ks_check "update with a stale resourceVersion -> 409 Conflict" st_is 409 Conflict PUT $P/dup --data "$stale"
ks_check "namespace '..' -> 404, nothing created outside DIR" st_is 404 NotFound POST "/api/v1/namespaces/%2E%2E/pods" --data "$POD"
ks_check "unknown resource path -> 404 Status" st_is 404 NotFound GET /api/v1/namespaces/default/widgets
ks_check "unsupported method -> 405" st_is 405 MethodNotAllowed PUT /api/v1/namespaces/default/pods --data '{}'
out=$(ks_api GET "$P?watch=1&resourceVersion=notanumber")
ks_check "watch with a malformed resourceVersion -> 400" test "$(head -1 <<<"$out")" = 400

ks_log "== fuzzing"
ks_check "pod for fuzzing is Ready" k wait --for=condition=Ready pod/dup --timeout=30s
"$PY" "$KS_CLIENT" --kubeconfig "$KUBECONFIG" fuzz --pod dup --rounds 150 --seed 7
ks_check "still answers /version after the garbage" test "$(ks_api GET /version | head -1)" = 200
ks_check "exec still works after the garbage" test "$(k exec dup -- echo alive)" = alive
ks_check "server process alive" kill -0 "$KS_PID"

ks_stop
ks_summary
