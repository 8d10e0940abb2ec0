#!/usr/bin/env bash
# Runs govulncheck; fails on findings or any error except an unreachable
# vulnerability database (these machines cannot reach vuln.go.dev).
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(go run "$1" ./... 2>&1)
rc=$?
echo "$out"
if [ $rc -eq 0 ]; then exit 0; fi
if [ $rc -ne 3 ] && grep -qiE 'fetching vulnerabilities|vuln\.go\.dev|dial tcp|no such host|connection refused|i/o timeout|TLS handshake' <<<"$out"; then
	echo "govulncheck: the vulnerability database is unreachable from this machine; not failing lint"
	exit 0
fi
echo "govulncheck: failed (exit $rc)"
exit 1
