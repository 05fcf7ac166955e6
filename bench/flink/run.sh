#!/usr/bin/env bash
# The Apache Flink side of the runtime benchmark (bench/flink/README.md):
#
#   bench/flink/run.sh [options of dev.sluice.bench.flink.Main, e.g. --scenarios throughput --with-10m]
#
# 1. builds bench/flink with Maven (the first build downloads Flink and its dependencies from
#    Maven Central, ~230 MB, into ~/.m2);
# 2. checks that the Java generators produce the same streams as Sluice's TypeScript ones;
# 3. starts a private MinIO on a free loopback port (temp dir, generated credentials), unless the
#    caller gives one: BENCH_S3_ENDPOINT, BENCH_S3_ACCESS_KEY, BENCH_S3_SECRET_KEY and
#    BENCH_S3_BUCKET (an existing bucket) all set, as bench/state does so that both sides write to
#    the same MinIO process;
# 4. runs the scenarios on a Flink MiniCluster, prints a table and writes
#    bench/results/flink-runtime.json (or --out) with its provenance (run id from BENCH_RUN_ID,
#    commit and dirty flag, machine, load, tool versions, every parameter);
# 5. stops MinIO and removes its temp dir on exit, also on failure or Ctrl-C.
#
# Needs: java 17+, mvn, ./bin/node with the npm packages installed and ./bin/minio, ./bin/mc
# (make install tools).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-flink-bench-XXXXXX")
MINIO_PID=""
cleanup() {
  local rc=$?
  if [ -n "$MINIO_PID" ] && kill -0 "$MINIO_PID" 2>/dev/null; then
    kill "$MINIO_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$MINIO_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$MINIO_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$WORK/flink.log" ]; then
    mkdir -p bench/results && cp "$WORK/flink.log" bench/results/flink-bench.log
    say "failed (exit $rc); Flink's log: bench/results/flink-bench.log"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in java mvn; do
  command -v "$tool" >/dev/null || { echo "$tool is required (Java 17+ and Maven 3.8+)" >&2; exit 1; }
done
for tool in bin/node bin/minio bin/mc; do
  [ -x "$tool" ] || { echo "$tool is missing: run 'make install tools' (or hack/tools.sh node minio mc) first" >&2; exit 1; }
done

# Provenance of the results file (bench/provenance.ts), read before the build touches anything.
BENCH_GIT_COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -z "$(git status --porcelain 2>/dev/null)" ] && [ "$BENCH_GIT_COMMIT" != unknown ]; then BENCH_GIT_DIRTY=false; else BENCH_GIT_DIRTY=true; fi
BENCH_NODE_VERSION=$(bin/node --version)
export BENCH_GIT_COMMIT BENCH_GIT_DIRTY BENCH_NODE_VERSION
say "run ${BENCH_RUN_ID:-(new run id; set BENCH_RUN_ID to compare with a Sluice run)}, commit $BENCH_GIT_COMMIT$([ "$BENCH_GIT_DIRTY" = true ] && echo ' (dirty)')"

# Steps 1 and 2: build, and check the generators (stops here when they differ).
bench/flink/check.sh
CP="bench/flink/target/sluice-flink-bench-0.1.0.jar:bench/flink/target/lib/*"

# shellcheck source=bench/flink/java-opts.sh
source bench/flink/java-opts.sh
JAVA_OPTS+=(-Dbench.log="$WORK/flink.log")
HEAP=6g
for a in "$@"; do [ "$a" = "--with-10m" ] && HEAP=14g; done


if [ -n "${BENCH_S3_ENDPOINT:-}" ] && [ -n "${BENCH_S3_ACCESS_KEY:-}" ] && [ -n "${BENCH_S3_SECRET_KEY:-}" ] \
  && [ -n "${BENCH_S3_BUCKET:-}" ]; then
  say "using the caller's MinIO at $BENCH_S3_ENDPOINT, bucket $BENCH_S3_BUCKET"
else
  say "starting a private MinIO on loopback"
  free_port() { bin/node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
  PORT=$(free_port)
  CONSOLE_PORT=$(free_port)
  ACCESS_KEY="flinkbench-$(openssl rand -hex 4)"
  SECRET_KEY=$(openssl rand -hex 20)
  mkdir -p "$WORK/minio"
  MINIO_ROOT_USER="$ACCESS_KEY" MINIO_ROOT_PASSWORD="$SECRET_KEY" MINIO_BROWSER=off \
    setpriv --pdeathsig KILL -- bin/minio server "$WORK/minio/data" --address "127.0.0.1:$PORT" \
    --console-address "127.0.0.1:$CONSOLE_PORT" --quiet > "$WORK/minio/minio.log" 2>&1 &
  MINIO_PID=$!
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$PORT/minio/health/ready" >/dev/null && break
    kill -0 "$MINIO_PID" 2>/dev/null || { cat "$WORK/minio/minio.log" >&2; exit 1; }
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$PORT/minio/health/ready" >/dev/null || { echo "MinIO not ready after 60 s" >&2; exit 1; }
  BUCKET=flink-bench
  MC_CONFIG_DIR="$WORK/mc" MC_HOST_bench="http://$ACCESS_KEY:$SECRET_KEY@127.0.0.1:$PORT" bin/mc -q mb "bench/$BUCKET" >/dev/null
  say "MinIO on 127.0.0.1:$PORT, bucket $BUCKET"
  BENCH_S3_ENDPOINT="http://127.0.0.1:$PORT" BENCH_S3_ACCESS_KEY="$ACCESS_KEY" BENCH_S3_SECRET_KEY="$SECRET_KEY"
  BENCH_S3_BUCKET="$BUCKET"
fi
export BENCH_S3_ENDPOINT BENCH_S3_ACCESS_KEY BENCH_S3_SECRET_KEY BENCH_S3_BUCKET

say "running the scenarios on a Flink MiniCluster (JVM heap $HEAP; Flink's log goes to a temp file)"
setpriv --pdeathsig KILL -- java -Xmx"$HEAP" "${JAVA_OPTS[@]}" -cp "$CP" dev.sluice.bench.flink.Main "$@"
say "done; compare with the Sluice side: node bench/compare.ts"
