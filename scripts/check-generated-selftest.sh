#!/usr/bin/env bash
# Proves check-generated fails when a spec changes without regeneration:
# copies the tracked tree, edits a spec, expects a non-zero exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
tar cf - go.mod go.sum tools.go api gen scripts | (cd "$tmp" && tar xf -)
cd "$tmp"
./scripts/check-generated.sh >/dev/null || { echo "selftest: pristine copy should pass" >&2; exit 1; }
spec=$(ls api/*/openapi.yaml | head -1)
# Add a property to the first schema's properties: a real spec change.
sed -i '0,/^      properties:$/s//      properties:\n        selftest_added:\n          type: string/' "$spec"
grep -q selftest_added "$spec" || { echo "selftest: could not edit $spec" >&2; exit 1; }
if ./scripts/check-generated.sh >/dev/null 2>&1; then
	echo "selftest: check-generated passed although $spec changed" >&2
	exit 1
fi
echo "check-generated selftest: a spec change without regeneration is caught"
