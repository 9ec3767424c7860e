#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# run from the jars Maven Central publishes. No Docker. How it runs: docs/operations.md.
#
# Usage: infra/kafka/kafka.sh fetch|start|stop|status|reset
#
#   fetch   copy the broker jars into $KAFKA_CACHE_DIR/lib (no-op when present)
#   start   fetch if needed, format storage, start the broker in the background,
#           wait until it answers, create topics taps and taps.dlq. Idempotent:
#           on a running broker it only ensures the topics.
#   stop    SIGTERM (controlled shutdown), wait up to 30 s, then SIGKILL
#   status  print "running" and exit 0 if up, else print "stopped", exit 1
#   reset   stop and delete the data dir
#
# Environment (all optional):
#   KAFKA_CACHE_DIR        jars cache            default <repo>/.cache/kafka
#   KAFKA_DATA_DIR         data, config, log, pid default <repo>/.cache/kafka-data
#   KAFKA_PORT             PLAINTEXT listener     default 9092
#   KAFKA_CONTROLLER_PORT  CONTROLLER listener    default 9093
#   KAFKA_HEAP             broker heap size       default 512m (-Xms = -Xmx)
#   KAFKA_TAPS_PARTITIONS  partitions of taps     default 6
#   KAFKA_START_TIMEOUT    seconds to wait        default 90
#   KAFKA_LOG_LEVEL        broker root log level  default WARN
#
# Files in the data dir: server.properties, cluster.id, kafka.pid, kafka.log
# (broker console; kafka.log.1 is the previous run's), log/ (log.dirs).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

CACHE_DIR="${KAFKA_CACHE_DIR:-$REPO/.cache/kafka}"
DATA_DIR="${KAFKA_DATA_DIR:-$REPO/.cache/kafka-data}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${KAFKA_HEAP:-512m}"
TAPS_PARTITIONS="${KAFKA_TAPS_PARTITIONS:-6}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
LOG_LEVEL="${KAFKA_LOG_LEVEL:-WARN}"

LIB_DIR="$CACHE_DIR/lib"
LOG4J_CONF="$HERE/log4j2.properties"
POM="$HERE/pom.xml"
PID_FILE="$DATA_DIR/kafka.pid"
CONF_FILE="$DATA_DIR/server.properties"
LOG_FILE="$DATA_DIR/kafka.log"
CLUSTER_ID_FILE="$DATA_DIR/cluster.id"
LOG_DIRS="$DATA_DIR/log"
BOOTSTRAP="127.0.0.1:$PORT"

# Jars that must be in lib/ (a partial copy is fetched again).
REQUIRED_JARS=(kafka_2.13-4.1.1.jar kafka-server-4.1.1.jar kafka-clients-4.1.1.jar
  kafka-tools-4.1.1.jar argparse4j-0.7.0.jar log4j-api-2.24.3.jar
  log4j-core-2.24.3.jar log4j-slf4j-impl-2.24.3.jar)

# Short-lived tool JVMs: start fast, log through the same log4j config.
TOOL_JVM_OPTS=(-Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m
  "-Dlog4j2.configurationFile=$LOG4J_CONF")

