#!/usr/bin/env bash
# A consumer importing the API packages must link neither kin-openapi nor the
# generator: only the standard library, oapi-codegen/runtime and its two deps.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(./sdk)
for p in ./sdk/ziggeo ./sdk/plex; do [ -d "$p" ] && pkgs+=("$p"); done
bad=$(go list -deps "${pkgs[@]}" | grep -E 'getkin/kin-openapi|oapi-codegen/oapi-codegen|authsdk/authsdk/api$|/ziggeotest|/plextest|qrterminal|creack/pty|golang.org/x/term|golang-jwt' || true)
if [ -n "$bad" ]; then
	echo "check-deps: ${pkgs[*]} link packages consumers must not get:" >&2
	echo "$bad" >&2
	exit 1
fi
third=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "${pkgs[@]}" | { grep -v '^github.com/authsdk/authsdk' || true; } | sort -u | tr '\n' ' ')
echo "check-deps: ${pkgs[*]} link only the standard library and: ${third:-nothing else}"
