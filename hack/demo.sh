#!/usr/bin/env bash
# The demo part of `make demo`: runs the example StreamJobs on the kind cluster where
# hack/deploy.sh installed Sluice, waits until they are Ready and shows what runs.
#
#   hack/demo.sh [CLUSTER_NAME]          default: $SLUICE_KIND_CLUSTER or sluice
#
#   1. namespace $SLUICE_DEMO_NAMESPACE (default sluice-demo), enforcing the `restricted` Pod
#      Security Standard
#   2. kubectl apply examples/wordcount.yaml and examples/nexmark-q5.yaml. The Nexmark example
#      asks for 4 × 250m CPU, more than a 2-core kind node has left next to the control plane;
#      its CPU request is lowered to $SLUICE_DEMO_NEXMARK_CPU (default 100m; empty: unchanged)
#      with `kubectl patch --local` before it is applied
#   3. waits (up to $SLUICE_DEMO_TIMEOUT s, default 300) for Ready=True on both
#   4. prints `kubectl get sj`, the wordcount job's status, its worker pods, and the first
#      progress line of its workers (records read/processed/written)
#   2b. when the chart's dev Kafka broker runs (Service $RELEASE-kafka in $SLUICE_NAMESPACE:
#      `make demo` deploys it with SLUICE_KAFKA=1; SLUICE_DEMO_KAFKA=0 skips this), the Kafka
#      pipeline: topics wordcount-lines (4 partitions) and wordcount-counts (2) created from a
#      pod (hack/kafka/in-cluster.ts), then examples/kafka-wordcount-load.yaml (generator →
#      wordcount-lines) and examples/kafka-wordcount.yaml (wordcount-lines → wordcount →
#      wordcount-counts, exactly once), their bootstrap servers set to the broker's Service
#  5. verifies the main job (hack/demo-verify.ts): the demo fails (exit 1, with the reason)
#      unless a checkpoint completes (status.checkpoints.lastCompleted) within
#      $SLUICE_DEMO_CHECKPOINT_WAIT s (default 2 × the checkpoint interval + 30) and the records
#      its workers read (their /metrics, through the API server's pod proxy) grow within
#      $SLUICE_DEMO_PROGRESS_WAIT s (default 90); then lists the checkpoint's objects in the dev
#      MinIO.
#   6. with Kafka: the same verification of kafka-wordcount (a checkpoint, records read growing;
#      a failure fails the demo), the first records of wordcount-counts as a read_committed
#      consumer sees them (the demo fails when none are committed), and the consumer lag the
#      workers export (sluice_kafka_source_lag_records on /metrics, when the runtime has it)
# Re-running is harmless: apply is idempotent and running jobs are left alone.
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME="${1:-${SLUICE_KIND_CLUSTER:-sluice}}"
KCFG="${SLUICE_KUBECONFIG:-$SLUICE_CACHE/kind/$NAME.kubeconfig}"
NS="${SLUICE_DEMO_NAMESPACE:-sluice-demo}"
SYSTEM_NS="${SLUICE_NAMESPACE:-sluice-system}"
RELEASE="${SLUICE_RELEASE:-sluice}"
TIMEOUT="${SLUICE_DEMO_TIMEOUT:-300}"
NEXMARK_CPU="${SLUICE_DEMO_NEXMARK_CPU-100m}"
k() { "$BIN_DIR/kubectl" --kubeconfig "$KCFG" "$@"; }
kn() { k -n "$NS" "$@"; }
jobs=(wordcount nexmark-q5)
main_job=wordcount
KAFKA_SVC="$RELEASE-kafka"
KAFKA_BOOTSTRAP="$KAFKA_SVC.$SYSTEM_NS.svc:9092"
kafka=""    # 1 when the dev broker runs (main)
kafka_job=kafka-wordcount
in_cluster() { "$BIN_DIR/node" "$ROOT_DIR/hack/kafka/in-cluster.ts" "$1" --kubeconfig "$KCFG" --namespace "$NS" \
  --bootstrap "$KAFKA_BOOTSTRAP" "${@:2}"; }
