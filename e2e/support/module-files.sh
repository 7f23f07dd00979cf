#!/usr/bin/env bash
# Files of a released Go module, from the Go module proxy (checked against the checksum database),
# concatenated as YAML documents into OUT once and reused after (rebuilt when the list of PATHs
# changes: OUT.paths records it). Prints OUT.
# usage: module-files.sh OUT MODULE@VERSION PATH...
set -euo pipefail
out="$1" module="$2"
shift 2
if [[ ! -s "$out" || "$(cat "$out.paths" 2>/dev/null)" != "$module $*" ]]; then
  command -v go >/dev/null || { echo "[module-files] go: not found (install Go >= 1.26)" >&2; exit 127; }
  dir="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$dir" ]] || { echo "[module-files] go mod download $module gave no directory" >&2; exit 1; }
  mkdir -p "$(dirname "$out")"
  for path in "$@"; do
    printf -- '---\n'
    cat "$dir/$path"
  done > "$out.partial"
  mv "$out.partial" "$out"
  printf '%s' "$module $*" > "$out.paths"
  echo "[module-files] $module: $* → $out" >&2
fi
echo "$out"
