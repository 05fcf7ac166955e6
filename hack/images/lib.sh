# shellcheck shell=bash
# Helpers for building container images without a registry: Debian root filesystems from
# debootstrap, single-layer images from `docker import`, input hashes for caching.
# Sourced after hack/lib.sh, not executed.

DEBIAN_SUITE="${SLUICE_DEBIAN_SUITE:-bookworm}"
DEBIAN_MIRROR="${SLUICE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# The label that records what an image was built from; a matching label means "reuse it".
INPUTS_LABEL=dev.sluice.inputs

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_ensure() { # package command-it-provides...
  local pkg=$1; shift
  local c missing=""
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing=1; done
  [ -z "$missing" ] && return 0
  log "installing $pkg with apt-get"
  if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then as_root apt-get update -qq; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
}

# inputs_hash ARG...: 12 hex digits over the given strings, and over the content of each
# argument that names a file or directory.
inputs_hash() {
  local a
  for a in "$@"; do
    if [ -d "$a" ]; then
      (cd "$a" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    elif [ -f "$a" ]; then
      printf '%s %s\n' "$(basename "$a")" "$(sha256sum < "$a" | cut -c1-64)"
    else
      printf 'arg %s\n' "$a"
    fi
  done | sha256sum | cut -c1-12
}

# image_is_current TAG HASH: the image exists locally and was built from these inputs.
image_is_current() {
  [ "$(docker image inspect --format "{{ index .Config.Labels \"$INPUTS_LABEL\" }}" "$1" 2>/dev/null)" = "$2" ]
}

# debian_rootfs DIR PACKAGES: debootstrap a minbase Debian into DIR with the comma-separated
# extra packages. Downloaded .debs are kept in the cache, so a rebuild only unpacks.
debian_rootfs() {
  local dir=$1 pkgs=$2 t0
  apt_ensure debootstrap debootstrap
  t0=$(date +%s)
  mkdir -p "$SLUICE_CACHE/debootstrap-debs/$DEBIAN_SUITE"
  rm -rf "$dir" && mkdir -p "$dir"
  log "debootstrap --variant=minbase $DEBIAN_SUITE (+ ${pkgs//,/ }) into $dir"
  # Progress goes to a log: debootstrap prints one line per package.
  local dlog="$dir.debootstrap.log"
  if ! as_root debootstrap --variant=minbase --include="$pkgs" \
      --cache-dir="$SLUICE_CACHE/debootstrap-debs/$DEBIAN_SUITE" \
      "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" > "$dlog" 2>&1; then
    tail -n 30 "$dlog" >&2
    die "debootstrap failed (full log: $dlog)"
  fi
  rm -f "$dlog"
  # Keep the image small: package lists, caches, documentation, man pages.
  as_root rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/log/*.log \
    "$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old
  log "rootfs ready in $(( $(date +%s) - t0 ))s ($(du -sh "$dir" | cut -f1))"
}

# import_dir DIR TAG HASH [--change ...]: one-layer image from a directory tree.
import_dir() {
  local dir=$1 tag=$2 hash=$3 old new; shift 3
  old=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  new=$(as_root tar -C "$dir" --numeric-owner -c . | docker import --change "LABEL $INPUTS_LABEL=$hash" "$@" - "$tag")
  # The image this one replaces is now untagged: drop it unless a container still uses it.
  if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}

# prune_other_tags REPO KEEP: remove the other tags of REPO (older builds); an image still used
# by a container stays.
prune_other_tags() {
  local t
  for t in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "$1"); do
    [ "$t" = "$2" ] || docker rmi "$t" >/dev/null 2>&1 || true
  done
}
