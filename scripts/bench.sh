#!/usr/bin/env bash
# Runs every benchmark in COUNT alternating rounds (default 6): each round is
# one process per package running every benchmark once, its baseline (or
# floor) first and then the SDK, so the two never sit in separate blocks of
# time (back-to-back blocks drift by 20 % on a shared machine). Prints per
# benchmark the median ns/op and allocs, and each SDK figure's ratio to its
# baseline of the same round as a median with its min–max.
# BENCH=regexp limits the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-6}
bench=${BENCH:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkgs="internal/core sdk/plex sdk/plex/plextest sdk/ziggeo"
for p in $pkgs; do
	go test -c -o "$tmp/${p//\//_}.test" "./$p"
done
for i in $(seq "$count"); do
	for p in $pkgs; do
		(cd "$p" && "$tmp/${p//\//_}.test" -test.run '^$' -test.bench "$bench" -test.benchmem -test.count 1) |
			awk -v i="$i" '/^Benchmark/ { print i, $0 }' >>"$tmp/out"
	done
	echo "round $i of $count done" >&2
done
awk '
function median(list,   a, k, i, j, t) {
	k=split(list, a, " ")
	for (i=1;i<=k;i++) for (j=i+1;j<=k;j++) if (a[j]+0 < a[i]+0) { t=a[i]; a[i]=a[j]; a[j]=t }
	return a[int((k+1)/2)]
}
function span(list,   a, k, i, lo, hi) {
	k=split(list, a, " "); lo=a[1]; hi=a[1]
	for (i=2;i<=k;i++) { if (a[i]+0 < lo+0) lo=a[i]; if (a[i]+0 > hi+0) hi=a[i] }
	return sprintf("%.2f (%.2f–%.2f)", median(list), lo, hi)
}
{
	round=$1; name=$2; sub(/-[0-9]+$/, "", name); split(name, parts, "/"); group=parts[1]
	ns[name]=ns[name] " " $4; al[name]=al[name] " " $(NF-1); if (!(name in order)) order[name]=++n
	if (name ~ /baseline|floor/) { base[group, round]=$4; basea[group]=basea[group] " " $(NF-1) }
	else if ((group, round) in base) ratio[name]=ratio[name] " " ($4/base[group, round])
}
END {
	printf "\n%-62s %12s %8s %22s\n", "benchmark", "ns/op", "allocs", "time × (median, min–max)"
	for (name in order) sorted[order[name]]=name
	for (i=1;i<=n;i++) {
		name=sorted[i]
		r = (name in ratio) ? span(ratio[name]) : (name ~ /baseline|floor/ ? "1.00" : "")
		printf "%-62s %12.0f %8d %22s\n", name, median(ns[name]), median(al[name]), r
	}
}' "$tmp/out"
