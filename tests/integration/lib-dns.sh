# lib-dns.sh: DNS servers for integration tests (sourced after lib.sh):
# BIND 9, Knot and PowerDNS serving dev.corp on a free loopback port,
# updates and transfers allowed only with one TSIG key (hmac-sha256), each
# in its own directory, run as nobody when root, stopped by PID. Configs as
# in shared/docs/dns-test-servers.md.

DNS_KEY=ddns-key
DNS_SECRET=3QLa8ImW1px72YsrBDNy2Qn8dyVhsGIU4yFd12V615g=
DNS_BAD_SECRET=Mvuoul+ZxtgVY+U1AY4G95FsWBKdK5kBU3TisRAPI+w=
DNS_ZONE=dev.corp
# The key that may update (set to update-only before starting a server to
# leave ddns-key allowed to transfer but not to update).
DNS_UPDATE_KEY=ddns-key

# The zone a server starts with (override DNS_ZONE_FILE to use another).
dns_default_zone() {
	printf '%s\n' '$ORIGIN dev.corp.' '$TTL 300' \
	    '@    IN SOA ns1.dev.corp. hostmaster.dev.corp. ( 1 3600 600 86400 60 )' \
	    '@    IN NS  ns1.dev.corp.' 'ns1  IN A   127.0.0.1' \
	    '@    IN A   127.0.0.1'
}

# dns_write_key FILE [SECRET] [ALG]: a BIND key file for devgate.
dns_write_key() {
	printf 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n' \
	    "$DNS_KEY" "${3:-hmac-sha256}" "${2:-$DNS_SECRET}" > "$1"
	chmod 600 "$1"
}

# A port free for both TCP and UDP on 127.0.0.1.
dns_free_port() {
	local p
	while :; do
		p=$(tst_free_port)
		if [ -z "$(ss -Hlun "sport = :$p" 2>/dev/null)" ] &&
		    [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return
		fi
	done
}

dns_soa_ready() {
	dig +short +tries=1 +time=1 @127.0.0.1 -p "$1" "$DNS_ZONE" SOA 2>/dev/null |
	    grep -q .
}

# Run a server command as nobody (when root) in the background; sets
# DNS_PID and tracks it.
dns_spawn() {
	local log=$1
	shift
	if [ "$(id -u)" = 0 ]; then
		chmod o+x "$TST_DIR"
		chown -R nobody:nogroup "$DNS_DIR"
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		    "$@" >>"$log" 2>&1 &
	else
		"$@" >>"$log" 2>&1 &
	fi
	DNS_PID=$!
	tst_track_pid "$DNS_PID"
}

# dns_start_bind PORT [DIR]: start named; DIR reuses a previous state.
dns_start_bind() {
	DNS_PORT=$1
	DNS_DIR=${2:-}
	DNS_SERVER=bind
	if [ -z "$DNS_DIR" ]; then
		DNS_DIR=$(mktemp -d "$TST_DIR/bind.XXXXXX")
		if [ -n "${DNS_ZONE_FILE:-}" ]; then
			cp "$DNS_ZONE_FILE" "$DNS_DIR/dev.corp.zone"
		else
			dns_default_zone > "$DNS_DIR/dev.corp.zone"
		fi
		cat > "$DNS_DIR/named.conf" <<EOF2
options {
    directory "$DNS_DIR";
    pid-file "$DNS_DIR/named.pid";
    session-keyfile "$DNS_DIR/session.key";
    listen-on port $DNS_PORT { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
};
controls { };
key "$DNS_KEY" { algorithm hmac-sha256; secret "$DNS_SECRET"; };
key "update-only" { algorithm hmac-sha256; secret "$DNS_BAD_SECRET"; };
zone "$DNS_ZONE" {
    type primary;
    file "dev.corp.zone";
    update-policy { grant $DNS_UPDATE_KEY zonesub ANY; };
    allow-transfer { key $DNS_KEY; };
};
EOF2
	fi
	dns_spawn "$DNS_DIR/named.log" named -g -c "$DNS_DIR/named.conf"
	tst_wait_for 20 dns_soa_ready "$DNS_PORT"
}

dns_start_knot() {
	DNS_PORT=$1
	DNS_DIR=${2:-}
	DNS_SERVER=knot
	if [ -z "$DNS_DIR" ]; then
		DNS_DIR=$(mktemp -d "$TST_DIR/knot.XXXXXX")
		if [ -n "${DNS_ZONE_FILE:-}" ]; then
			cp "$DNS_ZONE_FILE" "$DNS_DIR/dev.corp.zone"
		else
			dns_default_zone > "$DNS_DIR/dev.corp.zone"
		fi
		cat > "$DNS_DIR/knot.conf" <<EOF2
server:
    rundir: "$DNS_DIR"
    listen: 127.0.0.1@$DNS_PORT
log:
  - target: stderr
    any: info
database:
    storage: "$DNS_DIR"
key:
  - id: $DNS_KEY
    algorithm: hmac-sha256
    secret: $DNS_SECRET
  - id: update-only
    algorithm: hmac-sha256
    secret: $DNS_BAD_SECRET
acl:
  - id: xfr
    key: $DNS_KEY
    action: [transfer]
  - id: ddns
    key: $DNS_UPDATE_KEY
    action: [update]
zone:
  - domain: $DNS_ZONE
    storage: "$DNS_DIR"
    file: "dev.corp.zone"
    acl: [xfr, ddns]
EOF2
	fi
	dns_spawn "$DNS_DIR/knotd.log" knotd -c "$DNS_DIR/knot.conf"
	tst_wait_for 20 dns_soa_ready "$DNS_PORT"
}

dns_start_pdns() {
	local u
	DNS_PORT=$1
	DNS_DIR=${2:-}
	DNS_SERVER=pdns
	if [ -z "$DNS_DIR" ]; then
		DNS_DIR=$(mktemp -d "$TST_DIR/pdns.XXXXXX")
		if [ -n "${DNS_ZONE_FILE:-}" ]; then
			cp "$DNS_ZONE_FILE" "$DNS_DIR/dev.corp.zone"
		else
			dns_default_zone > "$DNS_DIR/dev.corp.zone"
		fi
		cat > "$DNS_DIR/pdns.conf" <<EOF2
launch=gsqlite3
gsqlite3-database=$DNS_DIR/pdns.sqlite3
local-address=127.0.0.1
local-port=$DNS_PORT
socket-dir=$DNS_DIR
daemon=no
guardian=no
disable-syslog=yes
write-pid=no
security-poll-suffix=
dnsupdate=yes
allow-dnsupdate-from=127.0.0.0/8
disable-axfr=no
allow-axfr-ips=
EOF2
		sqlite3 "$DNS_DIR/pdns.sqlite3" \
		    < /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql || return 1
		u="pdnsutil --config-dir=$DNS_DIR"
		{
			$u load-zone "$DNS_ZONE" "$DNS_DIR/dev.corp.zone" &&
			$u import-tsig-key "$DNS_KEY" hmac-sha256 "$DNS_SECRET" &&
			$u import-tsig-key update-only hmac-sha256 "$DNS_BAD_SECRET" &&
			$u set-meta "$DNS_ZONE" TSIG-ALLOW-DNSUPDATE "$DNS_UPDATE_KEY" &&
			$u set-meta "$DNS_ZONE" TSIG-ALLOW-AXFR "$DNS_KEY" &&
			$u set-meta "$DNS_ZONE" SOA-EDIT-DNSUPDATE INCREASE
		} >>"$DNS_DIR/pdnsutil.log" 2>&1 || return 1
	fi
	dns_spawn "$DNS_DIR/pdns.log" pdns_server --config-dir="$DNS_DIR"
	tst_wait_for 20 dns_soa_ready "$DNS_PORT"
}

# dns_start SERVER PORT [DIR]
dns_start() {
	case $1 in
	bind) dns_start_bind "$2" "${3:-}" ;;
	knot) dns_start_knot "$2" "${3:-}" ;;
	pdns) dns_start_pdns "$2" "${3:-}" ;;
	*) return 2 ;;
	esac
}

