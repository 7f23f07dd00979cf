#!/usr/bin/env bash
# The Gateway API CRDs (standard channel) of a released sigs.k8s.io/gateway-api, taken from its module
# on the Go module proxy (checked against the checksum database) and cached under
# ~/.cache/wire-federation/gateway-api-VERSION/standard.yaml. Prints that file's path.
set -euo pipefail
version=v1.6.1
out="${XDG_CACHE_HOME:-$HOME/.cache}/wire-federation/gateway-api-${version}"
file="$out/standard.yaml"
if [[ ! -s "$file" ]]; then
  command -v go >/dev/null || { echo "[gateway-api] go: not found (install Go >= 1.26)" >&2; exit 127; }
  dir="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@${version}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$dir/config/crd/standard" ]] || { echo "[gateway-api] no config/crd/standard in the module at $dir" >&2; exit 1; }
  mkdir -p "$out"
  for kind in gatewayclasses gateways httproutes referencegrants; do
    printf -- '---\n'; cat "$dir/config/crd/standard/gateway.networking.k8s.io_${kind}.yaml"
  done > "$file.partial"
  mv "$file.partial" "$file"
  echo "[gateway-api] CRDs of ${version} cached in $out" >&2
fi
echo "$file"
