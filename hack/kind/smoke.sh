#!/usr/bin/env bash
# Proves a cluster from hack/kind-up.sh runs workloads from locally built images:
#
#   hack/kind/smoke.sh [CLUSTER_NAME]     default name: sluice
#
#   1. builds sluice.dev/busybox (Debian's static busybox, hack/images/build.sh busybox) and
#      loads it into the node with `kind load docker-image`
#   2. a pod that runs to completion: resolves a service name through CoreDNS, opens a TCP
#      connection to the API server's service IP (kube-proxy + CNI), prints a marker;
#      its logs are read back with kubectl and checked
#   3. a long-running pod whose container is killed (SIGKILL through the node's containerd);
#      the kubelet restarts it: restartCount goes to 1 and the pod is Ready again
# Everything runs in namespace sluice-smoke, deleted at the end. Exit status 0 only if all passed.
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NAME="${1:-${SLUICE_KIND_CLUSTER:-sluice}}"
KCFG="${SLUICE_KUBECONFIG:-$SLUICE_CACHE/kind/$NAME.kubeconfig}"
NS=sluice-smoke
NODE="$NAME-control-plane"
k() { "$BIN_DIR/kubectl" --kubeconfig "$KCFG" "$@"; }
step_t0=0
step() { step_t0=$(date +%s); log "== $*"; }
ok() { log "   ok ($(( $(date +%s) - step_t0 ))s): $*"; }
fail() { k -n "$NS" get pods -o wide >&2 || true; k -n "$NS" describe pods >&2 || true; die "$*"; }

[ -f "$KCFG" ] || die "no kubeconfig at $KCFG: run hack/kind-up.sh $NAME first"

step "build and load the test image"
IMAGE=$("$HACK_DIR/images/build.sh" busybox)
"$BIN_DIR/kind" load docker-image "$IMAGE" --name "$NAME" >&2
ok "$IMAGE loaded into $NODE"

k delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
k create namespace "$NS" >/dev/null

step "a pod that runs to completion"
k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: $IMAGE
      imagePullPolicy: Never
      command: ["sh", "-c"]
      args:
        - |
          set -e
          echo "hello from \$(hostname) on \$(uname -m)"
          nslookup kubernetes.default.svc.cluster.local | grep -A1 'Name:' | tail -n1
          # busybox nc: exits 0 once connected when stdin is empty
          nc -w 5 kubernetes.default.svc.cluster.local 443 < /dev/null
          echo "api server service reachable"
          echo "SLUICE-SMOKE-DONE"
YAML
k -n "$NS" wait pod/once --for=jsonpath='{.status.phase}'=Succeeded --timeout=120s >/dev/null \
  || fail "pod 'once' did not succeed"
LOGS=$(k -n "$NS" logs once)
printf '%s\n' "$LOGS" | sed 's/^/      | /' >&2
grep -q '^SLUICE-SMOKE-DONE$' <<<"$LOGS" || fail "marker missing from the logs of pod 'once'"
grep -q 'api server service reachable' <<<"$LOGS" || fail "service IP not reachable from pod 'once'"
ok "pod 'once' Succeeded and its logs were read back"

step "a long-running pod, its container killed"
k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: restarter}
spec:
  restartPolicy: Always
  containers:
    - name: main
      image: $IMAGE
      imagePullPolicy: Never
      command: ["sh", "-c", "echo started at \$(date +%s); exec sleep 3600"]
YAML
k -n "$NS" wait pod/restarter --for=condition=Ready --timeout=120s >/dev/null || fail "pod 'restarter' not Ready"
CID=$(k -n "$NS" get pod restarter -o jsonpath='{.status.containerStatuses[0].containerID}')
CID=${CID#containerd://}
[ -n "$CID" ] || fail "no container id for pod 'restarter'"
log "   killing container ${CID:0:12} with SIGKILL via the node's containerd"
kill_t=$(date +%s)
docker exec "$NODE" ctr --namespace k8s.io tasks kill --signal SIGKILL "$CID" >/dev/null
k -n "$NS" wait pod/restarter --for=jsonpath='{.status.containerStatuses[0].restartCount}'=1 --timeout=120s >/dev/null \
  || fail "kubelet did not restart the killed container"
k -n "$NS" wait pod/restarter --for=condition=Ready --timeout=120s >/dev/null || fail "pod 'restarter' not Ready after restart"
log "   restarted and Ready $(( $(date +%s) - kill_t ))s after the kill; last state: $(k -n "$NS" get pod restarter \
  -o jsonpath='{.status.containerStatuses[0].lastState.terminated.reason} (exit {.status.containerStatuses[0].lastState.terminated.exitCode})')"
k -n "$NS" logs restarter --previous | sed 's/^/      | previous: /' >&2
k -n "$NS" logs restarter | sed 's/^/      | current:  /' >&2
ok "kubelet restarted the killed container (restartCount=1)"

k delete namespace "$NS" --wait=false >/dev/null
log "smoke test passed on cluster '$NAME'"