log() { echo "kafka.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- fetch

jars_present() {
  local j
  [[ -f "$LIB_DIR/.pom.sha256" ]] || return 1
  [[ "$(cat "$LIB_DIR/.pom.sha256")" == "$(sha256sum "$POM" | cut -d' ' -f1)" ]] || return 1
  for j in "${REQUIRED_JARS[@]}"; do [[ -f "$LIB_DIR/$j" ]] || return 1; done
}

cmd_fetch() {
  jars_present && return 0
  command -v mvn >/dev/null || die "mvn not found (Maven is needed to fetch the Kafka jars)"
  mkdir -p "$CACHE_DIR"
  (
    # One fetch at a time (parallel test runs may call start together).
    flock 9
    jars_present && exit 0
    log "fetching Kafka jars into $LIB_DIR (Maven Central)..."
    rm -rf "$LIB_DIR.tmp"
    mvn -B -q -Dstyle.color=never -f "$POM" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIB_DIR.tmp" >&2 \
      || die "mvn copy-dependencies failed"
    sha256sum "$POM" | cut -d' ' -f1 >"$LIB_DIR.tmp/.pom.sha256"
    rm -rf "$LIB_DIR"
    mv "$LIB_DIR.tmp" "$LIB_DIR"
  ) 9>"$CACHE_DIR/.fetch.lock"
  jars_present || die "jars missing in $LIB_DIR after fetch"
}

# ---------------------------------------------------------------- helpers

kafka_java() { java "${TOOL_JVM_OPTS[@]}" -cp "$LIB_DIR/*" "$@"; }

# pid of our broker if its process is alive, else nothing (exit 1).
broker_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against pid reuse: it must be a kafka.Kafka JVM on our config.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $CONF_FILE" || return 1
  echo "$pid"
}

port_open() { timeout 2 bash -c ": </dev/tcp/127.0.0.1/$1" 2>/dev/null; }

is_running() { broker_pid >/dev/null && port_open "$PORT"; }

write_config() {
  mkdir -p "$DATA_DIR" "$LOG_DIRS"
  cat >"$CONF_FILE" <<EOF
# Written by infra/kafka/kafka.sh start; overwritten at each start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$LOG_DIRS
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
# broker.session.timeout.ms stays at its default (9 s), though a broker
# restarted after a crash (SIGKILL) cannot register until its previous
# incarnation's session has timed out: shorter sessions fenced the broker on
# a loaded machine ("controller event queue overloaded"), which is worse.
EOF
}

format_storage() {
  local id=""
  # Formatted storage needs no second format (a StorageTool JVM costs 2-4 s).
  [[ -f "$LOG_DIRS/meta.properties" && -f "$LOG_DIRS/bootstrap.checkpoint" ]] && return 0
  # Reuse the cluster id of already formatted storage, then of cluster.id.
  if [[ -f "$LOG_DIRS/meta.properties" ]]; then
    id="$(sed -n 's/^cluster\.id=//p' "$LOG_DIRS/meta.properties" | head -n1)"
  fi
  if [[ -z "$id" && -s "$CLUSTER_ID_FILE" ]]; then id="$(cat "$CLUSTER_ID_FILE")"; fi
  if [[ -z "$id" ]]; then
    id="$(kafka_java kafka.tools.StorageTool random-uuid)" || die "StorageTool random-uuid failed"
  fi
  echo "$id" >"$CLUSTER_ID_FILE"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$CONF_FILE" --ignore-formatted >/dev/null \
    || die "StorageTool format failed (data dir $DATA_DIR; 'kafka.sh reset' wipes it)"
}

launch_broker() {
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1" # keep the previous run's log
  : >"$LOG_FILE"
  rm -f "$PID_FILE"
  # New session (setsid) + nohup: the broker outlives the calling shell and its
  # terminal. The inner bash writes its own pid and execs java, so the pid file
  # holds the JVM's pid.
  KAFKA_PID_FILE="$PID_FILE" setsid nohup bash -c 'echo $$ >"$KAFKA_PID_FILE"; exec "$@"' kafka-broker \
    java "-Xms$HEAP" "-Xmx$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$LOG4J_CONF" "-Dkafka.root.log.level=$LOG_LEVEL" \
    -cp "$LIB_DIR/*" kafka.Kafka "$CONF_FILE" \
    >>"$LOG_FILE" 2>&1 </dev/null 8>&- 9>&- &
  disown 2>/dev/null || true
  local i
  for ((i = 0; i < 50; i++)); do [[ -s "$PID_FILE" ]] && return 0; sleep 0.1; done
  die "broker did not write its pid file $PID_FILE"
}

fail_start() {
  log "error: $*"
  if [[ -f "$LOG_FILE" ]]; then
    log "last lines of $LOG_FILE:"
    tail -n 40 "$LOG_FILE" >&2 || true
  fi
  exit 1
}

