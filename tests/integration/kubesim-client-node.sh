#!/bin/bash
# kubesim-client-node.sh: @kubernetes/client-node 1.4.0 (installed from the npm registry into a cache
# outside the repo) against kubesim: exec with stdin/stdout/stderr and exit status, exec with a tty,
# and port-forward to an HTTP server listening inside a pod.
. "$(dirname "$0")/lib-kubesim.sh"
ks_need kubectl node npm
NODE_DIR=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/devgate-tests/node
if [ ! -f "$NODE_DIR/node_modules/@kubernetes/client-node/package.json" ] \
   || ! grep -q '"version": "1.4.0"' "$NODE_DIR/node_modules/@kubernetes/client-node/package.json"; then
  mkdir -p "$NODE_DIR"
  [ -f "$NODE_DIR/package.json" ] || echo '{"name":"devgate-tests-node","private":true}' >"$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund @kubernetes/client-node@1.4.0 >npm.log 2>&1) \
    || { cat "$NODE_DIR/npm.log"; ks_skip "npm install @kubernetes/client-node@1.4.0 failed (no registry?)"; }
fi
ks_start
PORT=$(ks_free_port)
ks_check "pod with an HTTP server on 127.0.0.1:$PORT" k run js --image=python:3 -- \
  /usr/bin/python3 -m http.server "$PORT" --bind 127.0.0.1 --directory /tmp
ks_check "pod Ready" k wait --for=condition=Ready pod/js --timeout=30s
k exec js -- sh -c 'echo port-forward-works > /tmp/hello.txt'
ks_poll 10 k exec js -- /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null

cat >"$NODE_DIR/kubesim-test.mjs" <<'JS'
import * as k8s from '@kubernetes/client-node';
import { Readable, Writable } from 'node:stream';
import net from 'node:net';
import http from 'node:http';

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG);
const port = Number(process.env.POD_PORT);
let failed = 0;
const check = (ok, what) => { console.log((ok ? 'ok   ' : 'FAIL ') + what); if (!ok) failed++; };
const sink = () => { const chunks = []; const w = new Writable({ write(c, e, cb) { chunks.push(c); cb(); } }); w.text = () => Buffer.concat(chunks).toString(); return w; };
const timeout = (p, ms, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout: ' + what)), ms))]);

async function run(cmd, input, tty) {
  const exec = new k8s.Exec(kc);
  const out = sink(), err = sink();
  const stdin = input === null ? null : Readable.from([Buffer.from(input)]);
  const status = await timeout(new Promise((resolve, reject) => {
    exec.exec('default', 'js', 'js', cmd, out, tty ? null : err, stdin, tty, (st) => resolve(st)).catch(reject);
  }), 20000, cmd.join(' '));
  await new Promise((r) => setTimeout(r, 50));
  return { status, out: out.text(), err: err.text() };
}

try {
  let r = await run(['sh', '-c', 'cat; echo to-stderr >&2; exit 4'], 'hello from node\n', false);
  check(r.out === 'hello from node\n', 'exec: stdin reaches cat and comes back on stdout (' + JSON.stringify(r.out) + ')');
  check(r.err === 'to-stderr\n', 'exec: stderr on its own stream');
  check(r.status.status === 'Failure' && r.status.reason === 'NonZeroExitCode' &&
        r.status.details.causes[0].reason === 'ExitCode' && r.status.details.causes[0].message === '4',
        'exec: status NonZeroExitCode with ExitCode 4 (' + JSON.stringify(r.status) + ')');
  r = await run(['true'], null, false);
  check(r.status.status === 'Success', 'exec: Success status for exit 0');
  r = await run(['sh', '-c', 'test -t 0 && echo tty-yes'], 'x', true);
  check(r.out.includes('tty-yes'), 'exec with tty: stdin is a terminal');

  const forward = new k8s.PortForward(kc);
  const server = net.createServer((sock) => { forward.portForward('default', 'js', [port], sock, null, sock).catch(() => sock.destroy()); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const lport = server.address().port;
  const body = await timeout(new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: lport, path: '/hello.txt', agent: false }, (res) => {
      let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(res.statusCode + ' ' + b));
    }).on('error', reject);
  }), 20000, 'port-forward');
  check(body === '200 port-forward-works\n', 'port-forward: HTTP GET through the tunnel (' + JSON.stringify(body) + ')');
  server.close();
} catch (e) {
  check(false, 'client-node error: ' + (e && e.stack || e));
}
process.exit(failed ? 1 : 0);
JS
POD_PORT=$PORT node "$NODE_DIR/kubesim-test.mjs"
rc=$?
ks_check "client-node checks passed" test $rc -eq 0

ks_stop
ks_summary