# Is the server's binary installed?
dns_have() {
	case $1 in
	bind) command -v named >/dev/null ;;
	knot) command -v knotd >/dev/null ;;
	pdns) command -v pdns_server >/dev/null && [ -r \
	    /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql ] ;;
	esac
}

dns_stop() {
	tst_stop_pid "$DNS_PID"
}

# dns_q NAME TYPE: the answer's data, sorted, one per line.
dns_q() {
	dig +short +tries=2 +time=2 @127.0.0.1 -p "$DNS_PORT" "$1" "$2" |
	    sort
}

# Signed transfer of the zone (dig's view, independent of devgate).
dns_axfr() {
	dig +noall +answer -y "hmac-sha256:$DNS_KEY:$DNS_SECRET" \
	    @127.0.0.1 -p "$DNS_PORT" "$DNS_ZONE" AXFR
}

# nsupdate with the key: commands on stdin (server and zone added).
dns_nsupdate() {
	{
		echo "server 127.0.0.1 $DNS_PORT"
		echo "zone $DNS_ZONE"
		cat
		echo send
	} | nsupdate -y "hmac-sha256:$DNS_KEY:$DNS_SECRET"
}

# dns_devgate_conf FILE KEYFILE STATEDIR [extra lines...]: a devgate
# config with the dns area pointing at the running server.
dns_devgate_conf() {
	local f=$1 key=$2 state=$3
	shift 3
	# The extra lines come first: the first value of a keyword wins.
	{
		for l in "$@"; do
			echo "$l"
		done
		echo "StateDirectory $TST_DIR/gw-state"
		echo "DNSZone $DNS_ZONE"
		echo "DNSUpdateServer 127.0.0.1:$DNS_PORT"
		echo "TSIGKeyFile $key"
		echo "DNSStateDirectory $state"
		echo "DNSTimeout 5"
	} > "$f"
}
