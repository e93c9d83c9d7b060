#!/bin/bash
# dns-reconcile.sh: records per second when devgate reconciles 10,000
# environments (devgate dns sync: batched, signed, prerequisite-guarded
# UPDATEs over TCP) versus nsupdate adding the same records one per UPDATE
# (one nsupdate run, a "send" after each record), against BIND and Knot on
# loopback, in one run. By hand:
#   DEVGATE=build/gateway/devgate bash bench/dns-reconcile.sh [bind knot]
# N=10000 environments by default; NSUPDATE_MAX caps the nsupdate side
# (default: every record on BIND, 3000 on Knot, which applies about 85
# updates per second whatever their size; set it to 0 for no cap).
here=$(cd "$(dirname "$0")/.." && pwd)
: "${top_srcdir:=$here}"
: "${DEVGATE:=$here/build/gateway/devgate}"
export top_srcdir DEVGATE
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-dns.sh"

N=${N:-10000}
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(bind knot)
[ -x "$DEVGATE" ] || { echo "no devgate at $DEVGATE" >&2; exit 1; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

gen_registry() {
	echo '$ORIGIN dev.corp.'
	echo 'small._profile IN TXT "v=devgate1" "image=registry.corp/dev/base:12"'
	awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "env%05d._env IN TXT \"v=devgate1\" \"owner=u%05d\" \"profile=small\"\n", i, i }'
}

results=()
for srv in "${servers[@]}"; do
	dns_have "$srv" || { echo "$srv: not installed" >&2; continue; }
	gen_registry > "$TST_DIR/reg.zone"
	dns_write_key "$TST_DIR/key"

	# devgate: one reconcile of N environments on an empty zone.
	dns_start "$srv" "$(dns_free_port)" || { echo "$srv: no start" >&2; continue; }
	dns_devgate_conf "$TST_DIR/$srv.conf" "$TST_DIR/key" "$TST_DIR/q" \
	    "DNSRegistry file:$TST_DIR/reg.zone" \
	    "EnvironmentAddressPool 10.64.0.0/18" "DNSTimeout 60"
	t0=$(now_ms)
	out=$("$DEVGATE" dns -f "$TST_DIR/$srv.conf" sync --quiet 2>&1) ||
	    { echo "$srv: devgate dns sync failed: $out" >&2; dns_stop; continue; }
	t1=$(now_ms)
	dg_ms=$((t1 - t0))
	# The records devgate wrote, to replay with nsupdate.
	dns_axfr | awk '$1 ~ /^(_devgate\.)?env[0-9]+\.dev\.corp\.$|_addr\.dev\.corp\.$/' \
	    > "$TST_DIR/records"
	nrec=$(wc -l < "$TST_DIR/records")
	msgs=$("$DEVGATE" dns -f "$TST_DIR/$srv.conf" sync 2>&1 | tail -1)
	dns_stop

	# nsupdate: the same records, one UPDATE each, on a fresh server.
	cap=${NSUPDATE_MAX:-}
	[ -n "$cap" ] || { [ "$srv" = knot ] && cap=3000 || cap=0; }
	[ "$cap" -gt 0 ] 2>/dev/null || cap=$nrec
	[ "$cap" -le "$nrec" ] || cap=$nrec
	head -n "$cap" "$TST_DIR/records" | awk -v port=0 '
	    { $2 = $2; printf "update add %s\nsend\n", $0 }' > "$TST_DIR/single.nsu"
	dns_start "$srv" "$(dns_free_port)" || { echo "$srv: no start" >&2; continue; }
	sed -i "1i server 127.0.0.1 $DNS_PORT\nzone dev.corp" "$TST_DIR/single.nsu"
	t0=$(now_ms)
	nsupdate -y "hmac-sha256:$DNS_KEY:$DNS_SECRET" "$TST_DIR/single.nsu" ||
	    echo "$srv: nsupdate failed" >&2
	t1=$(now_ms)
	ns_ms=$((t1 - t0))
	got=$(dns_axfr | grep -c .)
	dns_stop

	dg_rate=$((nrec * 1000 / (dg_ms > 0 ? dg_ms : 1)))
	ns_rate=$((cap * 1000 / (ns_ms > 0 ? ns_ms : 1)))
	results+=("$(printf '%-5s devgate: %d environments, %d records in %d ms = %d records/s | nsupdate: %d records, one per update, in %d ms = %d records/s | %s x' \
	    "$srv" "$N" "$nrec" "$dg_ms" "$dg_rate" "$cap" "$ns_ms" "$ns_rate" \
	    "$(awk -v a="$dg_rate" -v b="$ns_rate" 'BEGIN { printf "%.1f", b ? a / b : 0 }')")")
	echo "${results[-1]}"
	echo "      (zone after nsupdate: $got records in the transfer)"
done
echo
printf '%s\n' "${results[@]}"
