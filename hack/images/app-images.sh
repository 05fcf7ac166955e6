#!/usr/bin/env bash
# Builds Sluice's own container images without any registry and loads them into the kind
# cluster (docs/cluster.md, "Sluice's images").
#
#   hack/images/app-images.sh [all]      build every image, then load the app images into the
#                                        kind cluster $SLUICE_KIND_CLUSTER (default sluice) if
#                                        it runs
#   hack/images/app-images.sh build      build only
#   hack/images/app-images.sh load       load only (the images must exist)
#   hack/images/app-images.sh tags       print the app image tags (builds nothing)
#
# Images, each labelled dev.sluice.inputs=<hash of everything it is built from> and rebuilt
# only when that hash changes:
#
#   sluice.dev/debian:<suite>-minbase   debootstrap --variant=minbase + ca-certificates, `docker import`
#   sluice.dev/node:<NODE_VERSION>      + the cached Node binary and the pinned npm package
#                                       (hack/tools.sh node npm; hack/images/node/Dockerfile)
#   sluice-operator:dev                 operator/Dockerfile        BASE_IMAGE=sluice.dev/node:...
#   sluice-runtime:dev                  runtime-image/Dockerfile   BASE_IMAGE=sluice.dev/node:...
#                                       (+ the addon of `make native`, built on the host first)
#   sluice-minio:dev                    minio + mc from hack/tools.sh on the Debian image
#                                       (hack/images/minio/Dockerfile)
#   sluice.dev/jre:<suite>-<jre package>  debootstrap minbase + ca-certificates + a headless JRE
#                                       ($SLUICE_KAFKA_JRE_PACKAGE, default openjdk-17-jre-headless),
#                                       `docker import`
#   sluice-kafka:dev                    the Kafka broker jars of hack/kafka/fetch.sh (tool `kafka`
#                                       of hack/tools.sh) on the JRE image, KRaft single node
#                                       (hack/images/kafka/Dockerfile, kafka-entrypoint.sh)
#
# The app Dockerfiles run `npm ci` in a build stage, so npm in a `docker build` container must
# reach a registry. Before the first app build a throwaway container of the Node image probes
# the registry. Where it cannot (on our machines the host reaches the registry through a TLS
# proxy whose CA only the host trusts), hack/images/npm-mirror.ts serves the registry on
# 127.0.0.1:$SLUICE_NPM_MIRROR_PORT (default 47873) with the host's trust settings, and the
# build runs with `--network host --build-arg NPM_CONFIG_REGISTRY=http://127.0.0.1:<port>/`.
# npm ci still checks every package against the lockfile's integrity hashes. A set
# NPM_CONFIG_REGISTRY is passed to the build as it is, without probing.
# The build context is a staging copy of exactly the paths the Dockerfile COPYs (no
# node_modules, no .git); the inputs hash covers it and the base image id, not the registry.
# Built with the classic builder (Docker 20.10).
#
# Progress goes to stderr with elapsed seconds; the last lines on stdout are the app tags.
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=hack/images/lib.sh
source "$HACK_DIR/images/lib.sh"

