#!/bin/bash
# check.sh: install what the tests need, build, run every test (unit, fuzz
# corpora, integration against real peers); one log per test under build/;
# the last line is "N passed, N failed" and any failure exits non-zero.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/deps.sh test || { echo "0 passed, 1 failed"; exit 1; }
if ! bash scripts/build.sh "$@"; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
cd build
# The harness never stops at the first failure and keeps a .log per test.
make -j"$(nproc)" check >check-output.log 2>&1
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP|XFAIL):' check-output.log || true
if ! grep -q '^# TOTAL:' check-output.log; then
	echo "---- make check did not run the tests:"
	tail -n 40 check-output.log
	echo "0 passed, 1 failed"
	exit 1
fi

passed=0
failed=0
skipped=0
for trs in $(find tests -name '*.trs' | sort); do
	res=$(sed -n 's/^:test-result: //p' "$trs" | head -n1)
	case "$res" in
	PASS|XFAIL) passed=$((passed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	*)
		failed=$((failed + 1))
		log=${trs%.trs}.log
		echo "---- $log (last 40 lines)"
		tail -n 40 "$log"
		;;
	esac
done
if [ "$skipped" -gt 0 ]; then
	echo "($skipped skipped: see their logs for the missing prerequisite)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
