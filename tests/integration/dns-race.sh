#!/bin/bash
# dns-race.sh: address allocation without collisions across gateway
# replicas, the zone being the source of truth. Two installations (owner
# ids gw-a and gw-b, disjoint environments) and a third process for gw-a
# allocate from the same small pool at the same time against BIND: every
# environment ends with exactly one address, no address serves two names,
# every address has one reservation naming its environment, and the losers
# of each race (failed prerequisites) re-read the zone and took another.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dns.sh"

command -v dig >/dev/null || tst_skip "dig is not installed"
[ -x "$DEVGATE" ] || tst_skip "no $DEVGATE"
dns_have bind || tst_skip "BIND is not installed"

N=60
dns_start_bind "$(dns_free_port)" || { tst_fail "BIND did not start"; tst_done; }
dns_write_key "$TST_DIR/key"
for who in a b; do
	{
		echo '$ORIGIN dev.corp.'
		for i in $(seq 1 $N); do
			echo "env$who$i._env IN TXT \"v=devgate1\" \"owner=u$i\" \"image=img:1\""
		done
	} > "$TST_DIR/reg-$who.zone"
	# A 127.0.20.0/25 pool: 126 addresses for 120 environments, so that
	# candidates collide all the time.
	dns_devgate_conf "$TST_DIR/$who.conf" "$TST_DIR/key" "$TST_DIR/q-$who" \
	    "DNSOwnerId gw-$who" "DNSRegistry file:$TST_DIR/reg-$who.zone" \
	    "EnvironmentAddressPool 127.0.20.0/25" "DNSUpdateBatch 7"
done

pids=()
for run in a b a; do
	"$DEVGATE" dns -f "$TST_DIR/$run.conf" sync > "$TST_DIR/out-$run-${#pids[@]}" 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
tst_check "all three allocators finished without error" test "$rc" = 0
[ "$rc" = 0 ] || cat "$TST_DIR"/out-* >&2
# The race happened: some messages met a prerequisite that failed.
lost=$(sed -n 's/.*messages (\([0-9]*\) with failed prerequisites).*/\1/p' \
    "$TST_DIR"/out-* | awk '{ s += $1 } END { print s + 0 }')
tst_log "messages that lost a race: $lost"
tst_check "allocators collided and recovered" test "$lost" -gt 0

dns_axfr > "$TST_DIR/axfr"
tst_check "every environment has exactly one address" test "$(awk \
    '$4 == "A" && $1 ~ /^env[ab][0-9]+\.dev\.corp\.$/ { n[$1]++ }
     END { for (k in n) if (n[k] == 1) ok++; print ok + 0 }' "$TST_DIR/axfr")" = $((2 * N))
tst_check "no address serves two names" test "$(awk \
    '$4 == "A" && $1 ~ /^env/ { print $5 }' "$TST_DIR/axfr" | sort | uniq -d | wc -l)" = 0
tst_check "each address has one reservation naming its environment" test "$(awk '
    $4 == "A" && $1 ~ /^env/ { split($1, p, "."); a[$5] = p[1] }
    $4 == "TXT" && $1 ~ /_addr/ { split($1, p, "."); gsub("-", ".", p[1]);
        n = $0; sub(/.*name=/, "", n); sub(/".*/, "", n); r[p[1]] = n; c[p[1]]++ }
    END { for (k in a) if (r[k] == a[k] && c[k] == 1) ok++; print ok + 0 }' \
    "$TST_DIR/axfr")" = $((2 * N))
tst_check "no reservation without its name" test "$(grep -c '_addr\.dev\.corp\.' \
    "$TST_DIR/axfr")" = $((2 * N))
tst_check "names carry their installation's marker" test "$(grep -c \
    '^_devgate\.enva.*owner=gw-a' "$TST_DIR/axfr")" = $N
# A further run of each finds nothing to do.
out=$("$DEVGATE" dns -f "$TST_DIR/a.conf" sync 2>&1)
tst_check "gw-a: a second sync is a no-op" grep -q "0 added, 0 changed, 0 deleted, $N up to date" <<<"$out"
out=$("$DEVGATE" dns -f "$TST_DIR/b.conf" sync 2>&1)
tst_check "gw-b: a second sync is a no-op" grep -q "0 added, 0 changed, 0 deleted, $N up to date" <<<"$out"
tst_check "gw-b never touched gw-a's names" bash -c "! grep -q 'enva' <<<\"\$1\"" _ "$out"
tst_done
