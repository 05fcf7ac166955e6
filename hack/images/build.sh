#!/usr/bin/env bash
# Builds, without any registry, the container images a kind node needs, tagged exactly as
# `kubeadm config images list --kubernetes-version $KUBERNETES_VERSION` names them, plus a
# small test image.
#
#   hack/images/build.sh [control-plane]   kube-apiserver, kube-controller-manager,
#                                          kube-scheduler, kube-proxy, etcd, coredns, pause
#   hack/images/build.sh busybox           sluice.dev/busybox:<debian version> (static busybox)
#   hack/images/build.sh tags              print the control-plane tags (builds nothing)
#
# Prints the built tags on stdout, progress on stderr. Each image carries a label with the hash
# of its inputs (binary, scripts, Debian suite) and is rebuilt only when that changes.
#
#   kube-apiserver, -controller-manager, -scheduler, etcd: FROM scratch + static binary
#   kube-proxy: Debian minbase + iptables, nftables, conntrack + static binary
#   coredns: FROM scratch + /coredns (github.com/coredns/coredns built by hack/tools.sh)
#   pause: FROM scratch + /pause (hack/images/pause/pause.c, gcc -static)
# The etcd image carries $ETCD_VERSION's binary under kubeadm's etcd tag; its label
# org.opencontainers.image.version says which.
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=hack/images/lib.sh
source "$HACK_DIR/images/lib.sh"
IMAGES_DIR="$HACK_DIR/images"
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COMMON_INPUTS=("$IMAGES_DIR/build.sh" "$IMAGES_DIR/lib.sh")

kubeadm_images() {
  "$BIN_DIR/kubeadm" config images list --kubernetes-version "$KUBERNETES_VERSION" 2>/dev/null \
    || die "kubeadm could not list its images"
}

# scratch_image TAG HASH VERSION ENTRYPOINT-JSON SRC:DEST...: a one-layer image holding only
# the given files (plus /tmp).
scratch_image() {
  local tag=$1 hash=$2 version=$3 entry=$4; shift 4
  local dir; dir=$(mktemp -d "$SLUICE_CACHE/images/tmp.XXXXXX")
  mkdir -p "$dir/tmp" && chmod 1777 "$dir/tmp"
  local pair
  for pair in "$@"; do
    install -D -m 0755 "${pair%%:*}" "$dir/${pair#*:}"
  done
  import_dir "$dir" "$tag" "$hash" --change "ENV $PATH_ENV" \
    --change "LABEL org.opencontainers.image.version=$version" --change "ENTRYPOINT $entry"
  rm -rf "$dir"
}

build_pause() { # tag
  local tag=$1 version=${1##*:} hash
  need gcc "gcc builds the pause binary (apt-get install gcc libc6-dev)."
  hash=$(inputs_hash "${COMMON_INPUTS[@]}" "$IMAGES_DIR/pause/pause.c" "$tag" "$(gcc -dumpfullversion)")
  image_is_current "$tag" "$hash" && { log "$tag is current"; return; }
  local out="$SLUICE_CACHE/images/pause-$hash"
  mkdir -p "$SLUICE_CACHE/images"
  gcc -static -Os -s -Wall -DPAUSE_VERSION="\"$version\"" -o "$out" "$IMAGES_DIR/pause/pause.c"
  scratch_image "$tag" "$hash" "$version" '["/pause"]' "$out:pause"
  rm -f "$out"
  log "built $tag"
}

build_binary_image() { # tag tool version binary-dest entrypoint-json
  local tag=$1 tool=$2 version=$3 dest=$4 entry=$5 bin="$BIN_DIR/$2" hash
  [ -x "$bin" ] || die "$bin missing: run hack/tools.sh $tool"
  hash=$(inputs_hash "${COMMON_INPUTS[@]}" "$bin" "$tag" "$dest")
  image_is_current "$tag" "$hash" && { log "$tag is current"; return; }
  scratch_image "$tag" "$hash" "$version" "$entry" "$bin:$dest"
  log "built $tag"
}

build_kube_proxy() { # tag
  local tag=$1 bin="$BIN_DIR/kube-proxy" hash
  local pkgs=iptables,nftables,conntrack,kmod,ipset
  hash=$(inputs_hash "${COMMON_INPUTS[@]}" "$bin" "$tag" "$IMAGES_DIR/kube-proxy" "$DEBIAN_SUITE" "$pkgs")
  image_is_current "$tag" "$hash" && { log "$tag is current"; return; }
  local dir="$SLUICE_CACHE/images/kube-proxy-rootfs"
  debian_rootfs "$dir" "$pkgs"
  install -m 0755 "$bin" "$dir/usr/local/bin/kube-proxy"
  install -m 0755 "$IMAGES_DIR/kube-proxy/iptables-wrapper" "$dir/usr/sbin/iptables-wrapper"
  local n
  for n in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -sfn iptables-wrapper "$dir/usr/sbin/$n"
  done
  import_dir "$dir" "$tag" "$hash" --change "ENV $PATH_ENV" \
    --change "LABEL org.opencontainers.image.version=$KUBERNETES_VERSION" \
    --change 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]'
  as_root rm -rf "$dir"
  log "built $tag"
}

