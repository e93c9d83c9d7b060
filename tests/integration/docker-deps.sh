#!/bin/bash
# docker-deps.sh: the devgate image's runtime stage installs a Debian
# package for every shared library the built devgate binary needs, and the
# environment base image provides what devgate runs inside a pod. (No
# Docker engine is needed: the check reads the Dockerfiles.)
. "$(dirname "$0")/lib.sh"
DF="$top_srcdir/docker/devgate.Dockerfile"
[ -x "$DEVGATE" ] || tst_skip "devgate not built"

pkgs=$(sed -n '/RUNTIME-PACKAGES-BEGIN/,/RUNTIME-PACKAGES-END/p' "$DF" |
	tr ' \\' '\n\n' | grep -E '^lib|^ca-certificates$' | sort -u)
tst_check "runtime stage lists packages" test -n "$pkgs"
# The listed packages and everything they depend on (Depends, PreDepends).
closure=$(apt-cache depends --recurse --important $pkgs 2>/dev/null |
	sed -n 's/^ *\(Pre\)\{0,1\}Depends: <\{0,1\}\([^>]*\)>\{0,1\}$/\2/p; /^[a-z0-9]/p' | sort -u)
missing=0
# A --enable-sanitizers build links the sanitizer runtimes (and libstdc++
# for them); the image is built without.
san=
tst_sanitized && san=1 && tst_log "sanitizer build"
for lib in $(ldd "$DEVGATE" | awk '/=>/ { print $3 }'); do
	owner=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null)
	owner=${owner%%:*}
	case "$owner" in
	libc6|libgcc-s1) continue ;;  # in every Debian base image
	libasan*|libubsan*|libstdc++6) [ -n "$san" ] && continue ;;
	"") tst_log "no Debian package owns $lib"; missing=$((missing + 1)); continue ;;
	esac
	if ! grep -qxF "$owner" <<<"$closure"; then
		tst_log "no runtime package provides $lib ($owner)"
		missing=$((missing + 1))
	fi
done
tst_check "every shared library of devgate comes from a listed package" test "$missing" = 0
unknown=0
for p in $pkgs; do
	apt-cache show "$p" >/dev/null 2>&1 || { tst_log "unknown package $p"; unknown=1; }
done
tst_check "every listed runtime package exists in Debian" test "$unknown" = 0
E="$top_srcdir/docker/env-base.Dockerfile"
for p in openssh-sftp-server procps bash; do
	tst_check "environment base installs $p" grep -q "$p" "$E"
done
tst_done
