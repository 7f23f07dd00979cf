#!/usr/bin/env bash
# Builds (or reuses) helm and promtool from the Go module proxy, cached under ~/.cache/wire-federation/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/versions.sh"
bash "$here/build-go-tool.sh" helm helm.sh/helm/v3/cmd/helm "$helm_version"
bash "$here/build-go-tool.sh" promtool github.com/prometheus/prometheus/cmd/promtool "$promtool_version"
