#!/bin/bash
# build.sh: configure and build devgate in build/ (extra arguments go to
# configure, e.g. --enable-sanitizers).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
   [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi >/dev/null
fi
mkdir -p build
cd build
if [ ! -f Makefile ] || [ "$#" -gt 0 ]; then
	../configure -q "$@"
fi
make -s -j"$(nproc)"
