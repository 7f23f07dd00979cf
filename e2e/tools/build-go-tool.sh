#!/usr/bin/env bash
# Builds one Go command from the Go module proxy (`go install PKG@VERSION`, the module's own go.mod and
# go.sum, checked against the checksum database) and caches it outside the repository, under
# ~/.cache/wire-federation/NAME-VERSION/NAME. Idempotent: a cached binary is reused.
# Prints the binary's path on its last line.
# usage: build-go-tool.sh NAME PACKAGE VERSION
set -euo pipefail

name="$1" pkg="$2" version="$3"
out="${XDG_CACHE_HOME:-$HOME/.cache}/wire-federation/${name}-${version}"
log() { printf '[%s:build] %s\n' "$name" "$*" >&2; }

if [[ -x "$out/$name" ]]; then
  log "cached in $out"
else
  command -v go >/dev/null || { log "go: not found (install Go >= 1.26: https://go.dev/dl/)"; exit 127; }
  log "building $pkg@$version (first build takes several minutes)"
  mkdir -p "$out"
  start=$SECONDS
  tmp="$(mktemp -d "$out/.gobin.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  GOFLAGS=-mod=mod GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "$pkg@$version"
  mv "$tmp/$name" "$out/$name"
  log "built in $((SECONDS - start))s"
fi
echo "$out/$name"
