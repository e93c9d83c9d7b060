#!/bin/bash
# dns-outage.sh: the persistent queue. The DNS server is down while the
# DNS controller (devgate dns run) learns of three environments: their
# names are queued on disk; the controller is killed (SIGKILL); the server
# comes back and a controller with no registry at all (so only the queue
# can tell) publishes every queued name. Then, with the controller
# running, the server goes away again while an environment is added and
# another removed; when it is back both changes land.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dns.sh"

command -v dig >/dev/null || tst_skip "dig is not installed"
[ -x "$DEVGATE" ] || tst_skip "no $DEVGATE"
dns_have bind || tst_skip "BIND is not installed"

PORT=$(dns_free_port)
dns_start_bind "$PORT" || { tst_fail "BIND did not start"; tst_done; }
BIND_DIR=$DNS_DIR
dns_stop
tst_check "the server is down" bash -c "! dns_soa_ready $PORT" 2>/dev/null ||
    true

dns_write_key "$TST_DIR/key"
cp "$top_srcdir/tests/data/dns/example.zone" "$TST_DIR/reg.zone"
common=("EnvironmentAddressPool 127.0.10.1-127.0.10.254"
    "DNSRetryMax 2" "DNSRefreshInterval 1" "DNSTimeout 1" "LogLevel VERBOSE")
dns_devgate_conf "$TST_DIR/file.conf" "$TST_DIR/key" "$TST_DIR/state" \
    "DNSRegistry file:$TST_DIR/reg.zone" "${common[@]}"
dns_devgate_conf "$TST_DIR/none.conf" "$TST_DIR/key" "$TST_DIR/state" \
    "DNSRegistry none" "${common[@]}"

queued() {
	"$DEVGATE" dns -f "$TST_DIR/file.conf" queue 2>/dev/null |
	    grep -q "^$1 queued\$"
}

"$DEVGATE" dns -f "$TST_DIR/file.conf" run > "$TST_DIR/run1.log" 2>&1 &
CTL=$!
tst_track_pid "$CTL"
tst_check "names are queued while the server is down" tst_wait_for 20 queued 3
tst_check "the failure is logged with the server" tst_wait_file_line 20 \
    "$TST_DIR/run1.log" "cannot read zone dev.corp from 127.0.0.1#$PORT"
kill -KILL "$CTL"
wait "$CTL" 2>/dev/null
tst_check "the queue survives the crash" queued 3
"$DEVGATE" dns -f "$TST_DIR/file.conf" queue > "$TST_DIR/queue.txt"
tst_check "the queue lists alice-gpu" grep -q "^alice-gpu pool-address\$" \
    "$TST_DIR/queue.txt"

dns_start_bind "$PORT" "$BIND_DIR" || tst_fail "BIND did not restart"
"$DEVGATE" dns -f "$TST_DIR/none.conf" run > "$TST_DIR/run2.log" 2>&1 &
CTL=$!
tst_track_pid "$CTL"
has_a() { dig +short @127.0.0.1 -p "$PORT" "$1" A | grep -q '^127\.0\.10\.'; }
tst_check "alice-gpu published from the queue" tst_wait_for 20 has_a alice-gpu.dev.corp
tst_check "bob-dev published from the queue" tst_wait_for 20 has_a bob-dev.dev.corp
tst_check "carol-r published from the queue" tst_wait_for 20 has_a carol-r.dev.corp
tst_check "the queue is empty afterwards" tst_wait_for 20 queued 0
A_ALICE=$(dns_q alice-gpu.dev.corp A)
tst_stop_pid "$CTL"

# Outage while running: add dave-x, remove bob-dev.
"$DEVGATE" dns -f "$TST_DIR/file.conf" run > "$TST_DIR/run3.log" 2>&1 &
CTL=$!
tst_track_pid "$CTL"
tst_check "the controller reconciles (nothing to do)" tst_wait_file_line 20 \
    "$TST_DIR/run3.log" "reconcile dev.corp: 3 environments, all up to date"
dns_stop
awk '$1 == "bob-dev._env" { skip = 1 } !skip { print } /\)/ { skip = 0 }' \
    "$top_srcdir/tests/data/dns/example.zone" > "$TST_DIR/reg.new"
echo 'dave-x._env IN TXT "v=devgate1" "owner=dave" "profile=cpu-small"' >> "$TST_DIR/reg.new"
mv "$TST_DIR/reg.new" "$TST_DIR/reg.zone"
lists() { "$DEVGATE" dns -f "$TST_DIR/file.conf" queue 2>/dev/null | grep -q "^$1\$"; }
tst_check "dave-x is queued during the outage" tst_wait_for 20 lists "dave-x pool-address"
tst_check "bob-dev's removal is queued during the outage" tst_wait_for 20 lists "bob-dev absent"
tst_check "the failure names the server" tst_wait_file_line 20 "$TST_DIR/run3.log" \
    "update to 127.0.0.1#$PORT for zone dev.corp failed .*connection refused"
tst_check "nothing changed meanwhile" test -z "$(dig +short +tries=1 +time=1 \
    @127.0.0.1 -p "$PORT" dave-x.dev.corp A 2>/dev/null | grep '^127')"
dns_start_bind "$PORT" "$BIND_DIR" || tst_fail "BIND did not restart"
tst_check "dave-x published after the outage" tst_wait_for 30 has_a dave-x.dev.corp
gone() { [ -z "$(dig +short @127.0.0.1 -p "$PORT" bob-dev.dev.corp A)" ]; }
tst_check "bob-dev deleted after the outage" tst_wait_for 30 gone
tst_check "alice-gpu kept its address through it all" \
    test "$(dns_q alice-gpu.dev.corp A)" = "$A_ALICE"
tst_check "the queue is empty again" tst_wait_for 20 queued 0
kill -TERM "$CTL"
wait "$CTL"
tst_check "the controller exits 0 on SIGTERM" test $? = 0
tst_done
