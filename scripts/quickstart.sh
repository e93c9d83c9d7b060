#!/bin/bash
# quickstart.sh: one command on a fresh Debian 12 machine: install what is
# missing, build, start the Kubernetes stand-in (tests/kubesim) with a demo
# environment, start devgate on loopback with its embedded default
# configuration, create a demo key, print the ssh and sftp commands to try.
# Ctrl-C stops everything it started.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

STATE=${XDG_STATE_HOME:-$HOME/.local/state}/devgate
# The embedded default reads ~/.local/state/devgate: keep the two equal.
if [ "$STATE" != "$HOME/.local/state/devgate" ]; then
	STATE=$HOME/.local/state/devgate
fi
SIM=$STATE/kubesim
DEMO_USER=demo
DEMO_ENV=demo-dev
PY=/usr/bin/python3
pids=()

say() { printf '\033[1m%s\033[0m\n' "$*"; }

stop_all() {
	local i
	trap - INT TERM EXIT
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[$i]}" 2>/dev/null || true
	done
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		wait "${pids[$i]}" 2>/dev/null || true
	done
	say "stopped devgate and the Kubernetes stand-in"
}

say "1/5 installing what is missing (scripts/deps.sh build)"
bash scripts/deps.sh build
say "2/5 building (scripts/build.sh)"
bash scripts/build.sh
DEVGATE=$top/build/gateway/devgate

mkdir -p "$STATE/authorized_keys" "$SIM"
chmod 700 "$STATE"
trap 'exit 130' INT TERM
trap stop_all EXIT

say "3/5 starting the Kubernetes stand-in (tests/kubesim)"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rm -f "$SIM/stdout"
"$top/tests/kubesim/kubesim" --listen "127.0.0.1:$port" --dir "$SIM" \
	>"$SIM/stdout" 2>"$SIM/stderr" &
pids+=($!)
for _ in $(seq 1 300); do
	grep -qx ready "$SIM/stdout" 2>/dev/null && break
	kill -0 "${pids[0]}" 2>/dev/null || { cat "$SIM/stderr"; exit 1; }
	sleep 0.1
done
grep -qx ready "$SIM/stdout" || { echo "kubesim did not start"; exit 1; }

# The demo environment: a pod labelled for devgate, created through the
# API with the kubeconfig kubesim wrote (no kubectl needed).
$PY - "$SIM/kubeconfig" "$DEMO_ENV" "$DEMO_USER" <<'EOF'
import json, ssl, sys, time, urllib.request, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
cluster = cfg["clusters"][0]["cluster"]
token = cfg["users"][0]["user"]["token"]
ctx = ssl.create_default_context()
if "certificate-authority" in cluster:
    ctx.load_verify_locations(cluster["certificate-authority"])
else:
    import base64
    ctx.load_verify_locations(cadata=base64.b64decode(
        cluster["certificate-authority-data"]).decode())
env, owner = sys.argv[2], sys.argv[3]
pod = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": env, "labels": {"devgate.dev/env": env,
                                            "devgate.dev/owner": owner}},
       "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                "containers": [{"name": "main", "image": "debian:12",
                                "command": ["sleep", "infinity"]}]}}
base = cluster["server"] + "/api/v1/namespaces/default/pods"
hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
req = urllib.request.Request(base, json.dumps(pod).encode(), hdr, method="POST")
try:
    urllib.request.urlopen(req, context=ctx)
except urllib.error.HTTPError as e:
    if e.code != 409:
        raise
for _ in range(300):
    r = urllib.request.Request(base + "/" + env, headers=hdr)
    p = json.load(urllib.request.urlopen(r, context=ctx))
    if p.get("status", {}).get("phase") == "Running":
        sys.exit(0)
    time.sleep(0.1)
sys.exit("the demo pod did not start")
EOF

say "4/5 creating the demo key ($STATE/demo_ed25519)"
if [ ! -f "$STATE/demo_ed25519" ]; then
	ssh-keygen -q -t ed25519 -N '' -C "$DEMO_USER@devgate-quickstart" \
		-f "$STATE/demo_ed25519"
fi
cp "$STATE/demo_ed25519.pub" "$STATE/authorized_keys/$DEMO_USER"
chmod 600 "$STATE/authorized_keys/$DEMO_USER"

say "5/5 starting devgate with its embedded default (devgate -T shows it)"
"$DEVGATE" -D -e >"$STATE/devgate.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
	(exec 3<>/dev/tcp/127.0.0.1/2222) 2>/dev/null && break
	kill -0 "${pids[1]}" 2>/dev/null || { cat "$STATE/devgate.log"; exit 1; }
	sleep 0.1
done

opts="-i $STATE/demo_ed25519 -o IdentitiesOnly=yes -o UserKnownHostsFile=$STATE/known_hosts -o StrictHostKeyChecking=accept-new"
cat <<EOF

devgate is listening on 127.0.0.1:2222, with environment $DEMO_ENV of
user $DEMO_USER running in the stand-in. Try:

  ssh $opts -p 2222 $DEMO_USER+dev@127.0.0.1
  ssh $opts -p 2222 $DEMO_USER+dev@127.0.0.1 'uname -a; id'
  sftp $opts -P 2222 $DEMO_USER+dev@127.0.0.1

($DEMO_USER+dev means environment $DEMO_ENV acting as $DEMO_USER; $DEMO_USER
alone works too, as it is $DEMO_USER's only environment.)
Log: $STATE/devgate.log    Press Ctrl-C to stop everything.
EOF
wait "${pids[1]}"
