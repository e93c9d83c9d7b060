# lib.sh: shared helpers for integration tests (sourced, bash). Every server
# a test starts is recorded and stopped by PID on exit; waits poll with a
# deadline, never a fixed sleep.

set -uo pipefail

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
: "${DEVGATE:=$top_builddir/gateway/devgate}"
export top_srcdir top_builddir DEVGATE
PY=/usr/bin/python3
# Under --enable-sanitizers: tests preload pam_wrapper/nss_wrapper, so ASan
# cannot come first; nss_wrapper's RTLD_DEEPBIND would abort ASan.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export NSS_WRAPPER_DISABLE_DEEPBIND=1

TST_NAME=$(basename "$0" .sh)
TST_PIDS=()
TST_CLEANUP=()
TST_FAILS=0
TST_CHECKS=0
TST_DIR=$(mktemp -d "/tmp/devgate-$TST_NAME.XXXXXX")
export TST_DIR

tst_log() { printf '%s: %s\n' "$TST_NAME" "$*"; }

# Register a command to run at exit (last registered runs first).
tst_on_exit() { TST_CLEANUP+=("$*"); }

# Remember a PID to stop at exit.
tst_track_pid() { TST_PIDS+=("$1"); }

# Is $DEVGATE a --enable-sanitizers build? (ldd's output is matched whole:
# "ldd | grep -q" under pipefail fails when grep's early exit hits ldd.)
tst_sanitized() {
	case $(ldd "$DEVGATE" 2>/dev/null) in
	*libasan*) return 0 ;;
	esac
	return 1
}

# Stop a process by PID: SIGTERM, wait up to 10 s, then SIGKILL.
tst_stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

tst_exit() {
	local rc=$? i
	for ((i = ${#TST_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${TST_CLEANUP[$i]}" || true
	done
	for ((i = ${#TST_PIDS[@]} - 1; i >= 0; i--)); do
		tst_stop_pid "${TST_PIDS[$i]}"
	done
	if [ "${TST_KEEP:-0}" = 1 ]; then
		tst_log "kept $TST_DIR"
	else
		rm -rf "$TST_DIR"
	fi
	exit "$rc"
}
trap tst_exit EXIT
trap 'exit 130' INT TERM

# A free TCP port on 127.0.0.1 (bound and released by the kernel's choice).
tst_free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# tst_wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds.
tst_wait_for() {
	local secs=$1 deadline
	shift
	deadline=$((SECONDS + secs))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# tst_wait_file_line SECONDS FILE REGEX: poll until FILE has a matching line.
tst_wait_file_line() {
	tst_wait_for "$1" grep -qE -- "$3" "$2"
}

# tst_check DESCRIPTION CMD...: run a check, report, count failures.
tst_check() {
	local desc=$1
	shift
	TST_CHECKS=$((TST_CHECKS + 1))
	if "$@"; then
		tst_log "ok - $desc"
	else
		tst_log "FAIL - $desc"
		TST_FAILS=$((TST_FAILS + 1))
	fi
}

tst_fail() {
	tst_log "FAIL - $*"
	TST_FAILS=$((TST_FAILS + 1))
}

tst_skip() {
	tst_log "SKIP: $*"
	exit 77
}

# Exit with the result of the checks so far.
tst_done() {
	tst_log "$((TST_CHECKS - TST_FAILS))/$TST_CHECKS checks passed"
	[ "$TST_FAILS" -eq 0 ]
	exit $?
}
