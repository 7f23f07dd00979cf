#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver, kube-controller-manager, kubectl, etcd)
# from source through Go modules, and caches the binaries outside the repository.
# Idempotent: binaries already in the cache are reused. Prints the directory on its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s_version="$(awk '/^require k8s.io\/kubernetes /{print $3}' "$here/go/kubernetes/go.mod")"
etcd_version="$(awk '/^require go.etcd.io\/etcd\/server\/v3 /{print $3}' "$here/go/etcd/go.mod")"
out="${WIRE_FEDERATION_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/wire-federation/k8s-${k8s_version}-etcd-${etcd_version}}"
mkdir -p "$out"

log() { printf '[controlplane:build] %s\n' "$*" >&2; }

minor="${k8s_version#v}"; major="${minor%%.*}"; minor="${minor#*.}"; minor="${minor%%.*}"
ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=${k8s_version} \
 -X k8s.io/component-base/version.gitMajor=${major} \
 -X k8s.io/component-base/version.gitMinor=${minor} \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=${k8s_version} \
 -X k8s.io/client-go/pkg/version.gitMajor=${major} \
 -X k8s.io/client-go/pkg/version.gitMinor=${minor}"

build() { # name module-dir package
  local name="$1" dir="$2" pkg="$3"
  if [[ -x "$out/$name" ]]; then log "$name: cached in $out"; return; fi
  log "$name: building $pkg (first build takes several minutes)"
  local start=$SECONDS
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/$name.partial" "$pkg")
  mv "$out/$name.partial" "$out/$name"
  log "$name: built in $((SECONDS - start))s"
}

build etcd "$here/go/etcd" go.etcd.io/etcd/server/v3
build kube-apiserver "$here/go/kubernetes" k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager "$here/go/kubernetes" k8s.io/kubernetes/cmd/kube-controller-manager
build kubectl "$here/go/kubernetes" k8s.io/kubernetes/cmd/kubectl
log "ready: $out"
echo "$out"
