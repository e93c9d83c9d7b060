#!/bin/bash
# dns-race.sh: address allocation without collisions across gateway
# replicas, the zone being the source of truth. Two installations (owner
# ids gw-a and gw-b, disjoint environments) and a second process for gw-a
# allocate from the same small pool at the same time against BIND: every
# environment ends with exactly one address, no address serves two names,
# every address has one reservation naming its environment, and the losers
# of each race (failed prerequisites) re-read the zone and took another.
# A round whose processes happened not to overlap is run again (up to 3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dns.sh"

command -v dig >/dev/null || tst_skip "dig is not installed"
[ -x "$DEVGATE" ] || tst_skip "no $DEVGATE"
dns_have bind || tst_skip "BIND is not installed"

N=60
dns_start_bind "$(dns_free_port)" || { tst_fail "BIND did not start"; tst_done; }
dns_write_key "$TST_DIR/key"

round() {
	local r=$1 who pids=() rc=0 p lost out
	for who in a b; do
		{
			echo '$ORIGIN dev.corp.'
			for i in $(seq 1 $N); do
				echo "r$r$who$i._env IN TXT \"v=devgate1\" \"owner=u$i\" \"image=img:1\""
			done
		} > "$TST_DIR/reg-$r$who.zone"
		# 126 addresses for 120 environments: candidates collide.
		dns_devgate_conf "$TST_DIR/$r$who.conf" "$TST_DIR/key" \
		    "$TST_DIR/q-$r$who" "DNSOwnerId gw-$who" \
		    "DNSRegistry file:$TST_DIR/reg-$r$who.zone" \
		    "EnvironmentAddressPool 127.0.2$r.0/25" "DNSUpdateBatch 7"
	done
	rm -f "$TST_DIR"/out-$r-*
	for who in a b a; do
		"$DEVGATE" dns -f "$TST_DIR/$r$who.conf" sync \
		    > "$TST_DIR/out-$r-${#pids[@]}" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	tst_check "round $r: all three allocators finished without error" \
	    test "$rc" = 0
	[ "$rc" = 0 ] || cat "$TST_DIR"/out-$r-* >&2
	dns_axfr | grep "^r$r\|_addr\|_devgate\.r$r" > "$TST_DIR/axfr-$r"
	tst_check "round $r: every environment has exactly one address" test "$(awk \
	    -v p="^r$r[ab][0-9]+\\\\.dev\\\\.corp\\\\.\$" \
	    '$4 == "A" && $1 ~ p { n[$1]++ }
	     END { for (k in n) if (n[k] == 1) ok++; print ok + 0 }' \
	    "$TST_DIR/axfr-$r")" = $((2 * N))
	tst_check "round $r: no address serves two names" test "$(awk \
	    '$4 == "A" { print $5 }' "$TST_DIR/axfr-$r" | sort | uniq -d |
	    wc -l)" = 0
	tst_check "round $r: each address has one reservation naming its environment" \
	    test "$(awk -v net="127.0.2$r." '
	    $4 == "A" { split($1, p, "."); a[$5] = p[1] }
	    $4 == "TXT" && $1 ~ /_addr/ { split($1, p, "."); gsub("-", ".", p[1]);
		if (index(p[1], net) != 1) next;
		n = $0; sub(/.*name=/, "", n); sub(/".*/, "", n); r[p[1]] = n; c[p[1]]++ }
	    END { for (k in a) if (r[k] == a[k] && c[k] == 1) ok++; print ok + 0 }' \
	    "$TST_DIR/axfr-$r")" = $((2 * N))
	tst_check "round $r: no reservation without its name" test "$(grep -c \
	    "^127-0-2$r-[0-9]*\._addr" "$TST_DIR/axfr-$r")" = $((2 * N))
	tst_check "round $r: names carry their installation's marker" test "$(grep -c \
	    "^_devgate\.r${r}a.*owner=gw-a" "$TST_DIR/axfr-$r")" = $N
	out=$("$DEVGATE" dns -f "$TST_DIR/${r}b.conf" sync 2>&1)
	tst_check "round $r: gw-b: a second sync is a no-op" grep -q \
	    "0 added, 0 changed, 0 deleted, $N up to date" <<<"$out"
	tst_check "round $r: gw-b never touched gw-a's names" \
	    bash -c "! grep -q 'r${r}a' <<<\"\$1\"" _ "$out"
	lost=$(sed -n 's/.*messages (\([0-9]*\) with failed prerequisites).*/\1/p' \
	    "$TST_DIR"/out-$r-* | awk '{ s += $1 } END { print s + 0 }')
	tst_log "round $r: messages that lost a race: $lost"
	LOST=$((LOST + lost))
}

LOST=0
for r in 1 2 3; do
	round "$r"
	[ "$LOST" -gt 0 ] && break
done
tst_check "allocators collided and recovered" test "$LOST" -gt 0
tst_done