IMAGES_DIR="$HACK_DIR/images"
WORK="$SLUICE_CACHE/images"
CLUSTER="${SLUICE_KIND_CLUSTER:-sluice}"
DEBIAN_PACKAGES=ca-certificates
DEBIAN_TAG="sluice.dev/debian:$DEBIAN_SUITE-minbase"
NODE_TAG="sluice.dev/node:$NODE_VERSION"
OPERATOR_TAG="${SLUICE_OPERATOR_IMAGE:-sluice-operator:dev}"
RUNTIME_TAG="${SLUICE_RUNTIME_IMAGE:-sluice-runtime:dev}"
MINIO_TAG="${SLUICE_MINIO_IMAGE:-sluice-minio:dev}"
KAFKA_TAG="${SLUICE_KAFKA_IMAGE:-sluice-kafka:dev}"
# Kafka 4 needs Java >= 17; bookworm's JRE 17 (trixie also has openjdk-21-jre-headless).
JRE_PACKAGE="${SLUICE_KAFKA_JRE_PACKAGE:-openjdk-17-jre-headless}"
JRE_TAG="sluice.dev/jre:$DEBIAN_SUITE-$JRE_PACKAGE"
APP_TAGS=("$OPERATOR_TAG" "$RUNTIME_TAG" "$MINIO_TAG" "$KAFKA_TAG")
export DOCKER_BUILDKIT=0
MIRROR_PORT="${SLUICE_NPM_MIRROR_PORT:-47873}"
NPM_ARGS=()   # docker build arguments that give npm a registry (ensure_npm_access)
npm_access=""
mirror_pid=""
stop_mirror() {
  [ -n "$mirror_pid" ] || return 0
  kill "$mirror_pid" 2>/dev/null || true
  wait "$mirror_pid" 2>/dev/null || true
  mirror_pid=""
  log "$(tail -n 1 "$WORK/npm-mirror.log" 2>/dev/null)"
}
trap stop_mirror EXIT

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null; }

# step NAME: log a step and remember when it started; step_done prints its duration.
step_t0=0
step() { step_t0=$(date +%s); log "== $*"; }
step_done() { log "   $1 ($(( $(date +%s) - step_t0 ))s)"; }

# docker_build TAG HASH CONTEXT DOCKERFILE [--build-arg ...]: classic build with the inputs
# label. Shows the Dockerfile steps and npm's summary lines as progress; the whole output is
# in a log file, whose tail is printed on failure. The image this one replaces is removed.
docker_build() {
  local tag=$1 hash=$2 ctx=$3 dockerfile=$4 old blog; shift 4
  old=$(image_id "$tag" || true)
  blog="$WORK/build-${tag//[\/:]/_}.log"
  log "   docker build $tag (log: $blog)"
  if ! docker build --label "$INPUTS_LABEL=$hash" -t "$tag" -f "$dockerfile" "$@" "$ctx" > "$blog" 2>&1; then
    tail -n 40 "$blog" | sed 's/^/      | /' >&2
    die "docker build of $tag failed (full log: $blog)"
  fi
  grep -E '^Step [0-9]+/[0-9]+ : (FROM|RUN)|^(added|removed|changed) [0-9]+ packages' "$blog" \
    | sed 's/^/      | /' >&2 || true
  log "   $(grep -c '^Step ' "$blog") steps, $(grep -c 'Using cache' "$blog") from the build cache"
  local new; new=$(image_id "$tag")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}

# stage_context DIR PATH...: a fresh copy of the given repository paths (files or folders,
# relative to the repository root) without node_modules.
stage_context() {
  local dir=$1; shift
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$ROOT_DIR" && tar -c --exclude=node_modules --exclude='*.log' "$@") | tar -x -C "$dir"
}

build_debian() {
  local hash
  hash=$(inputs_hash "$IMAGES_DIR/lib.sh" "debian-minbase-v1" "$DEBIAN_SUITE" "$DEBIAN_PACKAGES")
  if image_is_current "$DEBIAN_TAG" "$hash"; then log "$DEBIAN_TAG is current"; return; fi
  step "building $DEBIAN_TAG (debootstrap)"
  local dir="$WORK/debian-minbase-rootfs"
  debian_rootfs "$dir" "$DEBIAN_PACKAGES"
  import_dir "$dir" "$DEBIAN_TAG" "$hash" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'CMD ["/bin/sh"]'
  as_root rm -rf "$dir"
  step_done "built $DEBIAN_TAG"
}

