#!/bin/bash
# gateway-bench.sh: devgate against OpenSSH's sshd on this machine, side by
# side in one run (run by hand, not by make check):
#   - SFTP 1 GiB get and put: MB/s and server CPU-seconds per GiB (devgate
#     workers and kubesim separately; sshd with its sftp-server), one cipher;
#   - "ssh HOST true" connect+exec latency, p50 and p90 over N runs;
#   - memory per idle shell session at 100 and 1,000 sessions: PSS of all
#     devgate processes (which hold each session's API-server stream) vs
#     PSS of all sshd processes, per session.
# Both sides log in as root and run root's shell, which reads ~/.bashrc
# (bash does when SSH_CLIENT is set). By default that home is a stock
# Debian one on both sides (the pod's own /root, and SetEnv HOME for sshd),
# so that a developer machine's dotfiles (pyenv init: ~150 ms) do not
# swamp what is measured; --host-home runs both with the host's /root.
# Both sides use the same key exchange, the one devgate (libssh 0.10)
# negotiates: curve25519-sha256. OpenSSH 9.2's default,
# sntrup761x25519-sha512, costs the client ~200 ms of CPU per connection
# here and would be measured as sshd's latency (-k to choose another).
# The latency runs alternate devgate and sshd. kubesim moves each pod
# process into the pod's cgroups, as runc exec does; on this cgroup v1
# host that write costs 10-20 ms per exec (the kernel waits for an RCU
# grace period), which --no-pod-cgroups leaves out to show devgate's own
# share.
# Usage: bench/gateway-bench.sh [-c cipher] [-k kex] [-n runs]
#        [-s "100 1000"] [-g size_MiB] [--no-sftp] [--no-latency]
#        [--no-memory] [--host-home] [--no-pod-cgroups]
# Needs a build (scripts/build.sh or DEVGATE=...), kubesim's Python
# packages, OpenSSH server and client, python3-paramiko.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
DEVGATE=${DEVGATE:-$top/build/gateway/devgate}
KUBESIM=$top/tests/kubesim/kubesim
PY=/usr/bin/python3
CIPHER=aes128-gcm@openssh.com
KEX=curve25519-sha256
RUNS=50
SIZES="100 1000"
GIB_MIB=1024
do_sftp=1 do_lat=1 do_mem=1 host_home=0 pod_cgroups=1
while [ $# -gt 0 ]; do
	case $1 in
	-c) CIPHER=$2; shift ;;
	-k) KEX=$2; shift ;;
	-n) RUNS=$2; shift ;;
	-s) SIZES=$2; shift ;;
	-g) GIB_MIB=$2; shift ;;
	--no-sftp) do_sftp=0 ;;
	--no-latency) do_lat=0 ;;
	--no-memory) do_mem=0 ;;
	--host-home) host_home=1 ;;
	--no-pod-cgroups) pod_cgroups=0 ;;
	*) echo "usage: $0 [-c cipher] [-k kex] [-n runs] [-s sizes] [-g MiB]" \
		"[--no-sftp] [--no-latency] [--no-memory] [--host-home]" \
		"[--no-pod-cgroups]" >&2
	   exit 2 ;;
	esac
	shift
done
[ -x "$DEVGATE" ] || { echo "build devgate first ($DEVGATE)"; exit 1; }
[ -x /usr/sbin/sshd ] || { echo "install openssh-server"; exit 1; }

W=$(mktemp -d /tmp/devgate-bench.XXXXXX)
PIDS=()
cleanup() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM "${PIDS[$i]}" 2>/dev/null
	done
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		wait "${PIDS[$i]}" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# Polls the listening sockets rather than connecting: a connection that
# never authenticates would earn the source a PerSourcePenalties delay.
wait_port() {
	local i
	for i in $(seq 1 300); do
		[ -n "$(ss -Hltn "sport = :$1")" ] && return 0
		sleep 0.1
	done
	return 1
}
# CPU-seconds of a process and its reaped children (utime+stime+cutime+
# cstime), summed over the given PIDs.
cpu() {
	local p t=0 hz
	hz=$(getconf CLK_TCK)
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(awk '{print $14+$15+$16+$17}' "/proc/$p/stat")))
	done
	echo "scale=3; $t / $hz" | bc
}
# PSS in KiB of every process in the given process trees.
pss_tree() {
	local p all="" k t=0
	for p in "$@"; do
		all="$all $p $(pgrep -d' ' -P "$p")"
		for k in $(pgrep -P "$p"); do all="$all $(pgrep -d' ' -P "$k")"; done
	done
	for p in $all; do
		k=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		t=$((t + ${k:-0}))
	done
	echo "$t"
}