indent() { sed 's/^/      | /' >&2; }
# jp JOB JSONPATH: a field of the job, empty when absent (kubectl fails on a missing nested key).
jp() { kn get sj "$1" -o jsonpath="$2" 2>/dev/null || true; }

apply_examples() {
  log "== namespace $NS (Pod Security Standard: restricted)"
  k create namespace "$NS" --dry-run=client -o yaml | k apply -f - >/dev/null
  k label namespace "$NS" --overwrite pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/warn=restricted >/dev/null
  log "== kubectl apply -n $NS -f examples/wordcount.yaml"
  kn apply -f "$ROOT_DIR/examples/wordcount.yaml" 2>&1 | indent
  if [ -n "$NEXMARK_CPU" ]; then
    log "== kubectl apply -n $NS examples/nexmark-q5.yaml with spec.podTemplate.resources.requests.cpu=$NEXMARK_CPU (fits a 2-core node)"
    k patch --local -f "$ROOT_DIR/examples/nexmark-q5.yaml" --type merge -o yaml \
      -p "{\"spec\":{\"podTemplate\":{\"resources\":{\"requests\":{\"cpu\":\"$NEXMARK_CPU\"}}}}}" \
      | kn apply -f - 2>&1 | indent
  else
    log "== kubectl apply -n $NS -f examples/nexmark-q5.yaml"
    kn apply -f "$ROOT_DIR/examples/nexmark-q5.yaml" 2>&1 | indent
  fi
  [ -n "$kafka" ] && apply_kafka
  return 0
}

# apply_kafka: the topics (from a pod: the broker's advertised name resolves in the cluster
# only), then the two Kafka examples with the broker's address of this release.
apply_kafka() {
  log "== Kafka pipeline on the dev broker $KAFKA_BOOTSTRAP"
  log "   topics (auto-creation is off: the source fails on a missing topic)"
  in_cluster create-topic --topic wordcount-lines --partitions 4 2>&1 | indent
  in_cluster create-topic --topic wordcount-counts --partitions 2 2>&1 | indent
  local b="[\"$KAFKA_BOOTSTRAP\"]"
  log "== kubectl apply -n $NS examples/kafka-wordcount-load.yaml (generator → topic wordcount-lines)"
  k patch --local -f "$ROOT_DIR/examples/kafka-wordcount-load.yaml" --type merge -o yaml \
    -p "{\"spec\":{\"job\":{\"config\":{\"output\":{\"kafka\":{\"bootstrapServers\":$b}}}}}}" \
    | kn apply -f - 2>&1 | indent
  log "== kubectl apply -n $NS examples/kafka-wordcount.yaml (wordcount-lines → wordcount → wordcount-counts, exactly once)"
  k patch --local -f "$ROOT_DIR/examples/kafka-wordcount.yaml" --type merge -o yaml \
    -p "{\"spec\":{\"job\":{\"config\":{\"input\":{\"kafka\":{\"bootstrapServers\":$b}},\"output\":{\"kafka\":{\"bootstrapServers\":$b}}}}}}" \
    | kn apply -f - 2>&1 | indent
}

# ready JOB: "True" when the job's Ready condition is True for its current generation.
ready() {
  kn get sj "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.observedGeneration}/{.metadata.generation}' 2>/dev/null \
    | awk -F/ '{print ($1 == "True" && $2 == $3) ? "True" : "False"}'
}

wait_ready() {
  log "== waiting for Ready=True on ${jobs[*]} (timeout ${TIMEOUT}s)"
  local t0 j all
  t0=$(date +%s)
  while :; do
    all=1
    for j in "${jobs[@]}"; do [ "$(ready "$j")" = True ] || all=""; done
    [ -n "$all" ] && break
    if [ $(( $(date +%s) - t0 )) -ge "$TIMEOUT" ]; then
      kn get sj,pods -o wide >&2 || true
      for j in "${jobs[@]}"; do kn get sj "$j" -o jsonpath='{.status.conditions}' >&2; echo >&2; done
      kn get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 20 >&2 || true
      die "the example jobs did not become Ready within ${TIMEOUT}s"
    fi
    log "   $(kn get sj --no-headers 2>/dev/null | awk '{printf "%s %s ready %s/%s; ", $1, $2, $4, $3}')"
    sleep 5
  done
  log "   all Ready after $(( $(date +%s) - t0 ))s"
}

