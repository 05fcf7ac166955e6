# JVM options of the Flink side (sourced by bench/flink/run.sh and check.sh, from the repository root).
# Flink needs these on Java 17 (its distribution sets the same in env.java.opts.all).
JAVA_OPTS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED --add-exports=java.base/sun.net.util=ALL-UNNAMED
  -Djava.util.logging.config.file=bench/flink/jul.properties
  -Daws.java.v1.disableDeprecationAnnouncement=true
)
