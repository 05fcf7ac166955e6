#!/usr/bin/env bash
# Starts (or reuses) a kind cluster that works without any container registry: one node by
# default, or a control plane and SLUICE_KIND_WORKERS worker nodes.
#
#   hack/kind-up.sh [CLUSTER_NAME]        default name: sluice
#   SLUICE_KIND_WORKERS=2 hack/kind-up.sh sluice-nodes
#
# Steps, each logged with elapsed seconds:
#   1. a Docker engine (hack/docker-engine.sh: Debian's docker.io, runc wrapper if needed)
#   2. kind and kubectl (hack/tools.sh)
#   3. an existing cluster of that name is reused (its node container started if stopped)
#   4. the node image: $SLUICE_KIND_NODE_IMAGE if set; else, only when SLUICE_KIND_PULL=1,
#      kindest/node:$KUBERNETES_VERSION from Docker Hub; else the locally built
#      sluice.dev/kind-node image (hack/kind/node-image.sh, cached by input hash)
#   5. kind create cluster with hack/kind/cluster.yaml; CoreDNS gets no upstream resolver
#      (cluster names only) unless SLUICE_KIND_DNS_FORWARD=1
#   6. with worker nodes and the local node image (no kindnet): routed pod networks
#      (hack/kind/pod-routes.sh: each node's bridge on its own podCIDR, routes to the others)
#   7. wait until every node is Ready and CoreDNS runs
# The kubeconfig is written to $SLUICE_CACHE/kind/<name>.kubeconfig (or $SLUICE_KUBECONFIG);
# the last line printed is the `export KUBECONFIG=...` to use it.
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME="${1:-${SLUICE_KIND_CLUSTER:-sluice}}"
KCFG="${SLUICE_KUBECONFIG:-$SLUICE_CACHE/kind/$NAME.kubeconfig}"
WAIT="${SLUICE_KIND_WAIT:-300s}"
WORKERS="${SLUICE_KIND_WORKERS:-0}"
[[ "$WORKERS" =~ ^[0-9]$ ]] || die "SLUICE_KIND_WORKERS must be 0..9 (got '$WORKERS')"
KIND="$BIN_DIR/kind"
KUBECTL="$BIN_DIR/kubectl"
phase_t0=0
phase() { phase_t0=$(date +%s); log "== $*"; }
phase_done() { log "   done in $(( $(date +%s) - phase_t0 ))s"; }
k() { "$KUBECTL" --kubeconfig "$KCFG" "$@"; }

node_container() { echo "$NAME-control-plane"; }

wait_ready() {
  phase "waiting for node Ready and CoreDNS (timeout $WAIT)"
  # After a restart of the node container the API server needs a few seconds to answer, and
  # the node object appears a moment after it does.
  for _ in $(seq 1 120); do k get --raw /readyz >/dev/null 2>&1 && break; sleep 1; done
  for _ in $(seq 1 60); do k get nodes -o name 2>/dev/null | grep -q . && break; sleep 2; done
  k wait --for=condition=Ready node --all --timeout="$WAIT" >&2
  k -n kube-system rollout status deployment/coredns --timeout="$WAIT" >&2
  phase_done
}

choose_image() {
  if [ -n "${SLUICE_KIND_NODE_IMAGE:-}" ]; then
    log "node image from SLUICE_KIND_NODE_IMAGE: $SLUICE_KIND_NODE_IMAGE"
    echo "$SLUICE_KIND_NODE_IMAGE upstream-or-given"; return
  fi
  if [ "${SLUICE_KIND_PULL:-0}" = 1 ]; then
    local pub="kindest/node:$KUBERNETES_VERSION"
    log "trying docker pull $pub (SLUICE_KIND_PULL=1)"
    if docker image inspect "$pub" >/dev/null 2>&1 || timeout 300 docker pull "$pub" >&2; then
      echo "$pub upstream-or-given"; return
    fi
    log "pull failed: building the node image locally"
  fi
  echo "$("$HACK_DIR/kind/node-image.sh") local"
}

main() {
  mkdir -p "$(dirname "$KCFG")"
  phase "docker engine"
  "$HACK_DIR/docker-engine.sh"
  phase_done

  phase "tools: kind, kubectl"
  "$HACK_DIR/tools.sh" kind kubectl >&2
  phase_done

  if "$KIND" get clusters 2>/dev/null | grep -qxF "$NAME"; then
    log "cluster '$NAME' exists: reusing it"
    local node; node=$(node_container)
    if [ "$(docker inspect --format '{{.State.Running}}' "$node" 2>/dev/null)" != true ]; then
      phase "starting stopped node container $node"
      docker start "$node" >/dev/null
      phase_done
    fi
    "$KIND" export kubeconfig --name "$NAME" --kubeconfig "$KCFG" >&2
  else
    phase "node image"
    local image source
    read -r image source < <(choose_image)
    [ -n "$image" ] || die "no node image"
    phase_done

    phase "kind create cluster --name $NAME --image $image"
    # Public node images bring kind's own CNI (kindnet) and none of our files.
    local cfg="$SLUICE_CACHE/kind/$NAME.cluster.yaml" drop='^$'
    [ "$source" = local ] || drop='# local-image'
    [ "${SLUICE_KIND_DNS_FORWARD:-0}" = 1 ] && drop="$drop|# no-upstream-dns"
    grep -Ev -- "$drop" "$HACK_DIR/kind/cluster.yaml" \
      | awk -v n="$WORKERS" '{print} /^  - role: control-plane$/ {for (i = 0; i < n; i++) print "  - role: worker"}' > "$cfg"
    "$KIND" create cluster --name "$NAME" --image "$image" --config "$cfg" --kubeconfig "$KCFG" >&2
    phase_done
  fi
  local nodes; nodes=$(docker ps -a --filter "label=io.x-k8s.kind.cluster=$NAME" --format '{{.Names}}' | wc -l)
  if [ "$nodes" -gt 1 ] && docker exec "$(node_container)" test -f /etc/cni/net.d/10-sluice-bridge.conflist; then
    phase "routed pod networks across $nodes nodes"
    for c in $(docker ps -a --filter "label=io.x-k8s.kind.cluster=$NAME" --format '{{.Names}}'); do
      [ "$(docker inspect --format '{{.State.Running}}' "$c")" = true ] || docker start "$c" >/dev/null
    done
    "$HACK_DIR/kind/pod-routes.sh" "$NAME" "$KCFG"
    phase_done
  fi
  wait_ready
  log "cluster '$NAME' is up: $(k get nodes --no-headers | awk '{print $1, $2, $5}')"
  echo "export KUBECONFIG=$KCFG"
}
main