control_plane() {
  need docker "Run hack/docker-engine.sh first."
  "$HACK_DIR/tools.sh" kubeadm kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd coredns >&2
  mkdir -p "$SLUICE_CACHE/images"
  local tag name
  for tag in $(kubeadm_images); do
    name=${tag%:*}; name=${name##*/}
    case "$name" in
      kube-apiserver|kube-controller-manager|kube-scheduler)
        build_binary_image "$tag" "$name" "$KUBERNETES_VERSION" "usr/local/bin/$name" "[\"/usr/local/bin/$name\"]" ;;
      etcd) build_binary_image "$tag" etcd "$ETCD_VERSION" usr/local/bin/etcd '["/usr/local/bin/etcd"]' ;;
      coredns) build_binary_image "$tag" coredns "$COREDNS_VERSION" coredns '["/coredns"]' ;;
      kube-proxy) build_kube_proxy "$tag" ;;
      pause) build_pause "$tag" ;;
      *) die "kubeadm lists an image this script cannot build: $tag" ;;
    esac
    echo "$tag"
  done
}

busybox() {
  need docker "Run hack/docker-engine.sh first."
  local work ver tag hash
  work=$(mktemp -d)
  apt_ensure apt apt-get
  (cd "$work" && apt-get download busybox-static >/dev/null 2>&1) || {
    as_root apt-get update -qq; (cd "$work" && apt-get download busybox-static >/dev/null)
  }
  ver=$(dpkg-deb -f "$work"/busybox-static_*.deb Version); ver=${ver#*:}; ver=${ver%%[-+]*}
  tag="sluice.dev/busybox:$ver"
  hash=$(inputs_hash "${COMMON_INPUTS[@]}" "$work"/busybox-static_*.deb)
  if image_is_current "$tag" "$hash"; then
    log "$tag is current"
  else
    dpkg-deb -x "$work"/busybox-static_*.deb "$work/x"
    mkdir -p "$work/root/bin" "$work/root/tmp" && chmod 1777 "$work/root/tmp"
    cp "$work/x/bin/busybox" "$work/root/bin/busybox"
    local a
    for a in $("$work/root/bin/busybox" --list); do
      [ "$a" = busybox ] || ln -s busybox "$work/root/bin/$a"
    done
    import_dir "$work/root" "$tag" "$hash" --change "ENV PATH=/bin" \
      --change "LABEL org.opencontainers.image.version=$ver" --change 'CMD ["sh"]'
    log "built $tag"
  fi
  rm -rf "$work"
  echo "$tag"
}

case "${1:-control-plane}" in
  control-plane) control_plane ;;
  busybox) busybox ;;
  tags) kubeadm_images ;;
  *) die "usage: $0 [control-plane|busybox|tags]" ;;
esac
