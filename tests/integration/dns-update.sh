#!/bin/bash
# dns-update.sh: devgate dns sync against real BIND 9, Knot and PowerDNS
# (TSIG-only updates, signed AXFR): environment names appear with pool
# addresses, ownership markers and reservations; a second run changes
# nothing; a removed environment's name disappears; a name devgate does not
# own is left untouched; switching to CNAMEs releases the addresses;
# --dry-run changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dns.sh"

command -v dig >/dev/null || tst_skip "dig is not installed"
[ -x "$DEVGATE" ] || tst_skip "no $DEVGATE"

zone_without() {
	# the example zone minus one environment record (multi-line TXT)
	awk -v n="$1._env" '$1 == n { skip = 1 } !skip { print } /\)/ { skip = 0 }' \
	    "$top_srcdir/tests/data/dns/example.zone"
}

run_server() {
	local srv=$1 cfg=$TST_DIR/$srv.conf cname=$TST_DIR/$srv-cname.conf out
	local serial1 serial2 a_alice a_bob

	tst_log "--- $srv"
	DNS_ZONE_FILE=$top_srcdir/tests/data/dns/example.zone
	if ! dns_start "$srv" "$(dns_free_port)"; then
		tst_fail "$srv: server did not start"
		return
	fi
	dns_write_key "$TST_DIR/key"
	dns_devgate_conf "$cfg" "$TST_DIR/key" "$TST_DIR/$srv-q" \
	    "EnvironmentAddressPool 127.0.10.1-127.0.10.254" "DNSOwnerId gw-test"
	dns_devgate_conf "$cname" "$TST_DIR/key" "$TST_DIR/$srv-q2" \
	    "DNSGatewayName gw.dev.corp" "DNSOwnerId gw-test"

	out=$("$DEVGATE" dns -f "$cfg" sync --dry-run 2>&1)
	tst_check "$srv: dry run lists three adds" \
	    test "$(grep -c '^would add .* A 127\.0\.10\.' <<<"$out")" = 3
	tst_check "$srv: dry run changes nothing" \
	    test -z "$(dns_q alice-gpu.dev.corp A)"

	out=$("$DEVGATE" dns -f "$cfg" sync 2>&1)
	tst_check "$srv: sync succeeds" test $? = 0
	a_alice=$(dns_q alice-gpu.dev.corp A)
	a_bob=$(dns_q bob-dev.dev.corp A)
	tst_check "$srv: alice-gpu has a pool address" \
	    grep -qE '^127\.0\.10\.[0-9]+$' <<<"$a_alice"
	tst_check "$srv: three distinct addresses" test "$( (dns_q alice-gpu.dev.corp A;
	    dns_q bob-dev.dev.corp A; dns_q carol-r.dev.corp A) | sort -u |
	    grep -c .)" = 3
	tst_check "$srv: ownership marker" test "$(dns_q _devgate.alice-gpu.dev.corp TXT)" = \
	    '"v=devgate-owner1" "owner=gw-test"'
	tst_check "$srv: address reservation" test "$(dns_q \
	    "$(tr . - <<<"$a_alice")._addr.dev.corp" TXT)" = \
	    '"v=devgate-addr1" "owner=gw-test" "name=alice-gpu"'
	tst_check "$srv: output names each change" \
	    grep -q "^add alice-gpu.dev.corp A $a_alice\$" <<<"$out"

	serial1=$(dig +short @127.0.0.1 -p "$DNS_PORT" dev.corp SOA | awk '{print $3}')
	out=$("$DEVGATE" dns -f "$cfg" sync 2>&1)
	serial2=$(dig +short @127.0.0.1 -p "$DNS_PORT" dev.corp SOA | awk '{print $3}')
	tst_check "$srv: second sync changes nothing" \
	    grep -q "0 added, 0 changed, 0 deleted, 3 up to date" <<<"$out"
	tst_check "$srv: serial unchanged by the second sync" test "$serial1" = "$serial2"

	# An admin's own name, and an environment record for it: never touched.
	dns_nsupdate <<<"update add admin-box.dev.corp. 300 IN A 10.9.9.9
update add admin-box._env.dev.corp. 300 IN TXT \"v=devgate1\" \"owner=root\" \"image=img:1\""
	# bob-dev's environment record goes away.
	dns_nsupdate <<<"update delete bob-dev._env.dev.corp. TXT"
	out=$("$DEVGATE" dns -f "$cfg" sync 2>&1)
	tst_check "$srv: sync after changes succeeds" test $? = 0
	tst_check "$srv: bob-dev deleted" test -z "$(dns_q bob-dev.dev.corp A)"
	tst_check "$srv: bob-dev's marker deleted" \
	    test -z "$(dns_q _devgate.bob-dev.dev.corp TXT)"
	tst_check "$srv: bob-dev's reservation released" test -z "$(dns_q \
	    "$(tr . - <<<"$a_bob")._addr.dev.corp" TXT)"
	tst_check "$srv: the change is printed" \
	    grep -q "^delete bob-dev.dev.corp\$" <<<"$out"
	tst_check "$srv: admin-box left alone (reported)" \
	    grep -q "^left alone: admin-box.dev.corp has records devgate did not write" <<<"$out"
	tst_check "$srv: admin-box still 10.9.9.9" test "$(dns_q admin-box.dev.corp A)" = 10.9.9.9
	tst_check "$srv: no marker on admin-box" \
	    test -z "$(dns_q _devgate.admin-box.dev.corp TXT)"
	tst_check "$srv: alice-gpu kept its address" test "$(dns_q alice-gpu.dev.corp A)" = "$a_alice"

	# Without a pool: CNAMEs to the gateway, addresses released.
	out=$("$DEVGATE" dns -f "$cname" sync 2>&1)
	tst_check "$srv: CNAME sync succeeds" test $? = 0
	tst_check "$srv: alice-gpu is a CNAME to the gateway" \
	    test "$(dns_q alice-gpu.dev.corp CNAME)" = gw.dev.corp.
	tst_check "$srv: alice-gpu has no A any more" \
	    test -z "$(dig +short @127.0.0.1 -p "$DNS_PORT" alice-gpu.dev.corp A | grep -v '\.$')"
	tst_check "$srv: alice-gpu's reservation released" test -z "$(dns_q \
	    "$(tr . - <<<"$a_alice")._addr.dev.corp" TXT)"
	tst_check "$srv: no reservations left" \
	    test "$(dns_axfr | grep -c '_addr\.dev\.corp\.')" = 0
	dns_stop
}

for srv in bind knot pdns; do
	if dns_have "$srv"; then
		run_server "$srv"
	else
		tst_log "--- $srv: not installed, skipped"
	fi
done
[ "$TST_CHECKS" -gt 0 ] || tst_skip "no DNS server installed"
tst_done
