#!/usr/bin/env bash
# Installs (or upgrades) the Sluice Helm chart into the kind cluster with the locally built
# images and waits until the operator and the chart's dev MinIO are ready.
#
#   hack/deploy.sh [CLUSTER_NAME]        default: $SLUICE_KIND_CLUSTER or sluice
#
# Expects the cluster (hack/kind-up.sh) and the images (hack/images/app-images.sh). Steps:
#   1. the app images are in the node (app-images.sh load: a no-op when they are)
#   2. namespace $SLUICE_NAMESPACE (default sluice-system), labelled to enforce the
#      `restricted` Pod Security Standard, so the API server checks the chart's pods
#   3. helm upgrade --install $SLUICE_RELEASE (default sluice) charts/sluice with
#      imagePullPolicy Never (nothing may be pulled: there is no registry). The operator's pod
#      template carries the image id (annotation sluice.dev/image-id), so a rebuilt operator
#      image rolls out; the MinIO Deployment gets the same annotation by a patch before the
#      upgrade. Helm waits for the post-install/upgrade hook Job that creates the bucket.
#   4. rollout status of the operator and MinIO Deployments
# Extra arguments for helm: SLUICE_HELM_ARGS (word-split), e.g. "--set operator.logLevel=debug".
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME="${1:-${SLUICE_KIND_CLUSTER:-sluice}}"
KCFG="${SLUICE_KUBECONFIG:-$SLUICE_CACHE/kind/$NAME.kubeconfig}"
NS="${SLUICE_NAMESPACE:-sluice-system}"
RELEASE="${SLUICE_RELEASE:-sluice}"
TIMEOUT="${SLUICE_DEPLOY_TIMEOUT:-300}"
OPERATOR_IMAGE="${SLUICE_OPERATOR_IMAGE:-sluice-operator:dev}"
MINIO_IMAGE="${SLUICE_MINIO_IMAGE:-sluice-minio:dev}"
k() { "$BIN_DIR/kubectl" --kubeconfig "$KCFG" "$@"; }
helm_() { "$BIN_DIR/helm" --kubeconfig "$KCFG" "$@"; }
step_t0=0
step() { step_t0=$(date +%s); log "== $*"; }
step_done() { log "   done in $(( $(date +%s) - step_t0 ))s"; }

# watch_pods PID: every 10 s, one line with the release namespace's pods while PID runs.
watch_pods() {
  local pid=$1
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    kill -0 "$pid" 2>/dev/null || break
    log "   pods: $(k -n "$NS" get pods --no-headers 2>/dev/null | awk '{printf "%s %s %s; ", $1, $2, $3}')"
  done
}

main() {
  "$HACK_DIR/tools.sh" helm kubectl kind >&2
  "$BIN_DIR/kind" get clusters 2>/dev/null | grep -qxF "$NAME" \
    || die "kind cluster '$NAME' does not exist: run hack/kind-up.sh $NAME (make kind-up)"
  [ -f "$KCFG" ] || "$BIN_DIR/kind" export kubeconfig --name "$NAME" --kubeconfig "$KCFG" >&2

  step "images in the cluster"
  SLUICE_KIND_CLUSTER="$NAME" "$HACK_DIR/images/app-images.sh" load
  step_done
  local op_id minio_id
  op_id=$(docker image inspect --format '{{.Id}}' "$OPERATOR_IMAGE") || die "$OPERATOR_IMAGE missing: run make images"
  minio_id=$(docker image inspect --format '{{.Id}}' "$MINIO_IMAGE") || die "$MINIO_IMAGE missing: run make images"
  op_id=${op_id#sha256:}; minio_id=${minio_id#sha256:}

  step "namespace $NS (Pod Security Standard: restricted)"
  k create namespace "$NS" --dry-run=client -o yaml | k apply -f - >&2
  k label namespace "$NS" --overwrite pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted >&2
  step_done

  local minio_deploy="$RELEASE-minio"
  case "$RELEASE" in *sluice*) ;; *) minio_deploy="$RELEASE-sluice-minio" ;; esac
  if k -n "$NS" get deployment "$minio_deploy" >/dev/null 2>&1; then
    local cur
    cur=$(k -n "$NS" get deployment "$minio_deploy" -o jsonpath='{.spec.template.metadata.annotations.sluice\.dev/image-id}')
    if [ "$cur" != "${minio_id:0:12}" ]; then
      log "MinIO image changed (${cur:-none} -> ${minio_id:0:12}): rolling its Deployment (dev data is lost; the upgrade hook recreates the bucket)"
      k -n "$NS" patch deployment "$minio_deploy" --type merge \
        -p "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sluice.dev/image-id\":\"${minio_id:0:12}\"}}}}}" >&2
    fi
  fi

  step "helm upgrade --install $RELEASE charts/sluice -n $NS (waits for the bucket hook Job)"
  local args=(upgrade --install "$RELEASE" "$ROOT_DIR/charts/sluice" --namespace "$NS"
    --set operator.image.pullPolicy=Never --set minio.image.pullPolicy=Never
    --set-string "operator.podAnnotations.sluice\.dev/image-id=${op_id:0:12}"
    --timeout "${TIMEOUT}s")
  # shellcheck disable=SC2206
  [ -z "${SLUICE_HELM_ARGS:-}" ] || args+=(${SLUICE_HELM_ARGS})
  helm_ "${args[@]}" > "$SLUICE_CACHE/kind/$NAME.helm.log" 2>&1 &
  local helm_pid=$!
  watch_pods "$helm_pid" &
  local watch_pid=$!
  local rc=0
  wait "$helm_pid" || rc=$?
  kill "$watch_pid" 2>/dev/null || true
  wait "$watch_pid" 2>/dev/null || true
  if [ "$rc" != 0 ]; then
    cat "$SLUICE_CACHE/kind/$NAME.helm.log" >&2
    k -n "$NS" get pods,jobs -o wide >&2 || true
    k -n "$NS" get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 20 >&2 || true
    die "helm upgrade --install failed (exit $rc)"
  fi
  grep -E '^(Release|STATUS|REVISION)' "$SLUICE_CACHE/kind/$NAME.helm.log" | sed 's/^/      | /' >&2 || true
  step_done

  step "waiting for the operator and MinIO Deployments (timeout ${TIMEOUT}s)"
  local d
  for d in $(k -n "$NS" get deployments -l "app.kubernetes.io/instance=$RELEASE" -o name); do
    k -n "$NS" rollout status "$d" --timeout="${TIMEOUT}s" >&2
  done
  step_done
  k -n "$NS" get deployments,pods -o wide >&2
  log "Sluice is deployed: release $RELEASE in namespace $NS of cluster '$NAME'"
  echo "export KUBECONFIG=$KCFG"
}
main
