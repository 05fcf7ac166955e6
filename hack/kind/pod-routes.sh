#!/usr/bin/env bash
# Routed pod networking for a multi-node kind cluster of the local node image, which ships a
# static bridge CNI config (hack/kind/files/10-sluice-bridge.conflist) instead of kindnet:
#
#   hack/kind/pod-routes.sh CLUSTER_NAME KUBECONFIG
#
# For every node: its bridge config gets the node's own spec.podCIDR (the controller-manager
# allocates a /24 of the pod subnet per node), a route to every other node's podCIDR via that
# node's address on the kind network, and an ACCEPT for those ranges ahead of the node's
# no-escape REJECT (hack/kind/files/sluice-no-escape.sh), and every node's name in its
# /etc/hosts: host-network pods (kube-proxy) resolve through the kubelet's resolv.conf, which
# on this image answers nothing (hack/kind/files/resolv-no-upstream.conf), so a worker's
# kube-proxy could not find the control plane by name. Pods that started before this ran on a
# wrong subnet (CoreDNS), and the workers' kube-proxy pods, are deleted so that they come back
# with a routable address and the new hosts file.
# Idempotent; run again after node containers restart (their routes and rules are gone then).
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME="${1:?usage: pod-routes.sh CLUSTER KUBECONFIG}"
KCFG="${2:?usage: pod-routes.sh CLUSTER KUBECONFIG}"
k() { "$BIN_DIR/kubectl" --kubeconfig "$KCFG" "$@"; }

for _ in $(seq 1 120); do k get --raw /readyz >/dev/null 2>&1 && break; sleep 1; done
nodes=()
for _ in $(seq 1 60); do
  mapfile -t nodes < <(docker ps --filter "label=io.x-k8s.kind.cluster=$NAME" --format '{{.Names}}' | sort)
  missing=0
  for n in "${nodes[@]}"; do
    [ -n "$(k get node "$n" -o jsonpath='{.spec.podCIDR}' 2>/dev/null)" ] || missing=1
  done
  [ "$missing" = 0 ] && break
  sleep 2
done
[ "$missing" = 0 ] || die "not every node of '$NAME' has a podCIDR: $(k get nodes -o custom-columns=N:.metadata.name,C:.spec.podCIDR --no-headers | tr '\n' ' ')"

declare -A cidr ip
for n in "${nodes[@]}"; do
  cidr[$n]=$(k get node "$n" -o jsonpath='{.spec.podCIDR}')
  ip[$n]=$(docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$n")
  log "$n: podCIDR ${cidr[$n]} via ${ip[$n]}"
done

for n in "${nodes[@]}"; do
  c=${cidr[$n]}
  gw="${c%.*}.1"
  docker exec -i "$n" sh -c 'cat > /etc/cni/net.d/10-sluice-bridge.conflist.new && mv /etc/cni/net.d/10-sluice-bridge.conflist.new /etc/cni/net.d/10-sluice-bridge.conflist' <<JSON
{
  "cniVersion": "0.4.0",
  "name": "sluice-bridge",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$c", "gateway": "$gw" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "/run/cni-ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
  for m in "${nodes[@]}"; do
    [ "$m" = "$n" ] && continue
    docker exec "$n" ip route replace "${cidr[$m]}" via "${ip[$m]}"
    for chain in FORWARD OUTPUT; do
      docker exec "$n" sh -c "iptables -C $chain -o eth0 -d ${cidr[$m]} -j ACCEPT 2>/dev/null || iptables -I $chain 1 -o eth0 -d ${cidr[$m]} -j ACCEPT"
    done
  done
done

for n in "${nodes[@]}"; do
  for m in "${nodes[@]}"; do
    docker exec "$n" sh -c "grep -qE '[[:space:]]$m\$' /etc/hosts || echo '${ip[$m]} $m' >> /etc/hosts"
  done
done
k -n kube-system delete pod -l k8s-app=kube-proxy --field-selector "spec.nodeName!=$NAME-control-plane" --wait=false >/dev/null

# Pods placed before the configs were right have an address outside their node's podCIDR.
k get pods -A -o jsonpath='{range .items[?(@.spec.hostNetwork!=true)]}{.metadata.namespace} {.metadata.name} {.spec.nodeName} {.status.podIP}{"\n"}{end}' \
  | while read -r ns pod node podip; do
      [ -n "$podip" ] && [ -n "$node" ] || continue
      prefix=${cidr[$node]%.*}
      if [ "${podip%.*}" != "$prefix" ]; then
        log "recreating $ns/$pod ($podip is outside $node's ${cidr[$node]})"
        k -n "$ns" delete pod "$pod" --wait=false >/dev/null
      fi
    done
log "pod networks routed across ${#nodes[@]} nodes"
