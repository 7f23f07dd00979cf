#!/usr/bin/env bash
# The e2e federation scenario on two kind clusters (see README.md). Needs Docker; not run in CI.
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in docker kind kubectl npm; do
  command -v "$tool" >/dev/null || { echo "e2e/kind: $tool is required" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "e2e/kind: no Docker engine answers; use npm run demo instead" >&2; exit 2; }

BACKENDS=(a b)
INGRESS_NGINX=${INGRESS_NGINX:-https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.12.1/deploy/static/provider/kind/deploy.yaml}

if [[ "${1:-}" == "delete" ]]; then
  for b in "${BACKENDS[@]}"; do kind delete cluster --name "wire-$b" || true; done
  exit 0
fi

docker build -f operator/Dockerfile -t wire-federation/operator:dev .
docker build -f federator/Dockerfile -t wire-federation/federator:dev .
npm run synth

ctx() { echo "kind-wire-$1"; }
k() { local b=$1; shift; kubectl --context "$(ctx "$b")" "$@"; }

for b in "${BACKENDS[@]}"; do
  kind get clusters | grep -qx "wire-$b" || cat <<YAML | kind create cluster --name "wire-$b" --config=-
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    labels: {ingress-ready: "true"}
YAML
  kind load docker-image --name "wire-$b" wire-federation/operator:dev wire-federation/federator:dev
  k "$b" apply -f "$INGRESS_NGINX"
  k "$b" -n ingress-nginx patch configmap ingress-nginx-controller --type merge \
    -p '{"data":{"allow-snippet-annotations":"true","annotations-risk-level":"Critical"}}'
  k "$b" -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=180s
  k "$b" create namespace wire --dry-run=client -o yaml | k "$b" apply -f -
  k "$b" apply -f dist/install.yaml
  k "$b" -n wire-federation-system set image deployment/wire-federation-operator operator=wire-federation/operator:dev
  k "$b" -n wire create deployment brig --image=hashicorp/http-echo:1.0 --port=8080 -- -listen=:8080 -text="brig of $b.example" \
    --dry-run=client -o yaml | k "$b" apply -f -
  k "$b" -n wire expose deployment brig --port 8080 --dry-run=client -o yaml | k "$b" apply -f -
  cat <<YAML | k "$b" apply -f -
apiVersion: federation.wire.com/v1alpha1
kind: FederationConfig
metadata: {name: wire, namespace: wire}
spec:
  backendDomain: $b.example
  infraDomain: federator.$b.example
  certificate: {selfSigned: {}}
  federator:
    image: wire-federation/federator:dev
    replicas: 1
    reload: Watch
    services: {brig: "http://brig:8080", galley: "http://brig:8080", cargohold: "http://brig:8080"}
YAML
done

# DNS: each cluster's CoreDNS answers the SRV and A records of both backends (the node IPs on the kind network).
declare -A NODE_IP
for b in "${BACKENDS[@]}"; do NODE_IP[$b]=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "wire-$b-control-plane"); done
for b in "${BACKENDS[@]}"; do
  k "$b" -n kube-system get configmap coredns -o jsonpath='{.data.Corefile}' > /tmp/Corefile.$b
  if ! grep -q "wire-federation" /tmp/Corefile.$b; then
    {
      for r in "${BACKENDS[@]}"; do
        cat <<CORE
$r.example:53 { # wire-federation
    template IN SRV $r.example { answer "_wire-server-federator._tcp.$r.example. 60 IN SRV 0 0 443 federator.$r.example." }
    hosts { ${NODE_IP[$r]} federator.$r.example
            fallthrough }
}
CORE
      done
      cat /tmp/Corefile.$b
    } > /tmp/Corefile.$b.new
    k "$b" -n kube-system create configmap coredns --from-file=Corefile=/tmp/Corefile.$b.new --dry-run=client -o yaml | k "$b" apply -f -
    k "$b" -n kube-system rollout restart deployment/coredns
  fi
done

for b in "${BACKENDS[@]}"; do
  k "$b" -n wire wait --for=condition=Ready fc/wire --timeout=300s
done

# Exchange CAs: each backend trusts the other's published CA.
for b in "${BACKENDS[@]}"; do
  for r in "${BACKENDS[@]}"; do
    [[ "$b" == "$r" ]] && continue
    k "$r" -n wire get configmap wire-ca-public -o jsonpath='{.data.ca\.crt}' > "/tmp/$r-ca.crt"
    k "$b" -n wire create configmap "$r-ca" --from-file=ca.crt="/tmp/$r-ca.crt" --dry-run=client -o yaml | k "$b" apply -f -
    cat <<YAML | k "$b" apply -f -
apiVersion: federation.wire.com/v1alpha1
kind: FederationPeer
metadata: {name: $r, namespace: wire}
spec:
  domain: $r.example
  searchPolicy: full_search
  caBundle: {configMapRef: {name: $r-ca}}
YAML
  done
done

k a -n wire wait --for=condition=Accepted fp/b --timeout=120s
k a -n wire run federation-probe --rm -i --restart=Never --image=curlimages/curl:8.10.1 -- \
  curl -sS -X POST -H 'content-type: application/json' -d '{"handle":"alice"}' http://wire-federator:8080/rpc/b.example/brig/get-user
