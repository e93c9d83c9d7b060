# lib-k8s.sh: helpers for the k8s-*.sh tests (sourced after lib.sh): start
# kubesim on a free loopback port, create pods through tests/k8s/k8s-probe
# (the Kubernetes backend driven from the command line).

PROBE="$top_builddir/tests/k8s/k8s-probe"
KUBESIM="$top_srcdir/tests/kubesim/kubesim"
[ -x "$PROBE" ] || tst_skip "tests/k8s/k8s-probe is not built"
[ -x "$KUBESIM" ] || tst_skip "tests/kubesim/kubesim is missing"
$PY -c 'import aiohttp, yaml, cryptography' 2>/dev/null ||
	tst_skip "kubesim needs python3-aiohttp, python3-yaml, python3-cryptography"

# k8s_start_sim [kubesim options...]: sets K8S_PORT, K8S_DIR, KUBECONFIG.
k8s_start_sim() {
	K8S_PORT=$(tst_free_port)
	K8S_DIR=$TST_DIR/sim
	"$KUBESIM" --listen "127.0.0.1:$K8S_PORT" --dir "$K8S_DIR" \
		--log "$TST_DIR/sim-requests.log" "$@" \
		>"$TST_DIR/sim.out" 2>"$TST_DIR/sim.err" &
	K8S_PID=$!
	tst_track_pid "$K8S_PID"
	if ! tst_wait_for 30 grep -qx ready "$TST_DIR/sim.out"; then
		cat "$TST_DIR/sim.err"
		tst_fail "kubesim did not become ready"
		tst_done
	fi
	export KUBECONFIG=$K8S_DIR/kubeconfig
	export PROBE_TIMEOUT_MS=${PROBE_TIMEOUT_MS:-120000}
}

# k8s_manifest NAME IMAGE COMMAND-JSON-ARRAY [EXTRA-SPEC-JSON]: a Pod.
k8s_manifest() {
	printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s"},' "$1"
	printf '"spec":{"restartPolicy":"Never","terminationGracePeriodSeconds":2,'
	printf '"containers":[{"name":"main","image":"%s","command":%s%s}]}}\n' \
		"$2" "$3" "${4:-}"
}

# k8s_pod ENV OWNER NAME [COMMAND-JSON] [IMAGE]: start and wait until ready.
k8s_pod() {
	local f=$TST_DIR/pod-$3.json
	k8s_manifest "$3" "${5:-debian:12}" "${4:-[\"sleep\",\"infinity\"]}" >"$f"
	"$PROBE" start "$1" "$2" "$f" >/dev/null || return 1
	"$PROBE" wait "$1" "$2" running 60 >/dev/null
}

# k8s_out FILE CMD...: run CMD, stdout and stderr to FILE, return its status.
k8s_out() {
	local f=$1
	shift
	"$@" >"$f" 2>&1
}
