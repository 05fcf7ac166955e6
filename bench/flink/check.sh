#!/usr/bin/env bash
# Compiles bench/flink and checks its Java generators against Sluice's TypeScript ones — the
# part of the Flink benchmark CI can run without running it (make bench-flink-check; run.sh
# does the same before it measures):
#
#   bench/flink/check.sh          (MVN_FLAGS: extra Maven flags, e.g. -Dmaven.repo.local=DIR)
#
# 1. `mvn package` (the first build downloads Flink and its dependencies from Maven Central);
# 2. bench/flink/generator-checksum.ts → GeneratorCheck: sha256 of the first 100,000 Nexmark
#    events and wordcount lines (and tokens), and the state benchmark's keys (strides, sample key
#    indexes, the keys of 300,000 records: bench/state/keyed-value-job.ts), must be equal, else
#    exit 1 naming the first block that differs;
# 3. QueryCheck runs the Flink Nexmark queries (q0, q1, q2, q5, q7) on the first
#    $QUERY_CHECK_EVENTS (default 200,000) events in a MiniCluster at parallelism 2, and
#    bench/flink/query-check.ts compares their rows with the references Sluice's built-in jobs
#    are tested against (test/harness/nexmark-reference.ts); exit 1 on any difference.
# Needs: java 17+, mvn, ./bin/node with the npm packages installed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

for tool in java mvn; do
  command -v "$tool" >/dev/null || { echo "$tool is required (Java 17+ and Maven 3.8+)" >&2; exit 1; }
done
[ -x bin/node ] || { echo "bin/node is missing: run 'make install tools' first" >&2; exit 1; }

say "building bench/flink with Maven (the first build downloads Flink 2.3.0 and its dependencies from Maven Central, ~230 MB)"
# shellcheck disable=SC2086 # MVN_FLAGS is a list of flags
mvn -B -q ${MVN_FLAGS:-} -f bench/flink/pom.xml package 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
CP="bench/flink/target/sluice-flink-bench-0.1.0.jar:bench/flink/target/lib/*"

say "checking the Java generators against the TypeScript ones (first 100,000 Nexmark events and wordcount lines, the state benchmark's keys)"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-flink-check-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
bin/node bench/flink/generator-checksum.ts > "$TMP/checksums.json"
java -cp "$CP" dev.sluice.bench.flink.GeneratorCheck "$TMP/checksums.json"

EVENTS="${QUERY_CHECK_EVENTS:-200000}"
say "checking the Flink Nexmark queries against the references on $EVENTS events (MiniCluster, parallelism 2)"
# shellcheck source=bench/flink/java-opts.sh
source bench/flink/java-opts.sh
java "${JAVA_OPTS[@]}" -Dbench.log="$TMP/flink.log" -cp "$CP" dev.sluice.bench.flink.QueryCheck "$TMP/rows" "$EVENTS" \
  || { tail -n 40 "$TMP/flink.log" >&2; exit 1; }
bin/node bench/flink/query-check.ts "$TMP/rows" "$EVENTS"
