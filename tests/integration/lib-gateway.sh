# lib-gateway.sh: helpers for the gateway-*.sh tests (sourced after lib.sh):
# start kubesim and devgate on free loopback ports, create environment
# pods, user keys and an ssh_config for the real OpenSSH client.

KUBESIM="$top_srcdir/tests/kubesim/kubesim"
[ -x "$DEVGATE" ] || tst_skip "$DEVGATE is not built"
[ -x "$KUBESIM" ] || tst_skip "tests/kubesim/kubesim is missing"
for c in ssh ssh-keygen sftp kubectl; do
	command -v "$c" >/dev/null 2>&1 || tst_skip "$c is not installed"
done
$PY -c 'import aiohttp, yaml, cryptography' 2>/dev/null ||
	tst_skip "kubesim needs python3-aiohttp, python3-yaml, python3-cryptography"

GW_CONF=$TST_DIR/devgate.conf
GW_LOG=$TST_DIR/devgate.log
GW_SSHCONF=$TST_DIR/ssh_config
GW_KEYS=$TST_DIR/keys
GW_AUTHKEYS=$TST_DIR/authorized_keys
mkdir -p "$GW_KEYS" "$GW_AUTHKEYS"

# gw_start_sim [kubesim options...]: sets SIM_PORT, SIM_DIR, SIM_PID,
# KUBECONFIG.
gw_start_sim() {
	SIM_PORT=$(tst_free_port)
	SIM_DIR=$TST_DIR/sim
	"$KUBESIM" --listen "127.0.0.1:$SIM_PORT" --dir "$SIM_DIR" "$@" \
		>"$TST_DIR/sim.out" 2>"$TST_DIR/sim.err" &
	SIM_PID=$!
	tst_track_pid "$SIM_PID"
	if ! tst_wait_for 30 grep -qx ready "$TST_DIR/sim.out"; then
		cat "$TST_DIR/sim.err"
		tst_fail "kubesim did not become ready"
		tst_done
	fi
	export KUBECONFIG=$SIM_DIR/kubeconfig
}

gw_kubectl() { kubectl --request-timeout=30s "$@"; }

# gw_pod ENV OWNER [NAME] [COMMAND-JSON] [IMAGE]: an environment pod with
# devgate's labels; waits until it is Ready unless COMMAND ends at once.
gw_pod() {
	local env=$1 owner=$2 name=${3:-$1} cmd=${4:-'["sleep","infinity"]'}
	local image=${5:-debian:12}
	printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s",' \
		"$name" >"$TST_DIR/pod-$name.json"
	printf '"labels":{"devgate.dev/env":"%s","devgate.dev/owner":"%s"}},' \
		"$env" "$owner" >>"$TST_DIR/pod-$name.json"
	printf '"spec":{"restartPolicy":"Never","terminationGracePeriodSeconds":1,' \
		>>"$TST_DIR/pod-$name.json"
	printf '"containers":[{"name":"main","image":"%s","command":%s}]}}\n' \
		"$image" "$cmd" >>"$TST_DIR/pod-$name.json"
	gw_kubectl apply -f "$TST_DIR/pod-$name.json" >/dev/null || return 1
}

gw_pod_ready() {
	gw_kubectl wait --for=condition=Ready "pod/$1" --timeout=60s >/dev/null
}

# gw_user USER: an ed25519 key in $GW_KEYS/USER, authorized for USER.
gw_user() {
	ssh-keygen -q -t ed25519 -N '' -C "$1@test" -f "$GW_KEYS/$1" &&
		cat "$GW_KEYS/$1.pub" >>"$GW_AUTHKEYS/$1"
}

# gw_config [extra config lines...]: the devgate config, on a free port.
gw_config() {
	local l
	GW_PORT=$(tst_free_port)
	{
		echo "ListenAddress 127.0.0.1:$GW_PORT"
		echo "StateDirectory $TST_DIR/state"
		echo "HostKey $TST_DIR/state/ssh_host_ed25519_key"
		echo "PidFile $TST_DIR/devgate.pid"
		echo "Kubeconfig $SIM_DIR/kubeconfig"
		echo "AuthorizedKeysFile $GW_AUTHKEYS/%u"
		echo "StrictModes no"
		echo "LogLevel VERBOSE"
		echo "Workers ${GW_WORKERS:-2}"
		for l in "$@"; do echo "$l"; done
	} >"$GW_CONF"
	cat >"$GW_SSHCONF" <<-EOF
	Host gw
	  HostName 127.0.0.1
	  Port $GW_PORT
	  StrictHostKeyChecking no
	  UserKnownHostsFile $TST_DIR/known_hosts
	  IdentitiesOnly yes
	  BatchMode yes
	  LogLevel ERROR
	  ConnectTimeout 20
	EOF
}

gw_accepts() {
	(exec 3<>"/dev/tcp/127.0.0.1/$GW_PORT") 2>/dev/null
}

# gw_start [devgate options]: start devgate -D -e and wait until it
# accepts connections; GW_PID is the supervisor.
gw_start() {
	"$DEVGATE" -D -e -f "$GW_CONF" "$@" >>"$GW_LOG" 2>&1 &
	GW_PID=$!
	tst_track_pid "$GW_PID"
	if ! tst_wait_for 30 gw_accepts; then
		cat "$GW_LOG"
		tst_fail "devgate did not start listening"
		tst_done
	fi
	# Every worker up: the ones that own a slot log "ready".
	tst_wait_for 30 test "$(grep -c ' ready (pid' "$GW_LOG")" -ge \
		"${GW_WORKERS:-2}" || true
}

# gw_ssh USER ARGS...: OpenSSH as USER with USER's key.
gw_ssh_argv() {	# USER: the command line, in GW_SSH_ARGV
	GW_SSH_ARGV=(timeout "${GW_TIMEOUT:-60}" ssh -F "$GW_SSHCONF"
		-i "$GW_KEYS/${1%%+*}" -l "$1")
}
gw_ssh() {
	gw_ssh_argv "$1"
	shift
	"${GW_SSH_ARGV[@]}" "$@"
}

# gw_ssh_bg VAR USER ARGS...: gw_ssh in the background, tracked, its pid
# in VAR. That pid is timeout's, which passes a signal on to ssh ($! of
# "gw_ssh ... &" is a subshell's: stopping it leaves ssh running). The
# caller's stdin stays (a background command would get /dev/null).
gw_ssh_bg() {
	local _var=$1
	gw_ssh_argv "$2"
	shift 2
	"${GW_SSH_ARGV[@]}" "$@" <&0 &
	printf -v "$_var" %s "$!"
	tst_track_pid "$!"
}

gw_sftp() {
	local u=$1
	shift
	timeout "${GW_TIMEOUT:-120}" sftp -F "$GW_SSHCONF" \
		-i "$GW_KEYS/${u%%+*}" "$@" "$u@gw"
}

# gw_workers: PIDs of the supervisor's children.
gw_workers() { pgrep -P "$GW_PID" | sort; }

# The log holds no sign of a crash or a memory error.
gw_log_clean() {
	! grep -E 'AddressSanitizer|LeakSanitizer|runtime error|killed by signal' \
		"$GW_LOG"
}