build_node() {
  local node_bin npm_dir hash base_id
  "$HACK_DIR/tools.sh" node npm >&2
  node_bin=$(readlink -f "$BIN_DIR/node")
  # hack/tools.sh unpacks the npm package into <cache>/npm-<version>/package (bin/npm-cli.js).
  npm_dir=$(dirname "$(dirname "$(readlink -f "$BIN_DIR/npm")")")
  [ -f "$npm_dir/package.json" ] || die "no npm package next to $(readlink -f "$BIN_DIR/npm")"
  base_id=$(image_id "$DEBIAN_TAG")
  hash=$(inputs_hash "$IMAGES_DIR/node/Dockerfile" "$base_id" "$node_bin" "$npm_dir" "$NODE_VERSION" "$NPM_VERSION")
  if image_is_current "$NODE_TAG" "$hash"; then log "$NODE_TAG is current"; return; fi
  step "building $NODE_TAG (Node $NODE_VERSION, npm $NPM_VERSION)"
  local ctx="$WORK/node-context"
  rm -rf "$ctx" && mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/usr/local/lib/node_modules"
  install -m 0755 "$node_bin" "$ctx/rootfs/usr/local/bin/node"
  cp -a "$npm_dir" "$ctx/rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/rootfs/usr/local/bin/npx"
  # COPY makes everything root-owned; make it world-readable.
  chmod -R a+rX "$ctx/rootfs"
  docker_build "$NODE_TAG" "$hash" "$ctx" "$IMAGES_DIR/node/Dockerfile" \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_TAG" --build-arg "NODE_VERSION=$NODE_VERSION" \
    --build-arg "NPM_VERSION=$NPM_VERSION"
  rm -rf "$ctx"
  local v; v=$(docker run --rm --network none "$NODE_TAG" sh -c 'echo "node $(node --version), npm $(npm --version)"')
  step_done "built $NODE_TAG: $v"
}

# The operator image's build stage installs from operator/image-deps: its pins must be the
# versions the workspace lockfile resolved for the operator's dependencies and for esbuild, which
# bundles them (as runtime-image/image-deps is checked by runtime-image/src/image-deps.test.ts).
check_operator_deps() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  "$BIN_DIR/node" -e '
    const fs = require("node:fs");
    const j = (p) => JSON.parse(fs.readFileSync(p, "utf8"));
    const [ws, img, root, lock] = ["operator/package.json", "operator/image-deps/package.json",
      "package-lock.json", "operator/image-deps/package-lock.json"].map(j);
    const bad = [];
    // Workspace packages (@sluice/api: a link in the lockfile) are copied and linked by the Dockerfile, not installed.
    const names = Object.keys(ws.dependencies).filter((n) => root.packages["node_modules/" + n]?.link !== true).sort();
    if (names.join() !== Object.keys(img.dependencies).sort().join()) bad.push("dependency names differ: " + names.join());
    for (const n of names) {
      const want = root.packages["node_modules/" + n]?.version ?? root.packages["operator/node_modules/" + n]?.version;
      if (img.dependencies[n] !== want) bad.push(`${n}: image-deps pins ${img.dependencies[n]}, the workspace lockfile has ${want}`);
      if (lock.packages["node_modules/" + n]?.version !== want) bad.push(`${n}: image-deps lockfile has ${lock.packages["node_modules/" + n]?.version}, want ${want}`);
    }
    for (const [n, v] of Object.entries(img.devDependencies ?? {})) {
      const want = root.packages["node_modules/" + n]?.version;
      if (v !== want) bad.push(`${n}: image-deps pins ${v}, the workspace lockfile has ${want}`);
      if (lock.packages["node_modules/" + n]?.version !== want) bad.push(`${n}: image-deps lockfile has ${lock.packages["node_modules/" + n]?.version}, want ${want}`);
    }
    for (const k of ["dependencies", "devDependencies"]) {
      if (JSON.stringify(lock.packages[""]?.[k]) !== JSON.stringify(img[k])) bad.push(`image-deps lockfile is not in sync with its package.json (${k})`);
    }
    if (bad.length) { console.error(bad.join("\n") + "\nupdate operator/image-deps (package.json, then npm install --package-lock-only there)"); process.exit(1); }
  ' 2>&1 >&2 || die "operator/image-deps drifted from the workspace lockfile"
}

