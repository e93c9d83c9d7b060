#!/bin/bash
# gateway-resolve.sh: devgate resolves the names it connects to with
# c-ares on its loop, the hosts file first: the API server of the
# kubeconfig (streams and REST) and the key server of AuthorizedKeysURL.
# Both names are known only to a hosts file that c-ares reads through
# $CARES_HOSTS (neither /etc/hosts nor DNS knows them, so libcurl's or
# glibc's resolver would fail); TLS verifies the names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-gateway.sh"

command -v openssl >/dev/null 2>&1 || tst_skip "openssl is not installed"
for n in kubernetes keys.devgate.test; do
	getent hosts "$n" >/dev/null 2>&1 &&
		tst_skip "this machine resolves $n itself"
done

gw_start_sim
gw_pod kate-dev kate
printf '# only c-ares reads this\n127.0.0.1 kubernetes\n127.0.0.1 keys.devgate.test\n' \
	>"$TST_DIR/hosts"

# The key server, with a certificate for its name.
KS=$TST_DIR/keysrv
mkdir -p "$KS/www"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-days 2 -subj /CN=keys.devgate.test \
	-addext subjectAltName=DNS:keys.devgate.test \
	-keyout "$KS/key.pem" -out "$KS/cert.pem" >/dev/null 2>&1
ssh-keygen -q -t ed25519 -N '' -C kate@test -f "$GW_KEYS/kate"
cp "$GW_KEYS/kate.pub" "$KS/www/kate.keys"
$PY "$top_srcdir/tests/integration/auth-keyserver.py" "$KS/www" \
	"$KS/cert.pem" "$KS/key.pem" >"$KS/out" 2>"$KS/err" &
tst_track_pid $!
tst_wait_for 30 grep -q '^ready ' "$KS/out" || tst_fail "key server did not start"
KS_PORT=$(awk '/^ready /{print $2}' "$KS/out")

# The kubeconfig names the API server "kubernetes" (in kubesim's
# certificate).
sed -e "s#https://127.0.0.1:#https://kubernetes:#" "$SIM_DIR/kubeconfig" \
	>"$TST_DIR/kubeconfig-name"
gw_config "AuthorizedKeysURL https://keys.devgate.test:$KS_PORT/%u.keys" \
	"AuthorizedKeysURLCAFile $KS/cert.pem" "AuditLog $TST_DIR/audit.log"
sed -i "s#^Kubeconfig .*#Kubeconfig $TST_DIR/kubeconfig-name#" "$GW_CONF"
CARES_HOSTS=$TST_DIR/hosts gw_start
gw_pod_ready kate-dev || tst_fail "pod kate-dev did not become ready"

got=$(gw_ssh kate+dev gw 'echo via-names' </dev/null 2>"$TST_DIR/err")
tst_check "a key from the key server, a session through the API server, both by name" \
	test "$got" = via-names
tst_check "... the key server was asked" grep -q '/kate.keys' "$KS/www/requests.log"
tst_check "... and the key came from it (audit)" grep -q \
	"\"key_source\":\"https://keys.devgate.test:$KS_PORT/kate.keys:1\"" \
	"$TST_DIR/audit.log"
tst_check "no name failed to resolve" sh -c "! grep -qi 'cannot resolve' '$GW_LOG'"
tst_check "devgate logged no crash" gw_log_clean
tst_done
