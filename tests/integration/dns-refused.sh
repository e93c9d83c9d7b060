#!/bin/bash
# dns-refused.sh: a wrong TSIG secret, an unknown key name, the wrong
# algorithm and a zone the server does not serve are refused by BIND, Knot
# and PowerDNS when devgate reads the zone (signed AXFR); a key that may
# transfer but not update is refused on the update itself. devgate dns sync
# fails (exit 1), names the server and the reason (BADSIG, BADKEY, REFUSED,
# NOTAUTH) and changes nothing. hmac-sha384 keys are refused before anything
# is sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dns.sh"

command -v dig >/dev/null || tst_skip "dig is not installed"
[ -x "$DEVGATE" ] || tst_skip "no $DEVGATE"

# expect SERVER DESC CONFIG REGEX: sync fails and stderr matches REGEX.
expect_refused() {
	local srv=$1 desc=$2 cfg=$3 re=$4 err rc

	err=$("$DEVGATE" dns -f "$cfg" sync 2>&1 >/dev/null)
	rc=$?
	tst_check "$srv: $desc: exit status 1" test "$rc" = 1
	if grep -qE -- "$re" <<<"$err"; then
		tst_log "ok - $srv: $desc: reported ($(grep -oE -- "$re" <<<"$err" | head -1))"
		TST_CHECKS=$((TST_CHECKS + 1))
	else
		tst_fail "$srv: $desc: stderr lacks /$re/: $err"
	fi
	tst_check "$srv: $desc: the server is named" \
	    grep -q "127.0.0.1#$DNS_PORT" <<<"$err"
	tst_check "$srv: $desc: nothing published" \
	    test -z "$(dns_q alice-gpu.dev.corp A)"
}

run_server() {
	local srv=$1 badsig badkey badalg nozone

	tst_log "--- $srv"
	DNS_ZONE_FILE=$top_srcdir/tests/data/dns/example.zone
	if ! dns_start "$srv" "$(dns_free_port)"; then
		tst_fail "$srv: server did not start"
		return
	fi
	dns_write_key "$TST_DIR/bad-secret.key" "$DNS_BAD_SECRET"
	DNS_KEY=other-key dns_write_key "$TST_DIR/other.key"
	dns_write_key "$TST_DIR/sha512.key" "$DNS_SECRET" hmac-sha512
	dns_write_key "$TST_DIR/good.key"
	# With the registry in a file, the key is used first for the update
	# (an AXFR registry would fail the same way one step earlier).
	dns_devgate_conf "$TST_DIR/c1" "$TST_DIR/bad-secret.key" "$TST_DIR/q" \
	    "DNSRegistry file:$DNS_ZONE_FILE"
	dns_devgate_conf "$TST_DIR/c2" "$TST_DIR/other.key" "$TST_DIR/q" \
	    "DNSRegistry file:$DNS_ZONE_FILE"
	dns_devgate_conf "$TST_DIR/c3" "$TST_DIR/sha512.key" "$TST_DIR/q" \
	    "DNSRegistry file:$DNS_ZONE_FILE"
	printf '%s\n' '$ORIGIN other.corp.' \
	    'e._env IN TXT "v=devgate1" "owner=a" "image=i"' > "$TST_DIR/other.zone"
	dns_devgate_conf "$TST_DIR/c4" "$TST_DIR/good.key" "$TST_DIR/q" \
	    "DNSZone other.corp" "DNSRegistry file:$TST_DIR/other.zone"
	case $srv in
	pdns)	# PowerDNS refuses such transfers with NOTAUTH, no TSIG
		badsig='NOTAUTH'; badkey='NOTAUTH'; badalg='NOTAUTH'
		nozone='NOTAUTH' ;;
	*)	badsig='NOTAUTH/BADSIG'; badkey='NOTAUTH/BADKEY'
		badalg='NOTAUTH/BADKEY'; nozone='NOTAUTH|REFUSED' ;;
	esac
	# The transfer that reads the zone comes first and is refused too.
	expect_refused "$srv" "wrong secret" "$TST_DIR/c1" "$badsig"
	expect_refused "$srv" "unknown key name" "$TST_DIR/c2" "$badkey"
	expect_refused "$srv" "wrong algorithm" "$TST_DIR/c3" "$badalg"
	expect_refused "$srv" "zone not served" "$TST_DIR/c4" "$nozone"
	dns_stop

	# The key may read the zone but not change it: the update is refused.
	DNS_UPDATE_KEY=update-only
	if ! dns_start "$srv" "$(dns_free_port)"; then
		tst_fail "$srv: server did not start"
		DNS_UPDATE_KEY=ddns-key
		return
	fi
	DNS_UPDATE_KEY=ddns-key
	dns_devgate_conf "$TST_DIR/c5" "$TST_DIR/good.key" "$TST_DIR/q" \
	    "EnvironmentAddressPool 127.0.10.0/24"
	expect_refused "$srv" "update not allowed" "$TST_DIR/c5" \
	    'update to .* failed .*(REFUSED|NOTAUTH)'
	dns_stop
}

# Refused at configuration time: ldns cannot sign hmac-sha384.
dns_write_key "$TST_DIR/sha384.key" "$DNS_SECRET" hmac-sha384
DNS_PORT=1
dns_devgate_conf "$TST_DIR/c384" "$TST_DIR/sha384.key" "$TST_DIR/q"
err=$("$DEVGATE" -t -f "$TST_DIR/c384" 2>&1)
tst_check "hmac-sha384: devgate -t fails" test $? != 0
tst_check "hmac-sha384: the reason is given" \
    grep -q "hmac-sha384 cannot be used: ldns" <<<"$err"

for srv in bind knot pdns; do
	if dns_have "$srv"; then
		run_server "$srv"
	else
		tst_log "--- $srv: not installed, skipped"
	fi
done
tst_done