# Wait until the broker logs that it started (it is then registered and
# unfenced) and its port accepts connections. The topic creation that follows
# is the first real client request; it is retried until the same deadline.
wait_ready() {
  local pid
  pid="$(cat "$PID_FILE")"
  while :; do
    kill -0 "$pid" 2>/dev/null || fail_start "broker process $pid exited during startup"
    if grep -qF "Kafka Server started" "$LOG_FILE" 2>/dev/null && port_open "$PORT"; then return 0; fi
    if (($(date +%s) >= DEADLINE)); then
      log "broker not started after ${START_TIMEOUT}s (KAFKA_START_TIMEOUT); stopping it"
      stop_unlocked || true
      fail_start "broker not started after ${START_TIMEOUT}s"
    fi
    sleep 0.2
  done
}

create_topic() { # name partitions; retried until DEADLINE
  local out
  while :; do
    # Each try may run until the deadline: on a busy machine the tool's JVM
    # alone can take over 30 s, and killing it only starts another as slow.
    if out="$(timeout $((DEADLINE - $(date +%s) > 5 ? DEADLINE - $(date +%s) : 5)) \
      java "${TOOL_JVM_OPTS[@]}" -cp "$LIB_DIR/*" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
      --topic "$1" --partitions "$2" --replication-factor 1 2>&1)"; then
      return 0
    fi
    (($(date +%s) < DEADLINE)) || break
    broker_pid >/dev/null || break
    sleep 0.5
  done
  echo "$out" >&2
  fail_start "could not create topic $1 on $BOOTSTRAP"
}

# Both topics at once (each TopicCommand is a ~1.5 s JVM start).
ensure_topics() {
  local p1 p2 rc=0
  # A topic whose first partition has a directory in log.dirs exists: a restart
  # need not start two TopicCommand JVMs (2-5 s on a busy machine) to learn it.
  [[ -d "$LOG_DIRS/taps-0" && -d "$LOG_DIRS/taps.dlq-0" ]] && return 0
  create_topic taps "$TAPS_PARTITIONS" & p1=$!
  create_topic taps.dlq 1 & p2=$!
  wait "$p1" || rc=1
  wait "$p2" || rc=1
  return "$rc"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  local t0
  t0="$(now_ms)"
  DEADLINE=$(($(date +%s) + START_TIMEOUT))
  mkdir -p "$DATA_DIR"
  exec 8>"$DATA_DIR/.lock"
  flock 8 # one start/stop at a time on this data dir
  cmd_fetch
  if broker_pid >/dev/null; then
    if ! port_open "$PORT"; then
      log "broker pid $(cat "$PID_FILE") alive but port $PORT not answering yet; waiting"
      wait_ready
    fi
    ensure_topics
    log "already running on $BOOTSTRAP (pid $(cat "$PID_FILE")); topics ensured"
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open "$PORT"; then
    die "port $PORT is taken by another process (not the broker of $DATA_DIR); set KAFKA_PORT"
  fi
  if port_open "$CONTROLLER_PORT"; then
    die "controller port $CONTROLLER_PORT is taken by another process; set KAFKA_CONTROLLER_PORT"
  fi
  write_config
  format_storage
  launch_broker
  wait_ready
  ensure_topics
  local t1
  t1="$(now_ms)"
  log "started on $BOOTSTRAP (pid $(cat "$PID_FILE"), data $DATA_DIR) in $(awk "BEGIN{printf \"%.1f\", ($t1-$t0)/1000}") s"
}

stop_unlocked() {
  local pid i
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping broker pid $pid..."
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "broker pid $pid still alive after 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_stop() {
  [[ -d "$DATA_DIR" ]] || return 0
  exec 8>"$DATA_DIR/.lock"
  flock 8
  stop_unlocked
}

cmd_status() {
  if is_running; then
    echo "running"
  else
    echo "stopped"
    return 1
  fi
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR"
  log "deleted $DATA_DIR"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  *)
    echo "usage: $0 fetch|start|stop|status|reset" >&2
    exit 2
    ;;
esac