show() {
  log "== kubectl get sj -n $NS -o wide"
  kn get sj -o wide
  log "== status of $main_job"
  kn get sj "$main_job" -o jsonpath='{.status}' | "$BIN_DIR/node" -e '
    let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => console.log(JSON.stringify(JSON.parse(s), null, 2)));'
  log "== worker pods of $main_job"
  kn get pods -l "sluice.dev/job=$main_job" -o wide
  local attempt pod line t0
  attempt=$(jp "$main_job" '{.status.attempt}')
  log "== records flowing: the workers' first progress line (logged every 30 s)"
  for pod in $(kn get pods -l "sluice.dev/job=$main_job" -o name | sed 's#^pod/##' | grep -- "-$attempt-" ); do
    t0=$(date +%s); line=""
    while [ $(( $(date +%s) - t0 )) -lt 45 ]; do
      line=$(kn logs "$pod" 2>/dev/null | grep '"msg":"progress"' | tail -n 1 || true)
      [ -n "$line" ] && break
      sleep 3
    done
    if [ -n "$line" ]; then
      # shellcheck disable=SC2016 # JavaScript, not shell
      echo "$pod: $(echo "$line" | "$BIN_DIR/node" -e '
        let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
          const p = JSON.parse(s);
          console.log(`recordsRead=${p.recordsRead} recordsProcessed=${p.recordsProcessed} recordsWritten=${p.recordsWritten} lastAck=${p.lastAck} lastCommitted=${p.lastCommitted}`);
        });')"
    else
      echo "$pod: no progress line within 45 s; last log lines:"; kn logs "$pod" --tail=5 2>&1 | indent
    fi
  done
}

# mc_ls PATH: `mc ls --recursive` inside the dev MinIO pod, with the credentials it already
# has in its environment (nothing secret leaves the pod or reaches this log).
mc_ls() {
  # shellcheck disable=SC2016 # expanded by the pod's shell
  k -n "$SYSTEM_NS" exec "deploy/$RELEASE-minio" -c minio -- sh -ec '
    export MC_CONFIG_DIR=/tmp/mc-demo
    mc alias set dev http://127.0.0.1:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
    mc ls --recursive "dev/$1"' sh "$1"
}

checkpoint() {
  local interval wait progress id path
  interval=$(jp "$main_job" '{.spec.checkpoint.intervalSeconds}')
  wait="${SLUICE_DEMO_CHECKPOINT_WAIT:-$(( ${interval:-60} * 2 + 30 ))}"
  progress="${SLUICE_DEMO_PROGRESS_WAIT:-90}"
  log "== verifying $main_job: a completed checkpoint within ${wait}s, records read growing within ${progress}s"
  "$BIN_DIR/node" "$ROOT_DIR/hack/demo-verify.ts" --kubeconfig "$KCFG" --namespace "$NS" --job "$main_job" \
    --checkpoint-timeout "$wait" --progress-timeout "$progress" \
    || die "the main job $main_job does not work (see the FAILED line above)"
  id=$(jp "$main_job" '{.status.checkpoints.lastCompleted.id}')
  path=$(jp "$main_job" '{.status.checkpoints.lastCompleted.path}')
  local pod bucket
  # (no `| head` here: with pipefail, SIGPIPE would end the script)
  pod=$(kn get pods -l "sluice.dev/job=$main_job" -o jsonpath='{.items[0].metadata.name}')
  bucket=$(kn get pod "$pod" -o jsonpath='{.spec.containers[0].env[?(@.name=="SLUICE_STORAGE_BUCKET")].value}')
  log "   checkpoint $id: s3://$bucket/$path"
  log "== objects of checkpoint $id in MinIO"
  mc_ls "$bucket/$path/"
  local out
  out=$(jp "$main_job" '{.spec.job.config.output.s3.prefix}')
  if [ -n "$out" ]; then
    log "== committed output of $main_job (s3://$bucket/$out, first 10)"
    mc_ls "$bucket/$out" | grep -v '/_tmp/\| _tmp/' | head -n 10 || true
  fi
}

