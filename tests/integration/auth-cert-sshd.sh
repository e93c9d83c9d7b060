#!/bin/bash
# auth-cert-sshd.sh: OpenSSH user certificates made with ssh-keygen -s,
# each presented by the real ssh client to a real sshd (TrustedUserCAKeys,
# RevokedKeys KRL) and to devgate with the same settings: the verdicts
# must match each other and the expected one, and devgate's audit log has
# the reason of every refusal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || tst_skip "sshd is not installed"
[ "$(id -u)" = 0 ] || tst_skip "sshd needs root to authenticate users"
# sshd insists on its privilege separation directory.
[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd || tst_skip "no /run/sshd"

AUDIT=$TST_DIR/audit.log
C=$TST_DIR/certs
mkdir -p "$C"
kg() { ssh-keygen -q -t "$1" -b "$2" -N '' -C "$3" -f "$C/$3"; }
kg ed25519 256 ca
kg rsa 2048 ca_rsa
kg ed25519 256 other
kg ed25519 256 u
kg ecdsa 256 u_ec
cat "$C/ca.pub" "$C/ca_rsa.pub" >"$C/trusted"

# cert NAME KEY SIGNER ssh-keygen-options...: $C/NAME and $C/NAME-cert.pub
cert() {
	local name=$1 key=$2 ca=$3
	shift 3
	cp "$C/$key" "$C/$name" && cp "$C/$key.pub" "$C/$name.pub" &&
		ssh-keygen -q -s "$C/$ca" "$@" "$C/$name.pub"
}
P="-n root,alice"
cert valid u ca -I valid -z 1 $P -V -5m:+1h
cert valid_ec u_ec ca_rsa -I valid-ec -z 2 $P
cert expired u ca -I expired -z 3 $P -V 20200101:20200102
cert notyet u ca -I notyet -z 4 $P -V +1d:+2d
cert wrongprinc u ca -I wrongprinc -z 5 -n bob
cert wrongca u other -I wrongca -z 6 $P
cert revoked u ca -I revoked -z 42 $P
cert host u ca -I host -z 7 -h $P
cert forced u ca -I forced -z 8 $P -O force-command="echo FORCED"
cert srcbad u ca -I srcbad -z 9 $P -O source-address=10.0.0.0/8
cert srcok u ca -I srcok -z 10 $P -O source-address=127.0.0.0/8,::1
cert critical u ca -I critical -z 11 $P -O critical:frobnicate=yes
cert sha1 u ca_rsa -I sha1 -z 12 $P -t ssh-rsa
cert noprinc u ca -I noprinc -z 13
cert nopty u ca -I nopty -z 14 $P -O no-pty
printf 'serial: 42\n' >"$C/krl.spec"
ssh-keygen -q -k -f "$C/revoked.krl" -s "$C/ca.pub" "$C/krl.spec"

# sshd on a free loopback port.
SSHD_PORT=$(tst_free_port)
ssh-keygen -q -t ed25519 -N '' -f "$TST_DIR/sshd_host"
cat >"$TST_DIR/sshd_config" <<EOF2
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $TST_DIR/sshd_host
PidFile $TST_DIR/sshd.pid
AuthorizedKeysFile none
TrustedUserCAKeys $C/trusted
RevokedKeys $C/revoked.krl
PermitRootLogin yes
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel VERBOSE
EOF2
"$SSHD" -D -e -f "$TST_DIR/sshd_config" 2>"$TST_DIR/sshd.log" &
tst_track_pid $!
sshd_up() { (exec 3<>"/dev/tcp/127.0.0.1/$SSHD_PORT") 2>/dev/null; }
tst_wait_for 20 sshd_up || { cat "$TST_DIR/sshd.log"; tst_fail "sshd"; tst_done; }

gw_start_sim
gw_pod alice-dev alice
# Every refused certificate is a failed login from 127.0.0.1: without
# this, PerSourcePenalties would soon refuse the address itself.
gw_config "TrustedUserCAKeys $C/trusted" "RevokedKeys $C/revoked.krl" \
	"AuditLog $AUDIT" "PerSourcePenalties no"
gw_start
gw_pod_ready alice-dev || tst_fail "pod alice-dev did not become ready"

SSHOPTS="-F /dev/null -o StrictHostKeyChecking=no -o BatchMode=yes
	-o UserKnownHostsFile=$TST_DIR/known_hosts2 -o IdentitiesOnly=yes
	-o LogLevel=ERROR -o ConnectTimeout=20"

# via_sshd NAME CMD / via_devgate NAME CMD: stdout, status in $rc.
via_sshd() {
	timeout 60 ssh $SSHOPTS -p "$SSHD_PORT" -i "$C/$1" \
		-o CertificateFile="$C/$1-cert.pub" root@127.0.0.1 "$2" \
		</dev/null 2>/dev/null
}
via_devgate() {
	timeout 60 ssh $SSHOPTS -p "$GW_PORT" -i "$C/$1" \
		-o CertificateFile="$C/$1-cert.pub" alice+dev@127.0.0.1 "$2" \
		</dev/null 2>/dev/null
}

# (No grep -q at the end of a pipe: with pipefail, the first grep could
# die of SIGPIPE and fail the check.)
audit_has() {
	grep -F -- "$1" "$AUDIT" | grep '"decision":"refuse"' >/dev/null
}

# name expected(accept|refuse) audit-reason-part (the ssh client does not
# offer a host certificate for user authentication: devgate and sshd see
# the plain key, which neither knows)
cases="valid accept -
valid_ec accept -
expired refuse certificate expired
notyet refuse not yet valid
wrongprinc refuse do not include alice
wrongca refuse not trusted
revoked refuse revoked
host refuse key not found
forced accept -
srcbad refuse source-address
srcok accept -
critical refuse frobnicate
sha1 refuse CASignatureAlgorithms
noprinc refuse lacks a principal list
nopty accept -"

while read -r name want reason; do
	s_out=$(via_sshd "$name" 'echo OK')
	s=$([ -n "$s_out" ] && echo accept || echo refuse)
	d_out=$(via_devgate "$name" 'echo OK')
	d=$([ -n "$d_out" ] && echo accept || echo refuse)
	tst_check "$name: sshd $s, devgate $d, expected $want" \
		test "$s" = "$want" -a "$d" = "$want"
	if [ "$want" = accept ]; then
		tst_check "$name: same output ($s_out / $d_out)" \
			test "$s_out" = "$d_out"
	else
		tst_check "$name: audit says why ($reason)" audit_has "$reason"
	fi
done <<<"$cases"

# The certificate's forced command ran instead of the requested one.
out=$(via_devgate forced 'echo REQUESTED')
tst_check "force-command honoured by devgate ($out)" test "$out" = FORCED
out=$(via_sshd forced 'echo REQUESTED')
tst_check "force-command honoured by sshd ($out)" test "$out" = FORCED
tst_check "audit: accepted certificate with id, serial and CA" grep -q \
	'"cert_id":"valid","cert_serial":1,"ca_fingerprint":"SHA256:' "$AUDIT"
tst_check "devgate log clean" gw_log_clean
tst_done
