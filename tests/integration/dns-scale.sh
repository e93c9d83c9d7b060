#!/bin/bash
# dns-scale.sh: 10,000 environments reconciled with one devgate dns sync
# against BIND and Knot: every name gets its own pool address, marker and
# reservation (30,000 records in batched, signed UPDATEs over TCP); a second
# run finds nothing to do; removing 1,000 environments deletes exactly their
# names. Prints the time taken (bench/dns-reconcile.sh compares it with
# nsupdate).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dns.sh"

command -v dig >/dev/null || tst_skip "dig is not installed"
[ -x "$DEVGATE" ] || tst_skip "no $DEVGATE"
N=${DNS_SCALE_N:-10000}

gen_registry() {
	local from=$1 to=$2
	echo '$ORIGIN dev.corp.'
	echo 'small._profile IN TXT "v=devgate1" "image=registry.corp/dev/base:12" "cpu=2" "memory=8Gi"'
	awk -v a="$from" -v b="$to" 'BEGIN { for (i = a; i <= b; i++)
	    printf "env%05d._env IN TXT \"v=devgate1\" \"owner=u%05d\" \"profile=small\"\n", i, i }'
}

run_server() {
	local srv=$1 cfg=$TST_DIR/$srv.conf out t0 t1 ms
	tst_log "--- $srv"
	if ! dns_start "$srv" "$(dns_free_port)"; then
		tst_fail "$srv: server did not start"
		return
	fi
	gen_registry 1 "$N" > "$TST_DIR/reg.zone"
	dns_write_key "$TST_DIR/key"
	dns_devgate_conf "$cfg" "$TST_DIR/key" "$TST_DIR/q" \
	    "DNSRegistry file:$TST_DIR/reg.zone" \
	    "EnvironmentAddressPool 10.64.0.0/18" "DNSTimeout 30" ${DNS_SCALE_EXTRA:+"$DNS_SCALE_EXTRA"}
	t0=$(date +%s%N)
	out=$("$DEVGATE" dns -f "$cfg" sync --quiet 2>&1)
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	tst_check "$srv: $N environments reconciled" test "$rc" = 0
	[ "$rc" = 0 ] || tst_log "$(tail -5 <<<"$out")"
	tst_log "$srv: $N environments ($((3 * N)) records) in $ms ms:" \
	    "$((3 * N * 1000 / (ms > 0 ? ms : 1))) records/s"
	dns_axfr > "$TST_DIR/axfr"
	tst_check "$srv: $N addresses" test "$(grep -cE \
	    '^env[0-9]{5}\.dev\.corp\.[[:space:]].*IN[[:space:]]+A[[:space:]]+10\.64\.' \
	    "$TST_DIR/axfr")" = "$N"
	tst_check "$srv: all distinct" test "$(awk '$4 == "A" && $1 ~ /^env/ \
	    { print $5 }' "$TST_DIR/axfr" | sort -u | wc -l)" = "$N"
	tst_check "$srv: $N markers" test "$(grep -c '^_devgate\.env' \
	    "$TST_DIR/axfr")" = "$N"
	out=$("$DEVGATE" dns -f "$cfg" sync 2>&1)
	tst_check "$srv: a second run changes nothing" grep -q \
	    "0 added, 0 changed, 0 deleted, $N up to date" <<<"$out"
	gen_registry 1 $((N - N / 10)) > "$TST_DIR/reg.zone"
	t0=$(date +%s%N)
	out=$("$DEVGATE" dns -f "$cfg" sync --quiet 2>&1)
	rc=$?
	t1=$(date +%s%N)
	tst_log "$srv: $((N / 10)) environments removed in $(((t1 - t0) / 1000000)) ms"
	tst_check "$srv: removing $((N / 10)) environments succeeds" test "$rc" = 0
	[ "$rc" = 0 ] || tst_log "$(grep -v '^delete' <<<"$out" | tail -5)"
	dns_axfr > "$TST_DIR/axfr"
	tst_check "$srv: their names are gone" test "$(grep -cE \
	    '^env[0-9]{5}\.dev\.corp\.[[:space:]].*IN[[:space:]]+A' \
	    "$TST_DIR/axfr")" = $((N - N / 10))
	tst_check "$srv: so are their reservations" test "$(grep -c \
	    '_addr\.dev\.corp\.' "$TST_DIR/axfr")" = $((N - N / 10))
	dns_stop
}

for srv in ${DNS_SCALE_SERVERS:-bind knot}; do
	if dns_have "$srv"; then
		run_server "$srv"
	else
		tst_log "--- $srv: not installed, skipped"
	fi
done
[ "$TST_CHECKS" -gt 0 ] || tst_skip "no DNS server installed"
tst_done
