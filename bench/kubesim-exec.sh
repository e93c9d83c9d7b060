#!/bin/bash
# kubesim-exec.sh: throughput of `kubectl exec -i POD -- cat` through kubesim (1 GiB, several runs, median),
# with CPU-seconds of kubesim and of kubectl measured separately. Run by hand: bash bench/kubesim-exec.sh [RUNS] [MiB]
# Also measures one-way transfers (upload: cat >/dev/null in the pod; download: head -c N /dev/zero in the pod).
# PLAIN=1 runs the same through kubesim's benchmark-only plain-HTTP listener (--plain-listen) to show the TLS cost.
RUNS=${1:-3}
MIB=${2:-1024}
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/integration/lib-kubesim.sh"
ks_need kubectl
if [ "${PLAIN:-0}" = 1 ]; then
  ks_start --plain-listen "127.0.0.1:$(ks_free_port)"
  export KUBECONFIG="$KS_DIR/state/kubeconfig-plain"
else
  ks_start
fi
k run bench --image=debian:12 >/dev/null && k wait --for=condition=Ready pod/bench --timeout=30s >/dev/null || exit 1
IN="$KS_DIR/in.bin"
head -c "${MIB}M" /dev/zero >"$IN"
ticks() { awk '{print $14+$15}' "/proc/$KS_PID/stat"; }
HZ=$(getconf CLK_TCK)

run_mode() {  # mode -> prints "MB/s kubesim-cpu-s kubectl-cpu-s"
  local a b t
  a=$(ticks)
  case $1 in
    roundtrip) /usr/bin/time -o "$KS_DIR/t" -f '%e %U %S' kubectl exec -i bench -- cat <"$IN" >/dev/null ;;
    upload)    /usr/bin/time -o "$KS_DIR/t" -f '%e %U %S' kubectl exec -i bench -- sh -c 'cat >/dev/null' <"$IN" ;;
    download)  /usr/bin/time -o "$KS_DIR/t" -f '%e %U %S' kubectl exec bench -- head -c "${MIB}M" /dev/zero >/dev/null ;;
  esac
  b=$(ticks)
  read -r wall u s <"$KS_DIR/t"
  awk -v m="$MIB" -v w="$wall" -v kt="$((b - a))" -v hz="$HZ" -v u="$u" -v s="$s" \
    'BEGIN { printf "%.1f %.2f %.2f\n", m*1048576/1e6/w, kt/hz, u+s }'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "kubesim exec benchmark ($([ "${PLAIN:-0}" = 1 ] && echo plain HTTP || echo HTTPS)): ${MIB} MiB, $RUNS runs per mode, $(nproc) CPUs, kubectl $(kubectl version --client 2>/dev/null | head -1 | awk '{print $3}')"
for mode in roundtrip upload download; do
  : >"$KS_DIR/res"
  for i in $(seq "$RUNS"); do
    r=$(run_mode $mode)
    echo "  $mode run $i: $r (MB/s, kubesim CPU s, kubectl CPU s)"
    echo "$r" >>"$KS_DIR/res"
  done
  printf '%-9s median: %s MB/s, kubesim %s CPU-s, kubectl %s CPU-s\n' "$mode" \
    "$(cut -d' ' -f1 "$KS_DIR/res" | median)" "$(cut -d' ' -f2 "$KS_DIR/res" | median)" "$(cut -d' ' -f3 "$KS_DIR/res" | median)"
done
rm -f "$IN"
ks_stop >/dev/null
