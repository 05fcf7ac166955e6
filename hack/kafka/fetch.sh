#!/usr/bin/env bash
# Fetches the Apache Kafka broker (org.apache.kafka:kafka_2.13 $KAFKA_VERSION) and its runtime
# dependencies from Maven Central into OUTDIR/libs, plus an slf4j 2 binding (slf4j-simple) so
# the broker logs, and writes OUTDIR/kafka, a launcher that runs a Java main class on them:
#
#   hack/kafka/fetch.sh OUTDIR
#   OUTDIR/kafka kafka.tools.StorageTool format ...     OUTDIR/kafka kafka.Kafka server.properties
#
# Called by hack/tools.sh (tool `kafka`, test group), which provides the cache entry, the lock
# and the idempotency; see docs/development.md. Maven's own repository (~/.m2) is the download
# cache, so a second fetch of the same version is offline.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

out=${1:?usage: hack/kafka/fetch.sh OUTDIR}
need java "Run hack/install-deps.sh (Debian package default-jre-headless; Kafka 4 needs Java >= 17)."
need mvn "Run hack/install-deps.sh (Debian package maven)."

javav=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${javav%%.*}" -ge 17 ] 2>/dev/null || die "Kafka $KAFKA_VERSION needs Java >= 17, found '${javav:-unknown}'"

work="$out/.maven"
mkdir -p "$work" "$out/libs"
# A throwaway pom whose dependencies are exactly the broker and the logging binding. slf4j-api
# is pinned beside slf4j-simple: the broker's tree resolves slf4j-api 1.7, which ignores a 2.x
# binding and logs nothing.
cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.sluice.hack</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$KAFKA_SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>$KAFKA_SLF4J_VERSION</version></dependency>
  </dependencies>
</project>
POM

log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies with Maven"
mvn -B -q -f "$work/pom.xml" \
  "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN_VERSION:copy-dependencies" \
  -DincludeScope=runtime -DoutputDirectory="$out/libs" 2>&1 \
  | sed 's/\x1b\[[0-9;]*m//g' >&2 \
  || die "Maven could not fetch Kafka $KAFKA_VERSION (see output above)"
[ -f "$out/libs/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka_2.13-$KAFKA_VERSION.jar missing after the Maven run"
log "fetched $(ls "$out/libs" | wc -l) jars ($(du -sh "$out/libs" | cut -f1)) into $out/libs"

cat > "$out/kafka" <<'LAUNCHER'
#!/usr/bin/env bash
# Runs a Java main class of the Kafka broker on the jars beside this script (see hack/kafka/fetch.sh).
#   kafka MAIN_CLASS ARGS...      environment: KAFKA_HEAP (default -Xmx512m), KAFKA_JAVA_OPTS
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
main=${1:?usage: kafka MAIN_CLASS ARGS...}; shift
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP:--Xms128m -Xmx512m} -XX:+UseSerialGC -Djava.awt.headless=true \
  ${KAFKA_JAVA_OPTS:-} -cp "$here/libs/*" "$main" "$@"
LAUNCHER
chmod +x "$out/kafka"
rm -rf "$work"