# ensure_npm_access: decide once how npm inside `docker build` reaches a registry (NPM_ARGS).
ensure_npm_access() {
  [ -z "$npm_access" ] || return 0
  npm_access=1
  if [ -n "${NPM_CONFIG_REGISTRY:-}" ]; then
    log "npm in docker build uses NPM_CONFIG_REGISTRY=$NPM_CONFIG_REGISTRY"
    NPM_ARGS=(--build-arg "NPM_CONFIG_REGISTRY=$NPM_CONFIG_REGISTRY"); return
  fi
  local registry why
  registry=$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
  registry="${registry%/}/"
  why=$(timeout 60 docker run --rm "$NODE_TAG" node -e '
    fetch(process.argv[1] + "-/ping", { signal: AbortSignal.timeout(15000) })
      .then((r) => console.log(r.ok ? "ok" : "HTTP " + r.status))
      .catch((e) => console.log((e.cause && (e.cause.code || e.cause.message)) || e.message))' "$registry" 2>&1 | tail -n 1)
  if [ "$why" = ok ]; then
    log "docker build containers reach the npm registry $registry directly"
    [ "$registry" = https://registry.npmjs.org/ ] || NPM_ARGS=(--build-arg "NPM_CONFIG_REGISTRY=$registry")
    return
  fi
  log "docker build containers cannot reach the npm registry $registry (${why:-no answer}):"
  log "serving it on 127.0.0.1:$MIRROR_PORT (hack/images/npm-mirror.ts), builds use --network host"
  local out="$WORK/npm-mirror.out"
  : > "$out"
  UPSTREAM="$registry" "$BIN_DIR/node" --use-system-ca "$IMAGES_DIR/npm-mirror.ts" "$MIRROR_PORT" > "$out" 2> "$WORK/npm-mirror.log" &
  mirror_pid=$!
  for _ in $(seq 1 50); do
    grep -q '^listening ' "$out" && break
    kill -0 "$mirror_pid" 2>/dev/null || { cat "$WORK/npm-mirror.log" >&2; die "npm-mirror did not start (port $MIRROR_PORT taken? set SLUICE_NPM_MIRROR_PORT)"; }
    sleep 0.2
  done
  grep -q '^listening ' "$out" || die "npm-mirror did not start"
  NPM_ARGS=(--network host --build-arg "NPM_CONFIG_REGISTRY=http://127.0.0.1:$MIRROR_PORT/")
}

# build_app TAG DOCKERFILE PATH...: docker build of a repository Dockerfile on the local Node
# image, with a staged context of the given paths.
build_app() {
  local tag=$1 dockerfile=$2; shift 2
  local ctx="$WORK/context-${tag//[\/:]/_}" hash base_id
  stage_context "$ctx" "$dockerfile" "$@"
  base_id=$(image_id "$NODE_TAG")
  hash=$(inputs_hash "$ctx" "$base_id")
  if image_is_current "$tag" "$hash"; then log "$tag is current"; rm -rf "$ctx"; return; fi
  step "building $tag from $dockerfile"
  ensure_npm_access
  docker_build "$tag" "$hash" "$ctx" "$ctx/$dockerfile" --build-arg "BASE_IMAGE=$NODE_TAG" "${NPM_ARGS[@]}"
  rm -rf "$ctx"
  step_done "built $tag ($(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

build_minio() {
  "$HACK_DIR/tools.sh" minio mc >&2
  local minio mc hash base_id
  minio=$(readlink -f "$BIN_DIR/minio"); mc=$(readlink -f "$BIN_DIR/mc")
  base_id=$(image_id "$DEBIAN_TAG")
  hash=$(inputs_hash "$IMAGES_DIR/minio/Dockerfile" "$base_id" "$minio" "$mc" "$MINIO_VERSION" "$MC_VERSION")
  if image_is_current "$MINIO_TAG" "$hash"; then log "$MINIO_TAG is current"; return; fi
  step "building $MINIO_TAG"
  local ctx="$WORK/minio-context"
  rm -rf "$ctx" && mkdir -p "$ctx"
  install -m 0755 "$minio" "$ctx/minio"
  install -m 0755 "$mc" "$ctx/mc"
  docker_build "$MINIO_TAG" "$hash" "$ctx" "$IMAGES_DIR/minio/Dockerfile" \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_TAG" --build-arg "MINIO_VERSION=$MINIO_VERSION" \
    --build-arg "MC_VERSION=$MC_VERSION"
  rm -rf "$ctx"
  step_done "built $MINIO_TAG"
}

# build_jre: the Debian minbase with a headless JRE, from debootstrap (the Debian packages come
# from the mirror on the host, as for the Debian image; no apt inside a build container).
build_jre() {
  local hash
  hash=$(inputs_hash "$IMAGES_DIR/lib.sh" "jre-minbase-v1" "$DEBIAN_SUITE" "ca-certificates,$JRE_PACKAGE")
  if image_is_current "$JRE_TAG" "$hash"; then log "$JRE_TAG is current"; return; fi
  step "building $JRE_TAG (debootstrap)"
  local dir="$WORK/jre-minbase-rootfs"
  debian_rootfs "$dir" "ca-certificates,$JRE_PACKAGE"
  import_dir "$dir" "$JRE_TAG" "$hash" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'CMD ["/bin/sh"]'
  as_root rm -rf "$dir"
  # In a container, not a chroot: the java launcher finds its libraries through /proc/self/exe.
  local v
  v=$(docker run --rm --network none "$JRE_TAG" java -version 2>&1 | sed -n 1p) \
    || { docker rmi "$JRE_TAG" >/dev/null 2>&1 || true; die "no working java in $JRE_TAG: $v"; }
  log "   $v"
  step_done "built $JRE_TAG ($(docker image inspect --format '{{.Size}}' "$JRE_TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# build_kafka: sluice-kafka:dev from the jars of the tool `kafka` (hack/kafka/fetch.sh, the
# broker the integration tests run) on the JRE image.
build_kafka() {
  # hack/kafka/fetch.sh resolves the jars with Maven on a JRE of this machine.
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then "$HACK_DIR/install-deps.sh" >&2; fi
  "$HACK_DIR/tools.sh" kafka >&2
  local libs hash base_id
  libs="$(dirname "$(readlink -f "$BIN_DIR/kafka")")/libs"
  [ -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ] || die "no kafka_2.13-$KAFKA_VERSION.jar in $libs"
  base_id=$(image_id "$JRE_TAG")
  hash=$(inputs_hash "$IMAGES_DIR/kafka/Dockerfile" "$IMAGES_DIR/kafka/kafka-entrypoint.sh" "$base_id" "$libs" "$KAFKA_VERSION")
  if image_is_current "$KAFKA_TAG" "$hash"; then log "$KAFKA_TAG is current"; return; fi
  step "building $KAFKA_TAG (Kafka $KAFKA_VERSION)"
  local ctx="$WORK/kafka-context"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp -a "$libs" "$ctx/libs"
  install -m 0755 "$IMAGES_DIR/kafka/kafka-entrypoint.sh" "$ctx/kafka-entrypoint.sh"
  docker_build "$KAFKA_TAG" "$hash" "$ctx" "$IMAGES_DIR/kafka/Dockerfile" \
    --build-arg "JRE_IMAGE=$JRE_TAG" --build-arg "KAFKA_VERSION=$KAFKA_VERSION"
  rm -rf "$ctx"
  local v; v=$(docker run --rm --network none --entrypoint java "$KAFKA_TAG" -version 2>&1 | sed -n 1p)
  step_done "built $KAFKA_TAG ($(docker image inspect --format '{{.Size}}' "$KAFKA_TAG" | awk '{printf "%.0f MB", $1/1e6}'), $v)"
}

# prune_stage_images: the classic builder keeps each build stage as an untagged image (they
# carry the Node image's labels). Those the latest builds used stay as build cache; older ones
# (left by rebuilds after a source change) are removed.
prune_stage_images() {
  local keep id n=0
  keep=$(cat "$WORK"/build-*.log 2>/dev/null | grep -oE -- '---> [0-9a-f]{12}' | awk '{print $2}' | sort -u)
  for id in $(docker images -q --filter dangling=true --filter label=org.opencontainers.image.title=sluice-node); do
    grep -qxF "$id" <<<"$keep" && continue
    docker rmi "$id" >/dev/null 2>&1 && n=$((n + 1))
  done
  [ "$n" = 0 ] || log "removed $n stale build-stage images"
}

build_all() {
  need docker "Run hack/docker-engine.sh (make docker-engine) first."
  "$HACK_DIR/docker-engine.sh" --check || die "no Docker engine answers: run hack/docker-engine.sh (make docker-engine)"
  mkdir -p "$WORK"
  local t0; t0=$(date +%s)
  build_debian
  build_node
  check_operator_deps
  build_app "$OPERATOR_TAG" operator/Dockerfile \
    api/package.json api/src operator/bundle.ts operator/src operator/image-deps
  # The runtime image carries the RocksDB checkpoint addon built on this machine (docs/state.md):
  # `make native` first; the staged .node is part of the context, hence of the inputs hash.
  step "make native (RocksDB checkpoint addon)"
  make -C "$ROOT_DIR" native >&2
  step_done "addon ready"
  build_app "$RUNTIME_TAG" runtime-image/Dockerfile \
    package.json api/package.json api/src runtime-image/package.json runtime-image/src runtime-image/image-deps \
    runtime-image/native/rocksdb-checkpoint/build/Release/rocksdb_checkpoint.node
  build_minio
  build_jre
  build_kafka
  stop_mirror
  prune_stage_images
  log "images ready in $(( $(date +%s) - t0 ))s"
}

# The image id (config digest) the kind node's containerd holds under TAG, or nothing.
node_image_id() {
  local ref=$1
  case "$ref" in */*) ;; *) ref="docker.io/library/$ref" ;; esac
  docker exec "$CLUSTER-control-plane" sh -c '
    d=$(ctr -n k8s.io images ls "name==$1" 2>/dev/null | awk "NR==2 {print \$3}")
    [ -n "$d" ] || exit 0
    ctr -n k8s.io content get "$d" | jq -r ".config.digest // empty"' sh "$ref" 2>/dev/null || true
}

load_all() {
  local kind="$BIN_DIR/kind"
  [ -x "$kind" ] || "$HACK_DIR/tools.sh" kind >&2
  if ! "$kind" get clusters 2>/dev/null | grep -qxF "$CLUSTER"; then
    log "kind cluster '$CLUSTER' does not exist: images built, not loaded (make kind-up, then make images)"
    return 0
  fi
  [ "$(docker inspect --format '{{.State.Running}}' "$CLUSTER-control-plane" 2>/dev/null)" = true ] \
    || die "the node container $CLUSTER-control-plane is not running: run hack/kind-up.sh $CLUSTER"
  local tag id
  for tag in "${APP_TAGS[@]}"; do
    id=$(image_id "$tag") || die "$tag does not exist: build it first (hack/images/app-images.sh build)"
    if [ "$(node_image_id "$tag")" = "$id" ]; then
      log "$tag (${id:7:12}) is already in cluster '$CLUSTER'"
      continue
    fi
    step "kind load docker-image $tag (${id:7:12}) --name $CLUSTER"
    "$kind" load docker-image "$tag" --name "$CLUSTER" 2>&1 | grep -v 'not yet present on node' >&2 || true
    [ "$(node_image_id "$tag")" = "$id" ] || die "$tag is not in the node after kind load"
    step_done "loaded"
  done
}

case "${1:-all}" in
  all) build_all; load_all; printf '%s\n' "${APP_TAGS[@]}" ;;
  build) build_all; printf '%s\n' "${APP_TAGS[@]}" ;;
  load) load_all ;;
  tags) printf '%s\n' "${APP_TAGS[@]}" ;;
  *) die "usage: $0 [all|build|load|tags]" ;;
esac
