#!/usr/bin/env bash
# The Gateway API CRDs (standard channel) of a released sigs.k8s.io/gateway-api, cached under
# ~/.cache/wire-federation/gateway-api-VERSION/standard.yaml. Prints that file's path.
set -euo pipefail
version=v1.6.1
crds=config/crd/standard/gateway.networking.k8s.io
exec bash "$(dirname "${BASH_SOURCE[0]}")/../support/module-files.sh" "${XDG_CACHE_HOME:-$HOME/.cache}/wire-federation/gateway-api-${version}/standard.yaml" \
  "sigs.k8s.io/gateway-api@${version}" "${crds}_gatewayclasses.yaml" "${crds}_gateways.yaml" "${crds}_httproutes.yaml" "${crds}_referencegrants.yaml" "${crds}_backendtlspolicies.yaml" "${crds}_grpcroutes.yaml" "${crds}_tlsroutes.yaml"
