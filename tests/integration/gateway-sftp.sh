#!/bin/bash
# gateway-sftp.sh: SFTP through devgate to the pod's sftp-server: 1 GiB up
# and down with equal sha256, 2,000 small files with put -r / get -r,
# rename/remove/mkdir/symlink/chmod, a missing file's error, scp (SFTP in
# OpenSSH 9), PuTTY's psftp, and an image without sftp-server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

gw_start_sim
gw_pod alice-dev alice
gw_user alice
gw_config
gw_start
gw_pod_ready alice-dev || tst_fail "pod alice-dev did not become ready"

out=$TST_DIR/out
err=$TST_DIR/err
# The pod's /tmp is its own directory under kubesim's state.
PODTMP=$SIM_DIR/pods/default/alice-dev/tmp
sftp_b() { gw_sftp alice+dev -b "$1" >"$out" 2>"$err"; }

# 1 GiB each way.
head -c $((1024 * 1024 * 1024)) /dev/urandom >"$TST_DIR/big"
want=$(sha256sum <"$TST_DIR/big" | cut -d' ' -f1)
printf 'put %s /tmp/big\n' "$TST_DIR/big" >"$TST_DIR/b1"
t0=$SECONDS
sftp_b "$TST_DIR/b1"
tst_check "put 1 GiB (exit 0)" test $? -eq 0
tst_log "put 1 GiB in $((SECONDS - t0)) s"
rm -f "$TST_DIR/big"
printf 'get /tmp/big %s\n' "$TST_DIR/big2" >"$TST_DIR/b2"
t0=$SECONDS
sftp_b "$TST_DIR/b2"
tst_check "get 1 GiB (exit 0)" test $? -eq 0
tst_log "get 1 GiB in $((SECONDS - t0)) s"
got=$(sha256sum <"$TST_DIR/big2" | cut -d' ' -f1)
tst_check "1 GiB up and down: same sha256" test "$got" = "$want"
rm -f "$TST_DIR/big2" "$PODTMP/big"
gw_ssh alice+dev gw 'rm -f /tmp/big'

# 2,000 small files.
mkdir -p "$TST_DIR/many/sub"
for i in $(seq 1 1000); do
	echo "file $i" >"$TST_DIR/many/f$i"
	echo "sub $i" >"$TST_DIR/many/sub/g$i"
done
(cd "$TST_DIR/many" && find . -type f -exec sha256sum {} + | sort) \
	>"$TST_DIR/many.sum"
printf 'put -r %s /tmp/many\nget -r /tmp/many %s/back\n' "$TST_DIR/many" \
	"$TST_DIR" >"$TST_DIR/b3"
t0=$SECONDS
sftp_b "$TST_DIR/b3"
tst_check "put -r and get -r of 2,000 files (exit 0)" test $? -eq 0
tst_log "2,000 files up and down in $((SECONDS - t0)) s"
(cd "$TST_DIR/back" && find . -type f -exec sha256sum {} + | sort) \
	>"$TST_DIR/back.sum" 2>/dev/null
tst_check "2,000 files came back identical" \
	cmp -s "$TST_DIR/many.sum" "$TST_DIR/back.sum"

# File operations.
echo data >"$TST_DIR/one"
cat >"$TST_DIR/b4" <<EOF
mkdir /tmp/ops
put $TST_DIR/one /tmp/ops/one
rename /tmp/ops/one /tmp/ops/two
symlink /tmp/ops/two /tmp/ops/link
chmod 600 /tmp/ops/two
mkdir /tmp/ops/gone
rmdir /tmp/ops/gone
put $TST_DIR/one /tmp/ops/three
rm /tmp/ops/three
EOF
sftp_b "$TST_DIR/b4"
tst_check "mkdir/rename/symlink/chmod/rmdir/rm (exit 0)" test $? -eq 0
got=$(gw_ssh alice+dev gw 'cd /tmp/ops && ls | tr "\n" " "; stat -c %a two;
	readlink link')
tst_check "the operations took effect ($got)" \
	test "$got" = "link two 600
/tmp/ops/two"

printf 'get /tmp/no-such-file %s/x\n' "$TST_DIR" >"$TST_DIR/b5"
sftp_b "$TST_DIR/b5"
rc=$?
tst_check "a missing file: sftp fails" test $rc -ne 0
tst_check "... saying so" grep -q 'not found\|No such file' "$err"

# scp uses SFTP in OpenSSH 9.
head -c 3000000 /dev/urandom >"$TST_DIR/scp-in"
timeout 60 scp -q -F "$GW_SSHCONF" -i "$GW_KEYS/alice" "$TST_DIR/scp-in" \
	alice+dev@gw:/tmp/scp-file && timeout 60 scp -q -F "$GW_SSHCONF" \
	-i "$GW_KEYS/alice" alice+dev@gw:/tmp/scp-file "$TST_DIR/scp-out"
tst_check "scp up and down" cmp -s "$TST_DIR/scp-in" "$TST_DIR/scp-out"
timeout 60 scp -q -F "$GW_SSHCONF" -i "$GW_KEYS/alice" \
	alice+dev@gw:/tmp/nothing-here "$TST_DIR/x" 2>"$err"
tst_check "scp of a missing file fails with a message" \
	grep -q 'No such file' "$err"

if command -v psftp >/dev/null && command -v puttygen >/dev/null; then
	puttygen "$GW_KEYS/alice" -O private -o "$GW_KEYS/alice.ppk" \
		>/dev/null 2>&1
	hk=$(ssh-keygen -lf "$TST_DIR/state/ssh_host_ed25519_key.pub" |
		awk '{print $2}')
	printf 'put %s /tmp/psftp-file\nget /tmp/psftp-file %s/psftp-out\n' \
		"$TST_DIR/scp-in" "$TST_DIR" >"$TST_DIR/b6"
	timeout 60 psftp -batch -P "$GW_PORT" -i "$GW_KEYS/alice.ppk" \
		-hostkey "$hk" -b "$TST_DIR/b6" alice+dev@127.0.0.1 \
		>"$out" 2>&1 </dev/null
	tst_check "psftp put and get" \
		cmp -s "$TST_DIR/scp-in" "$TST_DIR/psftp-out"
else
	tst_log "psftp not installed: skipped"
fi

# An image without sftp-server: a clear message naming the paths tried.
gw_pod alice-bare alice alice-bare '["sleep","infinity"]' devgate/no-sftp
if gw_pod_ready alice-bare && gw_ssh alice+bare gw \
	'test ! -x /usr/lib/openssh/sftp-server' 2>/dev/null; then
	printf 'ls /\n' >"$TST_DIR/b7"
	gw_sftp alice+bare -b "$TST_DIR/b7" >"$out" 2>"$err"
	tst_check "no sftp-server: sftp fails" test $? -ne 0
	tst_check "... naming the paths tried" \
		grep -q 'no sftp-server in this environment (tried' "$err"
else
	tst_log "kubesim has no image without sftp-server: skipped"
fi

tst_check "devgate logged no crash" gw_log_clean
tst_done
