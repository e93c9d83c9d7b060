#!/bin/bash
# deploy-manifests.sh: deploy/ renders with kustomize (kubectl's, offline),
# the Role grants every API call the Kubernetes client makes and nothing
# cluster-wide, the Deployment runs devgate as configured, and the shipped
# devgate.conf passes `devgate -t`.
. "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || tst_skip "kubectl not installed"
D="$top_srcdir/deploy"

kubectl kustomize "$D" >"$TST_DIR/all.yaml" 2>"$TST_DIR/kustomize.err"
tst_check "kubectl kustomize deploy/ renders" test -s "$TST_DIR/all.yaml"

# Every request path and verb the client sends, read from its sources.
$PY - "$TST_DIR/all.yaml" "$top_srcdir/gateway" >"$TST_DIR/rbac.out" 2>&1 <<'PYEOF'
import re, sys, yaml, glob
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = sorted(d["kind"] for d in docs)
want_kinds = ["ConfigMap", "Deployment", "Namespace", "Namespace", "NetworkPolicy",
              "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount"]
assert kinds == want_kinds, kinds
role = next(d for d in docs if d["kind"] == "Role")
grants = set()
for r in role["rules"]:
    for g in r["apiGroups"]:
        for res in r["resources"]:
            for v in r["verbs"]:
                grants.add((g, res, v))
src = "".join(open(f).read() for f in glob.glob(sys.argv[2] + "/k8s-*.c"))
need = set()
# REST calls: method + path template.
for m, path in re.findall(r'"(GET|POST|DELETE|PATCH)",\s*(?:ka_pods_path\(a, (NULL|name)[^)]*\))', src):
    need.add(("", "pods", {"GET": "list" if path == "NULL" else "get", "POST": "create",
                           "DELETE": "delete", "PATCH": "patch"}[m]))
if 'KA_PODS, "GET"' in src:
    need.add(("", "pods", "list"))
if "/pods?watch=1" in src:
    need.add(("", "pods", "watch"))
if "/events?" in src:
    need.add(("", "events", "list"))
if "metrics.k8s.io/v1beta1/namespaces/%s/pods/" in src:
    need.add(("metrics.k8s.io", "pods", "get"))
for sub in ("exec", "portforward"):
    if "/" + sub + "?" in src or '"' + sub + '"' in src:
        need |= {("", "pods/" + sub, "get"), ("", "pods/" + sub, "create")}
missing = need - grants
print("needed:", sorted(need))
assert len(need) >= 12, "too few API calls found in the sources: %s" % sorted(need)
assert not missing, "Role lacks %s" % sorted(missing)
assert not any(d["kind"] in ("ClusterRole", "ClusterRoleBinding") for d in docs)
assert role["metadata"]["namespace"] == "devenvs"
dep = next(d for d in docs if d["kind"] == "Deployment")
c = dep["spec"]["template"]["spec"]["containers"][0]
assert c["args"][-1] == "/etc/devgate/devgate.conf"
assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "devgate"
assert dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 300
print("ok")
PYEOF
rc=$?
cat "$TST_DIR/rbac.out"
tst_check "Role grants every call the client makes, namespaced only" test "$rc" = 0

# The shipped config checks, with its files placed under a temp root.
R="$TST_DIR/root"
mkdir -p "$R/etc/devgate/ca" "$R/etc/devgate/tsig" "$R/etc/devgate/keys" "$R/etc/devgate/hostkeys" "$R/var"
ssh-keygen -q -t ed25519 -N '' -f "$R/ca" && cp "$R/ca.pub" "$R/etc/devgate/ca/user_ca.pub"
printf 'key "devgate" {\n\talgorithm hmac-sha256;\n\tsecret "3QLa8ImW1px72YsrBDNy2Qn8dyVhsGIU4yFd12V615g=";\n};\n' \
	>"$R/etc/devgate/tsig/devgate.key"
sed -e "s|/etc/devgate|$R/etc/devgate|g" -e "s|/var/lib/devgate|$R/var|g" \
	"$D/devgate.conf" >"$TST_DIR/devgate.conf"
"$DEVGATE" -t -f "$TST_DIR/devgate.conf" >"$TST_DIR/t.out" 2>&1
rc=$?
cat "$TST_DIR/t.out"
tst_check "deploy/devgate.conf passes devgate -t" test "$rc" = 0
"$DEVGATE" -T -f "$TST_DIR/devgate.conf" >"$TST_DIR/T.out" 2>&1
tst_check "devgate -T shows the deployment's namespace" \
	grep -qx "namespace devenvs" "$TST_DIR/T.out"
tst_check "devgate -T shows the deployment's zone" \
	grep -qx "dnszone dev.corp" "$TST_DIR/T.out"
tst_done