echo "devgate benchmark: $(nproc) CPUs, cipher $CIPHER, kex $KEX," \
	"$(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$([ $host_home = 1 ] && echo "host's /root" || echo "stock home")," \
	"$([ $pod_cgroups = 1 ] && echo "pod cgroups" || echo "no pod cgroups")"

# --- devgate with kubesim.
SIM_PORT=$(free_port)
SIM_OPTS=()
[ $host_home = 1 ] && SIM_OPTS+=(--host-root)
[ $pod_cgroups = 0 ] && SIM_OPTS+=(--no-cgroups)
"$KUBESIM" --listen "127.0.0.1:$SIM_PORT" --dir "$W/sim" "${SIM_OPTS[@]}" \
	>"$W/sim.out" 2>"$W/sim.err" &
SIM_PID=$!
PIDS+=("$SIM_PID")
for i in $(seq 1 300); do grep -qx ready "$W/sim.out" && break; sleep 0.1; done
cat >"$W/pod.json" <<EOF
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bench-dev",
 "labels":{"devgate.dev/env":"bench-dev","devgate.dev/owner":"bench"}},
 "spec":{"restartPolicy":"Never","containers":[{"name":"main",
 "image":"debian:12","command":["sleep","infinity"]}]}}
EOF
KUBECONFIG=$W/sim/kubeconfig kubectl apply -f "$W/pod.json" >/dev/null
KUBECONFIG=$W/sim/kubeconfig kubectl wait --for=condition=Ready \
	pod/bench-dev --timeout=60s >/dev/null
mkdir -p "$W/keys" "$W/ak"
ssh-keygen -q -t ed25519 -N '' -f "$W/keys/id"
cp "$W/keys/id.pub" "$W/ak/bench"
GW_PORT=$(free_port)
cat >"$W/devgate.conf" <<EOF
ListenAddress 127.0.0.1:$GW_PORT
HostKey $W/gw_host_key
Kubeconfig $W/sim/kubeconfig
AuthorizedKeysFile $W/ak/%u
StrictModes no
LogLevel ERROR
MaxStartups 2000
MaxSessions 10
MaxWorkerSessions 100000
LoginGraceTime 600
Workers ${BENCH_WORKERS:-$(nproc)}
EOF
"$DEVGATE" -D -e -f "$W/devgate.conf" >"$W/devgate.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
wait_port "$GW_PORT" || { cat "$W/devgate.log"; exit 1; }

# --- sshd direct.
SSHD_PORT=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$W/sshd_host_key"
cp "$W/keys/id.pub" "$W/ak/sshd"
SFTP_SERVER=/usr/lib/openssh/sftp-server
# The same stock home as the pod's /root (kubesim copies these two files).
SSHD_ENV=
if [ $host_home = 0 ]; then
	mkdir -p "$W/sshd-home"
	cp /usr/share/base-files/dot.bashrc "$W/sshd-home/.bashrc"
	cp /usr/share/base-files/dot.profile "$W/sshd-home/.profile"
	SSHD_ENV="SetEnv HOME=$W/sshd-home"
fi
cat >"$W/sshd_config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $W/sshd_host_key
AuthorizedKeysFile $W/ak/sshd
StrictModes no
PermitRootLogin yes
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PidFile $W/sshd.pid
MaxStartups 2000
MaxSessions 10
LogLevel ERROR
Subsystem sftp $SFTP_SERVER
$SSHD_ENV
EOF
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/sshd.log" &
SSHD_PID=$!
PIDS+=("$SSHD_PID")
wait_port "$SSHD_PORT" || { cat "$W/sshd.log"; exit 1; }