# show_kafka: verify the Kafka reading job like the main one, then its committed output and lag.
show_kafka() {
  local interval wait progress
  interval=$(jp "$kafka_job" '{.spec.checkpoint.intervalSeconds}')
  wait="${SLUICE_DEMO_CHECKPOINT_WAIT:-$(( ${interval:-60} * 2 + 30 ))}"
  progress="${SLUICE_DEMO_PROGRESS_WAIT:-90}"
  log "== verifying $kafka_job: a completed checkpoint within ${wait}s, records read growing within ${progress}s"
  "$BIN_DIR/node" "$ROOT_DIR/hack/demo-verify.ts" --kubeconfig "$KCFG" --namespace "$NS" --job "$kafka_job" \
    --checkpoint-timeout "$wait" --progress-timeout "$progress" \
    || die "the Kafka job $kafka_job does not work (see the FAILED line above)"
  log "== committed output of $kafka_job: topic wordcount-counts as a read_committed consumer sees it (first 5)"
  local out t0
  t0=$(date +%s)
  while :; do
    out=$(in_cluster read --topic wordcount-counts --limit 5) || die "cannot read topic wordcount-counts"
    grep -q '^{' <<<"$out" && break
    [ $(( $(date +%s) - t0 )) -lt 60 ] || { echo "$out"; die "no committed record in wordcount-counts within 60 s of a completed checkpoint"; }
    log "   nothing committed yet; again in 10 s"
    sleep 10
  done
  echo "$out"
  log "== consumer lag of $kafka_job (sluice_kafka_source_lag_records on the workers' /metrics)"
  local attempt pod port metrics lag any=""
  attempt=$(jp "$kafka_job" '{.status.attempt}')
  for pod in $(kn get pods -l "sluice.dev/job=$kafka_job" -o name | sed 's#^pod/##' | grep -- "-$attempt-"); do
    port=$(kn get pod "$pod" -o jsonpath='{.spec.containers[0].ports[?(@.name=="health")].containerPort}')
    metrics=$(k get --raw "/api/v1/namespaces/$NS/pods/$pod:$port/proxy/metrics" 2>/dev/null || true)
    lag=$(grep '^sluice_kafka_source_lag_records' <<<"$metrics" || true)
    if [ -n "$lag" ]; then any=1; echo "$pod:"; sed 's/^/  /' <<<"$lag"; fi
  done
  [ -n "$any" ] || log "   (the workers do not export sluice_kafka_source_lag_records: this runtime has no lag gauge yet)"
}

main() {
  [ -f "$KCFG" ] || die "no kubeconfig $KCFG: run make kind-up deploy first"
  k -n "$SYSTEM_NS" get deployment "$RELEASE-operator" >/dev/null 2>&1 \
    || die "Sluice is not deployed in $SYSTEM_NS: run make deploy first"
  if [ "${SLUICE_DEMO_KAFKA:-1}" != 0 ] && k -n "$SYSTEM_NS" get service "$KAFKA_SVC" >/dev/null 2>&1; then
    kafka=1
    jobs+=(kafka-wordcount-load "$kafka_job")
  else
    log "no dev Kafka broker (Service $SYSTEM_NS/$KAFKA_SVC): the Kafka pipeline is skipped (make demo deploys it: SLUICE_KAFKA=1 hack/deploy.sh)"
  fi
  apply_examples
  wait_ready
  show
  checkpoint
  [ -z "$kafka" ] || show_kafka
  log "done. Try:"
  cat >&2 <<EOF
      export KUBECONFIG=$KCFG
      kubectl get sj -n $NS -w
      kubectl describe sj -n $NS $main_job
      kubectl logs -n $NS -l sluice.dev/job=$main_job --tail=3
      kubectl patch sj -n $NS $main_job --type merge -p '{"spec":{"state":"suspended"}}'
      node hack/kafka/in-cluster.ts read --kubeconfig $KCFG --namespace $NS --bootstrap $KAFKA_BOOTSTRAP --topic wordcount-counts --limit 10
      make kind-down            # delete the cluster when done
EOF
}
main
