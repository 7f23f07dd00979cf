#!/usr/bin/env bash
# Traefik's own CRDs (traefik.io/v1alpha1: TLSOption, Middleware, …) of the Traefik version the tests
# build, cached under ~/.cache/wire-federation/traefik-VERSION/crds.yaml. Prints that file's path.
set -euo pipefail
version=v3.7.13
exec bash "$(dirname "${BASH_SOURCE[0]}")/../support/module-files.sh" "${XDG_CACHE_HOME:-$HOME/.cache}/wire-federation/traefik-${version}/crds.yaml" \
  "github.com/traefik/traefik/v3@${version}" docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml
