#!/usr/bin/env bash
# Builds a real Traefik from its Go module (through the Go module proxy) for the ingress e2e tests,
# and caches the binary outside the repository. Idempotent: a cached binary is reused.
# Prints the binary's path on its last line.
#
# The module's zip does not build as it is, so a scratch copy (never committed) is patched:
#  - the nested module github.com/traefik/traefik/dynamic/ext (an extension point holding empty
#    structs) is left out of the zip; we write an equivalent stub in its place;
#  - `replace` lines pointing at forks the proxy does not serve are dropped (the upstream module
#    stands in); the basic/digest auth middlewares use two functions only the go-http-auth fork
#    has, so in this build basic auth refuses every password and a stale digest is a plain
#    challenge (the tests use neither);
#  - ACME DNS providers (lego's `providers/dns`, which imports every DNS vendor's SDK, some of them
#    refused by the proxy) are swapped for a stub that refuses DNS challenges. The tests use no ACME.
set -euo pipefail

version="${TRAEFIK_VERSION:-v3.7.13}"
out="${WIRE_FEDERATION_TRAEFIK:-${XDG_CACHE_HOME:-$HOME/.cache}/wire-federation/traefik-${version}}"
binary="$out/traefik"
log() { printf '[traefik:build] %s\n' "$*" >&2; }

if [[ -x "$binary" ]]; then log "cached: $binary"; echo "$binary"; exit 0; fi
mkdir -p "$out"
start=$SECONDS
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

module_dir="$(cd "$out" && go mod download -json "github.com/traefik/traefik/v3@${version}" \
  | awk -F'"' '/"Dir":/{print $4}')"
[[ -d "$module_dir" ]] || { log "module download failed"; exit 1; }

src="$out/src"
rm -rf "$src"
cp -r "$module_dir" "$src"
chmod -R u+w "$src"
cd "$src"

# 1. The extension module missing from the zip: empty extension structs, as upstream ships them.
mkdir -p pkg/config/dynamic/ext
printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24\n' > pkg/config/dynamic/ext/go.mod
cat > pkg/config/dynamic/ext/ext.go <<'EOF'
// Package ext is the extension point of Traefik's dynamic configuration; open-source builds leave it empty.
package ext

// HTTP extends dynamic.HTTP.
type HTTP struct{}

// Router extends dynamic.Router.
type Router struct{}

// RouterIng extends the ingress providers' router annotations.
type RouterIng struct{}

// ToRouter converts RouterIng to a Router.
func (RouterIng) ToRouter() Router { return Router{} }
EOF

# 2. Forks the proxy refuses: fall back to the upstream modules they fork.
refused_forks() {
  awk '/=> github.com\/containous\//{print $1}' go.mod | while read -r mod; do
    local target
    target="$(awk -v m="$mod" '$1==m && $2=="=>"{print $3"@"$4}' go.mod)"
    if ! go mod download "$target" >/dev/null 2>&1; then echo "$mod"; fi
  done
}
for mod in $(refused_forks); do
  log "fork for $mod refused by the proxy: using the upstream module"
  sed -i "\#^[[:space:]]*${mod//./\\.} => github.com/containous/#d" go.mod
done

if ! grep -q "=> github.com/containous/go-http-auth" go.mod; then
  sed -i 's#checkSecret:       goauth.CheckSecret,#checkSecret:       func(string, string) bool { return false },#' pkg/middlewares/auth/basic_auth.go
  sed -i 's#d.auth.RequireAuthStale(rw, req)#d.auth.RequireAuth(rw, req)#' pkg/middlewares/auth/digest_auth.go
fi

# 3. lego's DNS providers: replaced by a stub package inside the scratch copy.
lego_dns="github.com/go-acme/lego/v5/providers/dns"
if grep -rqs "\"$lego_dns\"" --include=*.go pkg cmd; then
  mkdir -p internal/legodnsstub
  cat > internal/legodnsstub/dns.go <<'EOF'
// Package legodnsstub stands in for lego's DNS provider registry in this test build.
package legodnsstub

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
)

// NewDNSChallengeProviderByName refuses every DNS challenge provider: this build carries none.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("DNS challenge provider %q is not built into this test binary", name)
}
EOF
  grep -rls "\"$lego_dns\"" --include=*.go pkg cmd | xargs sed -i "s#\"$lego_dns\"#dns \"github.com/traefik/traefik/v3/internal/legodnsstub\"#"
fi

log "building traefik ${version} (first build takes many minutes)"
go mod tidy -e >/dev/null 2>"$out/tidy.log" || true
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=${version#v}" \
  -o "$binary.partial" ./cmd/traefik
mv "$binary.partial" "$binary"
rm -rf "$src"
log "built in $((SECONDS - start))s: $binary"
echo "$binary"
