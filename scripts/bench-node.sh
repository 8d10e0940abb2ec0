#!/usr/bin/env bash
# Measures Ziggeo's official Node SDK (npm ziggeo@0.1.26) auth.generate beside
# authsdk's Auth.Generate on this machine, in one run, with the same token
# fields. Needs node and npm; installs the SDK into a temp dir (nothing in the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null && command -v npm >/dev/null || { echo "bench-node: node and npm are needed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm install --silent --no-audit --no-fund ziggeo@0.1.26 >/dev/null)
cat >"$tmp/bench.js" <<'JS'
const ZiggeoSdk = require("ziggeo");
const z = new ZiggeoSdk("1a2b3c4d5e6f7a8b9c0d", "pk", "my-encryption-key");
const grants = JSON.stringify({read: {all: true}, create: {session_owned: true}, destroy: {session_owned: true}});
const opts = () => ({grants: grants, session_limit: 1, volatile: true});
for (let i = 0; i < 20000; i++) z.Auth.generate(opts()); // warm up the JIT
const runs = [];
for (let r = 0; r < 6; r++) {
  const n = 100000, t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) z.Auth.generate(opts());
  runs.push(Number(process.hrtime.bigint() - t0) / n);
}
runs.sort((a, b) => a - b);
console.log(runs[Math.floor(runs.length / 2)].toFixed(0));
JS
node_ns=$(cd "$tmp" && node bench.js)
go_ns=$(go test -run '^$' -bench 'BenchmarkGenerate/Auth.Generate' -count 6 ./sdk/ziggeo/ | awk '/Auth.Generate/ {print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//' || uname -m)
echo "machine: ${cpu:-unknown}, $(nproc 2>/dev/null || echo ?) cores, node $(node --version), $(go version | cut -d' ' -f3)"
echo "Node SDK ziggeo@0.1.26 auth.generate: ${node_ns} ns/token (median of 6 × 100k)"
echo "authsdk Auth.Generate:                 ${go_ns} ns/token (median of 6 go test -bench runs)"
awk -v n="$node_ns" -v g="$go_ns" 'BEGIN {printf "authsdk is %.1f× faster\n", n/g}'
