#!/bin/bash
# deps.sh: install missing Debian 12 packages for a role: "build" (compile and
# run devgate) or "test" (also every peer the tests start). Idempotent.
set -euo pipefail

BUILD_PKGS="build-essential autoconf automake libtool pkg-config
	libssh-dev libc-ares-dev libldns-dev libcurl4-openssl-dev libcjson-dev
	libpam0g-dev libssl-dev libyaml-dev openssh-client openssl python3-aiohttp
	python3-yaml python3-cryptography openssh-sftp-server util-linux procps"
TEST_PKGS="$BUILD_PKGS libcmocka-dev clang libclang-rt-14-dev
	openssh-server openssh-sftp-server putty-tools
	bind9 bind9-dnsutils knot knot-dnsutils ldnsutils
	pdns-server pdns-backend-sqlite3 sqlite3
	libpam-wrapper libpam-oath oathtool libnss-wrapper
	tmux iproute2 psmisc socat netcat-openbsd faketime hyperfine
	python3-paramiko"

role=${1:-build}
case "$role" in
build) pkgs=$BUILD_PKGS ;;
test) pkgs=$TEST_PKGS ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=()
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
SUDO=
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Keep packaged daemons from starting on hosts with an init system.
if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" = 0 ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
