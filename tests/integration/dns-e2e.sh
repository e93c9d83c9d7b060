#!/bin/bash
# dns-e2e.sh: end to end, as a developer sees it. Inside a network
# namespace whose resolv.conf points at BIND on port 53 (serving a zone
# file with a profile and an environment), the devgate daemon (with
# kubesim as the Kubernetes API) finds the zone's primary from the SOA
# MNAME, publishes alice-gpu.dev.corp with an address from a 127.x pool,
# and the real `ssh alice@alice-gpu.dev.corp` (no user+env, no ProxyJump,
# default port 22) lands in alice's environment, routed by the dialled
# address. An environment added to the zone later gets its name too.
# Needs root (ip netns); the namespace and /etc/netns/NAME are removed at
# the end.
if [ -z "${DG_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "dns-e2e: SKIP: needs root (ip netns)"; exit 77; }
	command -v ip >/dev/null || { echo "dns-e2e: SKIP: no ip"; exit 77; }
	command -v named >/dev/null || { echo "dns-e2e: SKIP: no BIND"; exit 77; }
	NS=dg-dns-$$
	cleanup() {
		ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns delete "$NS" 2>/dev/null
		rm -rf "/etc/netns/$NS"
	}
	trap cleanup EXIT
	ip netns add "$NS" || { echo "dns-e2e: SKIP: ip netns add failed"; exit 77; }
	mkdir -p "/etc/netns/$NS"
	echo 'nameserver 127.0.0.1' > "/etc/netns/$NS/resolv.conf"
	ip netns exec "$NS" ip link set lo up
	ip netns exec "$NS" sysctl -q -w net.ipv4.ip_unprivileged_port_start=0
	DG_IN_NETNS=$NS ip netns exec "$NS" bash "$0"
	exit $?
fi

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"
. "$(dirname "$0")/lib-dns.sh"
command -v getent >/dev/null || tst_skip "no getent"

tst_check "resolv.conf of the namespace" grep -q '^nameserver 127.0.0.1$' \
    /etc/resolv.conf
DNS_ZONE_FILE=$top_srcdir/tests/data/dns/example.zone
dns_start_bind 53 || { cat "$DNS_DIR/named.log"; tst_fail "BIND on :53"; tst_done; }
tst_check "the system resolver asks BIND" tst_wait_for 10 getent hosts ns1.dev.corp

gw_start_sim
gw_pod alice-gpu alice
gw_pod bob-dev bob
gw_user alice
gw_user bob
dns_write_key "$TST_DIR/tsig.key"
# No DNSUpdateServer: the primary is the SOA's MNAME (ns1.dev.corp).
gw_config "ListenAddress 0.0.0.0:22" \
    "DNSZone dev.corp" "TSIGKeyFile $TST_DIR/tsig.key" "DNSRegistry axfr" \
    "EnvironmentAddressPool 127.0.10.1-127.0.10.254" \
    "DNSStateDirectory $TST_DIR/dnsq" "DNSRefreshInterval 2" \
    "DNSSyncInterval 30"
gw_start
for p in alice-gpu bob-dev; do
	gw_pod_ready "$p" || tst_fail "pod $p did not become ready"
done

addr_of() { getent hosts "$1" | awk '{ print $1 }'; }
tst_check "alice-gpu.dev.corp is published" tst_wait_for 30 \
    bash -c "getent hosts alice-gpu.dev.corp | grep -q '^127\.0\.10\.'"
A=$(addr_of alice-gpu.dev.corp)
tst_log "alice-gpu.dev.corp is $A"
tst_check "devgate found the primary from the SOA" grep -q \
    "primary server 127.0.0.1#53" "$GW_LOG"

dssh() {
	local u=$1
	shift
	timeout 60 ssh -i "$GW_KEYS/$u" -o IdentitiesOnly=yes -o BatchMode=yes \
	    -o StrictHostKeyChecking=no -o "UserKnownHostsFile=$TST_DIR/kh" \
	    -o ConnectTimeout=20 -o LogLevel=ERROR "$@"
}
lands() {
	[ "$(dssh "$1" "$1@$2" 'echo $DEVGATE_ENVIRONMENT' 2>/dev/null)" = "$3" ]
}
tst_check "ssh alice@alice-gpu.dev.corp lands in alice-gpu" \
    tst_wait_for 30 lands alice alice-gpu.dev.corp alice-gpu
dssh alice -v alice@alice-gpu.dev.corp true 2>"$TST_DIR/ssh-v.txt"
tst_check "ssh connected to the pool address on port 22" grep -q \
    "Connecting to alice-gpu.dev.corp \[$A\] port 22" "$TST_DIR/ssh-v.txt"
tst_check "routed by the dialled address" grep -q "routed by address" "$GW_LOG"
got=$(dssh alice "alice@alice-gpu.dev.corp" 'echo $SSH_CONNECTION' | awk '{ print $3 }')
tst_check "the session saw the dialled address ($got)" test "$got" = "$A"

# bob-dev is in the zone too (member alice): it got a name as well.
tst_check "bob-dev.dev.corp is published" tst_wait_for 30 \
    bash -c "getent hosts bob-dev.dev.corp | grep -q '^127\.0\.10\.'"
tst_check "ssh bob@bob-dev.dev.corp lands in bob-dev" \
    tst_wait_for 30 lands bob bob-dev.dev.corp bob-dev
# A new environment written into the zone while devgate runs.
gw_pod carol-new alice
dns_nsupdate <<<'update add carol-new._env.dev.corp. 300 IN TXT "v=devgate1" "owner=alice" "profile=cpu-small"'
tst_check "a new environment gets its name" tst_wait_for 30 \
    bash -c "getent hosts carol-new.dev.corp | grep -q '^127\.0\.10\.'"
gw_pod_ready carol-new || tst_fail "pod carol-new did not become ready"
# At once, on every worker: one that has not read the zone since asks
# again before routing (an address of the pool it does not know yet).
n=0
for i in 1 2 3 4 5 6; do
	lands alice carol-new.dev.corp carol-new && n=$((n + 1))
done
tst_check "and ssh alice@carol-new.dev.corp lands there at once ($n/6)" \
    test "$n" = 6
tst_check "three distinct addresses" test "$( (addr_of alice-gpu.dev.corp;
    addr_of bob-dev.dev.corp; addr_of carol-new.dev.corp) | sort -u | wc -l)" = 3
tst_check "the daemon log is clean" gw_log_clean
tst_done
