#!/bin/sh
# Entrypoint of sluice-kafka:dev (hack/images/kafka/Dockerfile): a single-node Kafka in KRaft
# mode, broker and controller in one JVM.
#
#   1. writes $KAFKA_CONFIG_DIR/server.properties (default /tmp/kafka): PLAINTEXT on
#      $KAFKA_PORT (default 9092, all interfaces) advertised as $KAFKA_ADVERTISED_HOST:$KAFKA_PORT
#      (default: the pod's host name), the controller on 127.0.0.1:$KAFKA_CONTROLLER_PORT (9093),
#      replication factors 1, auto.create.topics.enable=$KAFKA_AUTO_CREATE_TOPICS (default
#      false: jobs fail on a missing topic, as on a real cluster), then the lines of
#      $KAFKA_EXTRA_PROPERTIES (key=value, one a line; a later key wins)
#   2. formats $KAFKA_DATA_DIR (default /var/lib/kafka/data) with a random cluster id unless it
#      holds meta.properties already (a restarted container keeps its topics)
#   3. execs the broker (kafka.Kafka) with $KAFKA_HEAP_OPTS (default -Xms128m -Xmx320m) and
#      $KAFKA_JAVA_OPTS
# Writes only to the data directory and /tmp (readOnlyRootFilesystem works).
set -eu

data=${KAFKA_DATA_DIR:-/var/lib/kafka/data}
port=${KAFKA_PORT:-9092}
cport=${KAFKA_CONTROLLER_PORT:-9093}
host=${KAFKA_ADVERTISED_HOST:-$(hostname)}
confdir=${KAFKA_CONFIG_DIR:-/tmp/kafka}
conf="$confdir/server.properties"
mkdir -p "$confdir" "$data"

cat > "$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://$host:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data
num.partitions=1
auto.create.topics.enable=${KAFKA_AUTO_CREATE_TOPICS:-false}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
[ -z "${KAFKA_EXTRA_PROPERTIES:-}" ] || printf '%s\n' "$KAFKA_EXTRA_PROPERTIES" >> "$conf"

opts="${KAFKA_HEAP_OPTS:--Xms128m -Xmx320m} -XX:+UseSerialGC -XX:-UsePerfData
  -Djava.awt.headless=true -Djava.io.tmpdir=/tmp -Dorg.slf4j.simpleLogger.showDateTime=true
  -Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config.AbstractConfig=warn
  -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaConfig=warn ${KAFKA_JAVA_OPTS:-}"

if [ ! -f "$data/meta.properties" ]; then
  # A KRaft cluster id: 16 random bytes, base64url without padding (22 characters).
  id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
  echo "kafka-entrypoint: formatting $data (cluster id $id)"
  # shellcheck disable=SC2086 # $opts is a word list
  java $opts -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format --cluster-id="$id" --config="$conf" --ignore-formatted
fi
echo "kafka-entrypoint: starting the broker, advertised as $host:$port"
# exec: the JVM gets SIGTERM itself and shuts down cleanly.
# shellcheck disable=SC2086 # $opts is a word list
exec java $opts -cp '/opt/kafka/libs/*' kafka.Kafka "$conf"
