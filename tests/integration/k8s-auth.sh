#!/bin/bash
# k8s-auth.sh: how devgate authenticates to the API server and checks it:
# client-certificate kubeconfig, CA and certificate files by relative path,
# tls-server-name, a wrong CA, insecure-skip-tls-verify, token file
# rotation (re-read on a 401), in-cluster service account config, and the
# server's host name resolved through c-ares (the hosts file first: /etc/hosts,
# or a file named by $CARES_HOSTS that only c-ares reads).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-k8s.sh"

D=$TST_DIR
printf 'first-token\n' >"$D/server-token"
k8s_start_sim --token-file "$D/server-token"
S=$K8S_DIR
k8s_pod dev alice alice-dev || { tst_fail "pod did not start"; tst_done; }

# Client certificate, inline (-data) as kubesim writes it.
"$PROBE" -k "$S/kubeconfig-cert" exec alice-dev sh -c 'exit 7' </dev/null >"$D/cert" 2>&1
tst_check "client-certificate kubeconfig: exec works" [ $? -eq 7 ]
"$PROBE" -k "$S/kubeconfig-cert" find dev alice >"$D/certr"
tst_check "client-certificate kubeconfig: REST works" grep -q phase=running "$D/certr"

# The same with files given relative to the kubeconfig's directory.
mkdir -p "$D/kc/pki"
cp "$S/ca.crt" "$S/client.crt" "$S/client.key" "$D/kc/pki/"
cat >"$D/kc/config" <<KC
apiVersion: v1
kind: Config
current-context: files
contexts:
- name: files
  context: {cluster: sim, user: cert, namespace: default}
clusters:
- name: sim
  cluster:
    server: https://127.0.0.1:$K8S_PORT
    certificate-authority: pki/ca.crt
users:
- name: cert
  user: {client-certificate: pki/client.crt, client-key: pki/client.key}
KC
(cd / && "$PROBE" -k "$D/kc/config" exec alice-dev true </dev/null >"$D/files" 2>&1)
tst_check "certificate files relative to the kubeconfig's directory" [ $? -eq 0 ]

# tls-server-name: connect to 127.0.0.1, verify the name "kubernetes".
sed -e 's#^\(    server: .*\)#\1\n    tls-server-name: kubernetes#' "$D/kc/config" >"$D/kc/sni"
"$PROBE" -k "$D/kc/sni" exec alice-dev true </dev/null >"$D/sni" 2>&1
tst_check "tls-server-name matching the certificate: exec works" [ $? -eq 0 ]
"$PROBE" -k "$D/kc/sni" find dev alice >"$D/snir" 2>&1
tst_check "tls-server-name: REST works" grep -q phase=running "$D/snir"
sed -e 's#^\(    server: .*\)#\1\n    tls-server-name: not-the-server.example#' "$D/kc/config" >"$D/kc/badsni"
"$PROBE" -k "$D/kc/badsni" exec alice-dev true </dev/null >"$D/badsni" 2>&1
tst_check "tls-server-name not in the certificate: TLS error()" \
	grep -q "error: TLS error: TLS handshake: certificate verification failed" "$D/badsni"

# A host name instead of an address: resolved when the backend starts
# (every address is kept; one that refuses makes way for the next).
sed -e "s#https://127.0.0.1:#https://localhost:#" "$D/kc/config" >"$D/kc/name"
"$PROBE" -k "$D/kc/name" exec alice-dev true </dev/null >"$D/name" 2>&1
tst_check "server given by host name (localhost): exec works" [ $? -eq 0 ]
"$PROBE" -k "$D/kc/name" find dev alice >"$D/namer" 2>&1
tst_check "server given by host name: REST works" grep -q phase=running "$D/namer"
# "kubernetes" (in kubesim's certificate) is known to no resolver of this
# machine, only to a hosts file that c-ares reads through $CARES_HOSTS:
# both the streams and REST (curl is handed the addresses) connect.
if getent hosts kubernetes >/dev/null 2>&1; then
	tst_log "this machine resolves 'kubernetes' itself: c-ares check skipped"