ME=$(id -un)
SSHO=(-i "$W/keys/id" -o IdentitiesOnly=yes -o BatchMode=yes
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -c "$CIPHER" -o KexAlgorithms="$KEX")

# The worker PIDs (not the supervisor).
gw_workers() { pgrep -d' ' -P "$GW_PID"; }

result() { printf '%-44s %14s %14s\n' "$@"; }
declare -A G_MBS S_MBS G_CPU K_CPU S_CPU

if [ "$do_sftp" = 1 ]; then
	head -c $((GIB_MIB * 1024 * 1024)) /dev/zero >"$W/file"
	# Warm-up, and the source file in the pod and for sshd.
	ssh "${SSHO[@]}" -p "$GW_PORT" bench+dev@127.0.0.1 \
		"head -c $((GIB_MIB * 1024 * 1024)) /dev/zero >/tmp/bench-file"
	cp "$W/file" "$W/sshd-file"
	sftp_run() {	# port user cmd -> seconds
		local t0 t1
		t0=$(date +%s.%N)
		echo "$3" | sftp "${SSHO[@]}" -P "$1" -b - "$2@127.0.0.1" \
			>/dev/null || echo "sftp failed" >&2
		t1=$(date +%s.%N)
		echo "$t1 - $t0" | bc
	}
	for dir in get put; do
		if [ $dir = get ]; then
			gcmd="get /tmp/bench-file /dev/null"
			scmd="get $W/sshd-file /dev/null"
		else
			gcmd="put $W/file /tmp/bench-up"
			scmd="put $W/file $W/sshd-up"
		fi
		w=$(gw_workers)
		c0=$(cpu $w)
		k0=$(cpu "$SIM_PID")
		gs=$(sftp_run "$GW_PORT" bench+dev "$gcmd")
		sleep 1	# let the pod's sftp-server be reaped
		c1=$(cpu $w)
		k1=$(cpu "$SIM_PID")
		s0=$(cpu "$SSHD_PID")
		ss=$(sftp_run "$SSHD_PORT" "$ME" "$scmd")
		sleep 1
		s1=$(cpu "$SSHD_PID")
		gib=$(echo "scale=6; $GIB_MIB / 1024" | bc)
		G_MBS[$dir]=$(echo "scale=1; $GIB_MIB * 1.048576 / $gs" | bc)
		S_MBS[$dir]=$(echo "scale=1; $GIB_MIB * 1.048576 / $ss" | bc)
		G_CPU[$dir]=$(echo "scale=2; ($c1 - $c0) / $gib" | bc)
		K_CPU[$dir]=$(echo "scale=2; ($k1 - $k0) / $gib" | bc)
		S_CPU[$dir]=$(echo "scale=2; ($s1 - $s0) / $gib" | bc)
	done
fi

if [ "$do_lat" = 1 ]; then
	lat1() {	# port user -> ms
		local t0 t1
		t0=$(date +%s%N)
		ssh "${SSHO[@]}" -p "$1" "$2@127.0.0.1" true ||
			echo "ssh failed" >&2
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000))
	}
	pct() { awk -v p="$1" '{a[NR]=$1} END {i=int((NR-1)*p/100)+1; print a[i]}'; }
	# Warm-up (the worker's first API connection, sshd's page cache),
	# then devgate and sshd in turn, so that a change of the machine's
	# load during the run weighs on both columns alike.
	lat1 "$GW_PORT" bench+dev >/dev/null
	lat1 "$SSHD_PORT" "$ME" >/dev/null
	: >"$W/lat-gw.raw"
	: >"$W/lat-sshd.raw"
	for i in $(seq 1 "$RUNS"); do
		lat1 "$GW_PORT" bench+dev >>"$W/lat-gw.raw"
		lat1 "$SSHD_PORT" "$ME" >>"$W/lat-sshd.raw"
	done
	sort -n "$W/lat-gw.raw" >"$W/lat-gw"
	sort -n "$W/lat-sshd.raw" >"$W/lat-sshd"
