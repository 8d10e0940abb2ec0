#!/usr/bin/env bash
# No executable binary and nothing over 1 MiB is tracked: a committed build
# goes stale and bloats every clone. Exceptions are listed here with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=$((1024 * 1024))
# Each entry: a path, and a comment saying why it may be large or binary.
allowed=()
bad=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	for a in ${allowed[@]+"${allowed[@]}"}; do [ "$f" = "$a" ] && continue 2; done
	size=$(wc -c <"$f")
	if [ "$size" -gt "$limit" ]; then
		echo "check-tracked: $f is $size bytes (over 1 MiB); untrack it or list it with a reason" >&2
		bad=1
	fi
	# ELF, Mach-O, PE and wasm magic numbers.
	magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	7f454c46 | cffaedfe | cefaedfe | feedfacf | feedface | 4d5a* | 0061736d)
		echo "check-tracked: $f is an executable binary; build outputs are not tracked" >&2
		bad=1
		;;
	esac
done < <(git ls-files -z)
exit $bad
