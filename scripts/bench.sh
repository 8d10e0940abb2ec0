#!/usr/bin/env bash
# Runs every benchmark COUNT times (default 6) and prints a table of
# medians with each SDK figure as a ratio of its baseline in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-6}
out=$(mktemp)
go test -run '^$' -bench . -benchmem -count "$count" ./internal/core/ ./sdk/... | tee "$out" | grep -E '^(Benchmark|ok|FAIL)' >&2
awk '
/^Benchmark/ {
	name=$1; sub(/-[0-9]+$/, "", name)
	ns[name]=ns[name] " " $3; al[name]=al[name] " " $(NF-1); if (!(name in order)) order[name]=++n
}
function median(list,   a, k, i, j, t) {
	k=split(list, a, " ")
	for (i=1;i<=k;i++) for (j=i+1;j<=k;j++) if (a[j]+0 < a[i]+0) { t=a[i]; a[i]=a[j]; a[j]=t }
	return a[int((k+1)/2)]
}
END {
	printf "\n%-62s %12s %8s %10s %12s\n", "benchmark", "ns/op", "allocs", "time ×", "allocs Δ"
	for (name in order) sorted[order[name]]=name
	for (i=1;i<=n;i++) {
		name=sorted[i]; split(name, parts, "/"); group=parts[1]
		m=median(ns[name]); a=median(al[name])
		if (name ~ /baseline|floor/) { base[group]=m; basea[group]=a; printf "%-62s %12.0f %8d %10s %12s\n", name, m, a, "1.00", "" }
		else if (group in base) printf "%-62s %12.0f %8d %10.2f %+12d\n", name, m, a, m/base[group], a-basea[group]
		else printf "%-62s %12.0f %8d\n", name, m, a
	}
}' "$out"
rm -f "$out"