else
	printf '# devgate test\n127.0.0.1 kubernetes\n' >"$D/hosts"
	sed -e "s#https://127.0.0.1:#https://kubernetes:#" "$D/kc/config" \
		>"$D/kc/hostsfile"
	CARES_HOSTS=$D/hosts "$PROBE" -k "$D/kc/hostsfile" exec alice-dev \
		echo via-hosts </dev/null >"$D/hf" 2>&1
	tst_check "a name from the hosts file (c-ares): exec works" \
		grep -q via-hosts "$D/hf"
	CARES_HOSTS=$D/hosts "$PROBE" -k "$D/kc/hostsfile" find dev alice \
		>"$D/hfr" 2>&1
	tst_check "... REST works (curl given the address)" \
		grep -q phase=running "$D/hfr"
	"$PROBE" -k "$D/kc/hostsfile" find dev alice >"$D/hfn" 2>&1
	tst_check "... and without the file the name is unknown" \
		grep -q "cannot resolve kubernetes" "$D/hfn"
fi

# A CA that did not sign the server certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$D/kc/pki/other.key" -out "$D/kc/pki/other.crt" -days 1 \
	-subj /CN=other-ca >/dev/null 2>&1
sed -e 's#pki/ca.crt#pki/other.crt#' "$D/kc/config" >"$D/kc/badca"
"$PROBE" -k "$D/kc/badca" exec alice-dev true </dev/null >"$D/badca" 2>&1
tst_check "unknown CA: exec fails with a TLS error" \
	grep -q "error: TLS error: TLS handshake: certificate verification failed" "$D/badca"
"$PROBE" -k "$D/kc/badca" find dev alice >"$D/badcar" 2>&1
tst_check "unknown CA: REST fails with a TLS error" grep -q "error: TLS error" "$D/badcar"
sed -e 's#certificate-authority: pki/other.crt#insecure-skip-tls-verify: true#' \
	"$D/kc/badca" >"$D/kc/insecure"
"$PROBE" -k "$D/kc/insecure" exec alice-dev true </dev/null >"$D/insecure" 2>&1
tst_check "insecure-skip-tls-verify: exec works without the CA" [ $? -eq 0 ]

# Token file rotation: the probe finds, the token changes on both sides,
# the next request gets a 401, re-reads the file and succeeds.
printf 'first-token\n' >"$D/client-token"
sed -e 's#^\( *\)token: .*#\1tokenFile: client-token#' "$S/kubeconfig" >"$D/tokfile.kc"
rm -f "$D/gate"
"$PROBE" -k "$D/tokfile.kc" rot dev alice "$D/gate" >"$D/rot" 2>&1 &
rot=$!
tst_check "tokenFile: the first request succeeds" \
	tst_wait_for 20 grep -q "rot find 0: ok" "$D/rot"
printf 'second-token\n' >"$D/server-token"
printf 'second-token\n' >"$D/client-token"
touch "$D/gate"
wait "$rot"
tst_check "after rotation the probe still works (exit 0)" [ $? -eq 0 ]
tst_check "  REST: 401, token re-read, retried" grep -q "rot find 1: ok" "$D/rot"
tst_check "  exec with the new token works" grep -q "rot exec status=0" "$D/rot"
tst_check "  the server did answer 401 once" \
	grep -qE " 401 " "$TST_DIR/sim-requests.log"

# In-cluster: KUBERNETES_SERVICE_HOST/PORT and a service account dir.
mkdir -p "$D/sa"
cp "$S/ca.crt" "$D/sa/ca.crt"
printf 'second-token' >"$D/sa/token"
printf 'default\n' >"$D/sa/namespace"
env -u KUBECONFIG HOME=/nonexistent KUBERNETES_SERVICE_HOST=127.0.0.1 \
	KUBERNETES_SERVICE_PORT="$K8S_PORT" DEVGATE_K8S_SA_DIR="$D/sa" \
	"$PROBE" find dev alice >"$D/incluster" 2>&1
tst_check "in-cluster config: REST works" grep -q phase=running "$D/incluster"
env -u KUBECONFIG HOME=/nonexistent KUBERNETES_SERVICE_HOST=127.0.0.1 \
	KUBERNETES_SERVICE_PORT="$K8S_PORT" DEVGATE_K8S_SA_DIR="$D/sa" \
	"$PROBE" exec alice-dev true </dev/null >"$D/incluster2" 2>&1
tst_check "in-cluster config: exec works" [ $? -eq 0 ]

# Unsupported auth is refused with a message naming it.
cat >"$D/execplugin.kc" <<KC
apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://127.0.0.1:$K8S_PORT"}}]
users: [{name: u, user: {exec: {command: aws, args: [eks, get-token]}}}]
KC
"$PROBE" -k "$D/execplugin.kc" find dev alice >"$D/plugin" 2>&1
tst_check "exec credential plugins are refused, naming 'exec'" \
	grep -q 'config error: not supported: .*"exec" is not supported' "$D/plugin"
tst_done
