#!/usr/bin/env bash
# Installs (or upgrades) the Sluice Helm chart into the kind cluster with the locally built
# images and waits until the operator and the chart's dev MinIO (and dev Kafka) are ready.
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
#      image rolls out; a MinIO pod running an older sluice-minio:dev is restarted before the
#      upgrade (restart_stale_minio). Helm waits for the post-install/upgrade hook Job that
#      creates the bucket.
#      With SLUICE_KAFKA=1 (make demo sets it) the chart's dev Kafka broker is enabled too
#      (kafka.enabled, image sluice-kafka:dev, whose id is a pod annotation as for the operator);
#      Unset or 0: off (values.yaml's default), also when upgrading a release that had it on.
#   4. rollout status of the operator, MinIO (and Kafka) Deployments
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
KAFKA_IMAGE="${SLUICE_KAFKA_IMAGE:-sluice-kafka:dev}"
KAFKA="${SLUICE_KAFKA:-0}"
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

# restart_stale_minio: the chart's MinIO Deployment names the image by tag only, so a rebuilt
# sluice-minio:dev does not roll out by itself. When the running MinIO pod's image digest is not
# the one the node now holds under that tag, restart the Deployment before the helm upgrade (whose
# hook then creates the bucket again). The dev MinIO keeps its data in an emptyDir: a restart
# loses every checkpoint stored there, so running jobs cannot restore from them afterwards.
restart_stale_minio() {
  local deploy="$RELEASE-minio" running current
  case "$RELEASE" in *sluice*) ;; *) deploy="$RELEASE-sluice-minio" ;; esac
  k -n "$NS" get deployment "$deploy" >/dev/null 2>&1 || return 0
  running=$(k -n "$NS" get pods -l app.kubernetes.io/component=minio,app.kubernetes.io/instance="$RELEASE" \
    -o jsonpath='{range .items[*]}{.status.containerStatuses[0].imageID}{"\n"}{end}' | sed -n 's/.*@//p' | sort -u)
  current=$(docker exec "$NAME-control-plane" ctr -n k8s.io images ls "name==docker.io/library/$MINIO_IMAGE" 2>/dev/null \
    | awk 'NR == 2 {print $3}')
  if [ -z "$running" ] || [ -z "$current" ] || grep -qxF "$current" <<<"$running"; then return 0; fi
  log "MinIO runs an older $MINIO_IMAGE: restarting it (its emptyDir data, checkpoints included, is lost; the upgrade hook recreates the bucket)"
  k -n "$NS" rollout restart deployment "$deploy" >&2
}

main() {
  "$HACK_DIR/tools.sh" helm kubectl kind >&2
  "$BIN_DIR/kind" get clusters 2>/dev/null | grep -qxF "$NAME" \
    || die "kind cluster '$NAME' does not exist: run hack/kind-up.sh $NAME (make kind-up)"
  [ -f "$KCFG" ] || "$BIN_DIR/kind" export kubeconfig --name "$NAME" --kubeconfig "$KCFG" >&2

  step "images in the cluster"
  SLUICE_KIND_CLUSTER="$NAME" "$HACK_DIR/images/app-images.sh" load
  step_done
  local op_id
  op_id=$(docker image inspect --format '{{.Id}}' "$OPERATOR_IMAGE") || die "$OPERATOR_IMAGE missing: run make images"
  op_id=${op_id#sha256:}

  step "namespace $NS (Pod Security Standard: restricted)"
  k create namespace "$NS" --dry-run=client -o yaml | k apply -f - >&2
  k label namespace "$NS" --overwrite pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted >&2
  step_done

  restart_stale_minio
  step "helm upgrade --install $RELEASE charts/sluice -n $NS (waits for the bucket hook Job)"
  local args=(upgrade --install "$RELEASE" "$ROOT_DIR/charts/sluice" --namespace "$NS"
    --set operator.image.pullPolicy=Never --set minio.image.pullPolicy=Never
    --set-string "operator.podAnnotations.sluice\.dev/image-id=${op_id:0:12}"
    --timeout "${TIMEOUT}s")
  if [ "$KAFKA" = 1 ]; then
    local kafka_id
    kafka_id=$(docker image inspect --format '{{.Id}}' "$KAFKA_IMAGE") || die "$KAFKA_IMAGE missing: run make images"
    kafka_id=${kafka_id#sha256:}
    log "   with the dev Kafka broker (kafka.enabled=true, $KAFKA_IMAGE ${kafka_id:0:12})"
    args+=(--set kafka.enabled=true --set kafka.image.pullPolicy=Never
      --set-string "kafka.podAnnotations.sluice\.dev/image-id=${kafka_id:0:12}")
  fi
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

  step "waiting for the Deployments (operator, MinIO, Kafka) (timeout ${TIMEOUT}s)"
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
