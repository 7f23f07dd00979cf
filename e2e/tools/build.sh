#!/usr/bin/env bash
# Builds (or reuses) helm and promtool from the Go module proxy, cached under ~/.cache/wire-federation/.
# usage: build.sh [helm|promtool]...   (default: both); prints each binary's path on its own line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/versions.sh"
for tool in "${@:-helm promtool}"; do
  for name in $tool; do
    case "$name" in
      helm) bash "$here/build-go-tool.sh" helm helm.sh/helm/v3/cmd/helm "$helm_version" ;;
      promtool) bash "$here/build-go-tool.sh" promtool github.com/prometheus/prometheus/cmd/promtool "$promtool_version" ;;
      *) echo "build.sh: unknown tool $name (helm, promtool)" >&2; exit 2 ;;
    esac
  done
done
