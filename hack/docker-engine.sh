#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine.
#
#   hack/docker-engine.sh            install (Debian's docker.io) / start / configure as needed
#   hack/docker-engine.sh --check    exit 0 if an engine answers, 1 otherwise; changes nothing
#
# 1. If `docker info` already answers, nothing is installed or started.
# 2. Otherwise docker.io is installed from Debian (apt-get) when dockerd is missing, and dockerd
#    is started in the background, logging to $SLUICE_CACHE/docker/dockerd.log.
# 3. When this host's capability bounding set lacks CAP_SYS_RESOURCE (bit 24 of CapBnd),
#    privileged containers (kind nodes) fail in runc with "unable to apply caps". Then
#    hack/runc-wrapper is installed as /usr/local/sbin/sluice-runc and registered as dockerd's
#    default runtime; it strips that capability from the OCI spec on create and exec.
# Idempotent: every step checks first.
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Debian's docker.io puts dockerd in /usr/sbin, which a minimal PATH (cron, some CI runners) lacks.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

WRAPPER_DST=/usr/local/sbin/sluice-runc
DAEMON_JSON=/etc/docker/daemon.json
LOG_DIR="$SLUICE_CACHE/docker"

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

cap_sys_resource_missing() {
  local bnd
  bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
  [ -n "$bnd" ] && [ $(( (0x$bnd >> 24) & 1 )) -eq 0 ]
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_docker() {
  command -v dockerd >/dev/null 2>&1 && return 0
  need apt-get "No Docker engine answers and this is not a Debian-like system: install Docker yourself."
  log "installing Debian's docker.io (dockerd, containerd, runc) with apt-get"
  local t0; t0=$(date +%s)
  # apt lists may be missing on a fresh machine; an update is cheap next to the install.
  if ! apt-cache policy docker.io 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    as_root apt-get update -qq
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker.io runc containerd iptables jq >/dev/null
  log "docker.io installed in $(( $(date +%s) - t0 ))s ($(dockerd --version))"
}

# Writes daemon.json with the wrapper as default runtime (merging into an existing file).
# Prints "changed" when the file was modified.
configure_runtime() {
  cap_sys_resource_missing || { log "CAP_SYS_RESOURCE is in the bounding set: plain runc is fine"; return 0; }
  need jq "jq edits daemon.json and is used by the runc wrapper (apt-get install jq)."
  log "CAP_SYS_RESOURCE is missing from the capability bounding set: using $WRAPPER_DST as docker's default runtime"
  if ! cmp -s "$HACK_DIR/runc-wrapper" "$WRAPPER_DST" 2>/dev/null; then
    log "installing hack/runc-wrapper as $WRAPPER_DST"
    as_root install -m 0755 "$HACK_DIR/runc-wrapper" "$WRAPPER_DST"
  fi
  as_root mkdir -p "$(dirname "$DAEMON_JSON")"
  local cur want
  cur=$(cat "$DAEMON_JSON" 2>/dev/null || echo '{}')
  want=$(echo "$cur" | jq --arg p "$WRAPPER_DST" '.runtimes["sluice-runc"] = {path: $p} | .["default-runtime"] = "sluice-runc"')
  if [ "$(echo "$cur" | jq -S .)" != "$(echo "$want" | jq -S .)" ]; then
    echo "$want" | as_root tee "$DAEMON_JSON" >/dev/null
    echo changed
  fi
}

dockerd_pid() { pgrep -x dockerd | head -n1; }

start_dockerd() {
  mkdir -p "$LOG_DIR"
  log "starting dockerd in the background (log: $LOG_DIR/dockerd.log)"
  # setsid: dockerd outlives this shell; its own containerd is started as its child.
  as_root setsid nohup dockerd >>"$LOG_DIR/dockerd.log" 2>&1 < /dev/null &
  local i
  for i in $(seq 1 60); do
    engine_answers && { log "dockerd answers (after ${i}s)"; return 0; }
    sleep 1
  done
  tail -n 30 "$LOG_DIR/dockerd.log" >&2
  die "dockerd did not answer within 60s (log: $LOG_DIR/dockerd.log)"
}

main() {
  if [ "${1:-}" = "--check" ]; then engine_answers; return; fi
  need docker "The docker CLI is needed (Debian package docker.io brings one)."
  install_docker
  local changed=""
  if command -v dockerd >/dev/null 2>&1; then
    changed=$(configure_runtime)
  fi
  if engine_answers; then
    if [ -n "$changed" ]; then
      local pid; pid=$(dockerd_pid)
      [ -n "$pid" ] || die "daemon.json changed but the answering engine is not a local dockerd: restart it yourself"
      log "daemon.json changed: restarting dockerd (pid $pid) to pick up the runc wrapper"
      as_root kill "$pid"
      local i; for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      start_dockerd
    else
      log "docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    fi
  else
    [ -z "$(dockerd_pid)" ] || die "a dockerd process runs but does not answer; see $LOG_DIR/dockerd.log"
    start_dockerd
  fi
  if cap_sys_resource_missing; then
    local rt; rt=$(docker info --format '{{.DefaultRuntime}}' 2>/dev/null)
    [ "$rt" = "sluice-runc" ] || log "WARNING: default runtime is '$rt', not sluice-runc: privileged containers may fail"
  fi
}
main "$@"