fi

declare -A G_MEM S_MEM
if [ "$do_mem" = 1 ]; then
	cat >"$W/idle.py" <<'EOF'
# Hold N idle shell sessions (one SSH connection each) until stdin closes.
import sys, paramiko, threading
port, user, key, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
pk = paramiko.Ed25519Key.from_private_key_file(key)
conns, lock = [], threading.Lock()
def one():
    t = paramiko.Transport(("127.0.0.1", port))
    t.start_client(timeout=120)
    t.auth_publickey(user, pk)
    ch = t.open_session(timeout=120)
    ch.get_pty()
    ch.invoke_shell()
    ch.recv(1)   # the shell started
    with lock:
        conns.append((t, ch))
ths = []
for i in range(n):
    th = threading.Thread(target=one, daemon=True)
    th.start(); ths.append(th)
    if len(ths) >= 50:
        for th in ths: th.join()
        ths = []
for th in ths: th.join()
print(len(conns), flush=True)
sys.stdin.read()
EOF
	for n in $SIZES; do
		g0=$(pss_tree "$GW_PID")
		coproc IDLE { $PY "$W/idle.py" "$GW_PORT" bench+dev \
			"$W/keys/id" "$n" 2>"$W/idle.err"; }
		read -r got <&"${IDLE[0]}"
		sleep 2
		g1=$(pss_tree "$GW_PID")
		exec {IDLE[1]}>&-
		wait "$IDLE_PID" 2>/dev/null
		G_MEM[$n]="$(( (g1 - g0) / (got > 0 ? got : 1) )) KB ($got)"
		s0=$(pss_tree "$SSHD_PID")
		# sshd: PSS of the sshd processes only (not the shells).
		coproc IDLE { $PY "$W/idle.py" "$SSHD_PORT" "$ME" \
			"$W/keys/id" "$n" 2>"$W/idle.err"; }
		read -r got <&"${IDLE[0]}"
		sleep 2
		s1=0
		for p in $SSHD_PID $(pgrep -d' ' -P "$SSHD_PID"); do
			k=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" \
				2>/dev/null)
			s1=$((s1 + ${k:-0}))
			for q in $(pgrep -P "$p" -x sshd); do
				k=$(awk '/^Pss:/{print $2}' \
					"/proc/$q/smaps_rollup" 2>/dev/null)
				s1=$((s1 + ${k:-0}))
			done
		done
		exec {IDLE[1]}>&-
		wait "$IDLE_PID" 2>/dev/null
		S_MEM[$n]="$(( (s1 - s0) / (got > 0 ? got : 1) )) KB ($got)"
	done
fi

echo
result "" "devgate" "OpenSSH sshd"
if [ "$do_sftp" = 1 ]; then
	for dir in get put; do
		result "SFTP $GIB_MIB MiB $dir, MB/s" "${G_MBS[$dir]}" \
			"${S_MBS[$dir]}"
		result "  server CPU-s/GiB (devgate workers)" "${G_CPU[$dir]}" \
			"${S_CPU[$dir]}"
		result "  kubesim CPU-s/GiB (API + pod sftp-server)" \
			"${K_CPU[$dir]}" "-"
	done
fi
if [ "$do_lat" = 1 ]; then
	result "ssh HOST true, p50 ms ($RUNS runs)" "$(pct 50 <"$W/lat-gw")" \
		"$(pct 50 <"$W/lat-sshd")"
	result "ssh HOST true, p90 ms" "$(pct 90 <"$W/lat-gw")" \
		"$(pct 90 <"$W/lat-sshd")"
	result "ssh HOST true, p50 devgate / sshd" "$(echo "scale=2; \
		$(pct 50 <"$W/lat-gw") / $(pct 50 <"$W/lat-sshd")" | bc)" ""
fi
if [ "$do_mem" = 1 ]; then
	for n in $SIZES; do
		result "PSS per idle shell session at $n" "${G_MEM[$n]}" \
			"${S_MEM[$n]}"
	done
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
