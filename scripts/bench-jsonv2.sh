#!/usr/bin/env bash
# Compares encoding/json's default engine with GOEXPERIMENT=jsonv2: builds
# each benchmark package both ways, then runs the two builds alternately
# PAIRS times (default 6; back-to-back blocks drift on a shared machine)
# and prints, per benchmark, the medians and the jsonv2/default ratio of
# each pair as a median with its min–max, and each SDK figure against its
# baseline under both engines.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-6}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkgs="internal/core sdk/plex sdk/ziggeo"
for p in $pkgs; do
	n=${p//\//_}
	go test -c -o "$tmp/$n.default" "./$p"
	GOEXPERIMENT=jsonv2 go test -c -o "$tmp/$n.jsonv2" "./$p"
done
for i in $(seq "$pairs"); do
	for mode in default jsonv2; do
		for p in $pkgs; do
			n=${p//\//_}
			(cd "$p" && "$tmp/$n.$mode" -test.run '^$' -test.bench . -test.benchmem -test.count 1) |
				awk -v i="$i" -v m="$mode" '/^Benchmark/ { print i, m, $0 }' >>"$tmp/out"
		done
	done
	echo "pair $i of $pairs done" >&2
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
	return sprintf("%.2f×(%.2f–%.2f)", median(list), lo, hi)
}
{
	name=$3; sub(/-[0-9]+$/, "", name); ns[$1, $2, name]=$5; al[$2, name]=$(NF-1)
	if (!(name in order)) { order[name]=++n; sorted[n]=name }
	if (name ~ /baseline|floor/) { split(name, g, "/"); base[g[1]]=name }
	runs[$1]=1
}
END {
	printf "%-58s %11s %11s %7s %20s %20s %20s\n", "benchmark", "default ns", "jsonv2 ns", "allocs", "jsonv2/default", "vs baseline default", "vs baseline jsonv2"
	for (k=1;k<=n;k++) {
		name=sorted[k]; split(name, g, "/"); b=base[g[1]]
		d=""; v=""; r=""; bd=""; bv=""
		for (i in runs) {
			d=d " " ns[i, "default", name]; v=v " " ns[i, "jsonv2", name]
			r=r " " ns[i, "jsonv2", name]/ns[i, "default", name]
			if (b != "" && b != name) { bd=bd " " ns[i, "default", name]/ns[i, "default", b]; bv=bv " " ns[i, "jsonv2", name]/ns[i, "jsonv2", b] }
		}
		printf "%-58s %11.0f %11.0f %3d/%-3d %20s %20s %20s\n", name, median(d), median(v), al["default", name], al["jsonv2", name], span(r), (bd == "" ? "" : span(bd)), (bv == "" ? "" : span(bv))
	}
}' "$tmp/out"
