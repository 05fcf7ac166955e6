#!/usr/bin/env bash
# Builds a kind node image with no registry and no downloads other than Debian packages:
#
#   hack/kind/node-image.sh          build (or reuse) and print the node image tag on stdout
#   hack/kind/node-image.sh base     only the base image (systemd + containerd), print its tag
#
# Base image  sluice.dev/kind-base:<suite>-<hash>
#   debootstrap --variant=minbase + systemd, containerd 1.6, runc, CNI plugins, iptables, ...;
#   kind's own node files (entrypoint, kubelet units, sysctls, mount helpers) taken at build time
#   from the kind module in the Go module cache ($KIND_VERSION); our containerd config and unit,
#   a static bridge CNI config (hack/kind/files) and the runc wrapper (hack/runc-wrapper).
# Node image  sluice.dev/kind-node:<kubernetes version>-<hash>
#   base + kubeadm/kubelet/kubectl (hack/tools.sh) + the images kubeadm needs
#   (hack/images/build.sh), imported content-only into the node containerd's k8s.io namespace
#   by a containerd running in a build container, then `docker commit` with kind's entrypoint.
# Both tags carry a hash of their inputs; an image whose inputs did not change is reused.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$HACK_DIR/images/lib.sh"
KIND_FILES_DIR="$HACK_DIR/kind/files"
BASE_PACKAGES=systemd,systemd-sysv,dbus,containerd,runc,containernetworking-plugins,iptables,nftables,conntrack,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,procps,jq,ca-certificates
BUILD_CONTAINER="sluice-node-build-$$"

kind_module_files() {
  local modcache dir
  modcache=$(go env GOMODCACHE)
  dir="$modcache/sigs.k8s.io/kind@$KIND_VERSION/images/base/files"
  if [ ! -d "$dir" ]; then
    log "downloading sigs.k8s.io/kind@$KIND_VERSION into the Go module cache (for its node files)"
    (cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download "sigs.k8s.io/kind@$KIND_VERSION") >&2
  fi
  [ -f "$dir/usr/local/bin/entrypoint" ] || die "kind's node files not found in $dir"
  echo "$dir"
}

# Lays kind's node files, ours and the systemd setup onto the debootstrapped root at $1.
customize_base() {
  local r=$1 kf=$2
  # kind's files, with the modes its own image build gives them.
  install -m 0755 "$kf"/usr/local/bin/* "$r/usr/local/bin/"
  mkdir -p "$r/kind/bin" "$r/etc/systemd/system/kubelet.service.d" "$r/etc/default" "$r/etc/sysctl.d"
  install -m 0644 "$kf"/kind/README.txt "$r/kind/" 2>/dev/null || true
  install -m 0755 "$kf"/kind/bin/* "$r/kind/bin/"
  install -m 0644 "$kf"/etc/systemd/system/kubelet.service "$kf"/etc/systemd/system/kubelet.slice \
    "$kf"/etc/systemd/system/undo-mount-hacks.service "$r/etc/systemd/system/"
  install -m 0644 "$kf"/etc/systemd/system/kubelet.service.d/* "$r/etc/systemd/system/kubelet.service.d/"
  install -m 0644 "$kf"/etc/default/kubelet "$r/etc/default/"
  install -m 0644 "$kf"/etc/sysctl.d/* "$r/etc/sysctl.d/"
  install -m 0644 "$kf"/etc/crictl.yaml "$r/etc/"
  # Ours: containerd (Debian's binary in /usr/bin), CNI, runc wrapper.
  mkdir -p "$r/etc/containerd" "$r/etc/cni/net.d" "$r/opt/cni" "$r/etc/kubernetes/manifests"
  install -m 0644 "$KIND_FILES_DIR/containerd-config.toml" "$r/etc/containerd/config.toml"
  install -m 0644 "$KIND_FILES_DIR/containerd.service" "$r/etc/systemd/system/containerd.service"
  install -m 0644 "$KIND_FILES_DIR/10-sluice-bridge.conflist" "$r/etc/cni/net.d/"
  rm -rf "$r/opt/cni/bin" && ln -s /usr/lib/cni "$r/opt/cni/bin"   # Debian keeps plugins there
  install -m 0755 "$HACK_DIR/runc-wrapper" "$r/usr/local/sbin/sluice-runc"
  # The base OCI spec containerd's CRI starts from: ctr's default without rlimits, plus a
  # createContainer hook that gives every container the node's own product_uuid/name.
  chroot "$r" ctr oci spec \
    | jq '.hooks.createContainer += [{"path": "/kind/bin/mount-product-files.sh"}] | del(.process.rlimits)' \
    > "$r/etc/containerd/cri-base.json"
  # systemd as PID 1 of a container: no udev, no getty, no units Debian enabled by default,
  # no kernel log reading; then enable only what a node runs.
  rm -f "$r"/lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service \
    "$r"/lib/systemd/system/multi-user.target.wants/* "$r"/lib/systemd/system/local-fs.target.wants/* \
    "$r"/lib/systemd/system/sockets.target.wants/*udev* "$r"/lib/systemd/system/sockets.target.wants/*initctl* \
    "$r"/lib/systemd/system/basic.target.wants/*
  find "$r/etc/systemd/system" -path '*.wants/*' -delete
  echo "ReadKMsg=no" >> "$r/etc/systemd/journald.conf"
  chroot "$r" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
  chroot "$r" systemctl mask systemd-binfmt.service >/dev/null 2>&1
  # entrypoint regenerates the machine id per node.
  : > "$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id"
}

ensure_base() {
  local kf hash tag r
  kf=$(kind_module_files)
  hash=$(inputs_hash "$HACK_DIR/kind/node-image.sh" "$HACK_DIR/images/lib.sh" "$HACK_DIR/runc-wrapper" \
    "$KIND_FILES_DIR" "$kf" "$KIND_VERSION" "$DEBIAN_SUITE" "$BASE_PACKAGES")
  tag="sluice.dev/kind-base:$DEBIAN_SUITE-$hash"
  if image_is_current "$tag" "$hash"; then log "base image $tag is current"; echo "$tag"; return; fi
  local t0; t0=$(date +%s)
  log "building base image $tag"
  r="$SLUICE_CACHE/kind/base-rootfs"
  mkdir -p "$SLUICE_CACHE/kind"
  debian_rootfs "$r" "$BASE_PACKAGES"
  customize_base "$r" "$kf"
  log "importing the base root filesystem ($(du -sh "$r" | cut -f1)) into docker"
  import_dir "$r" "$tag-rootfs" "$hash"
  # STOPSIGNAL cannot be set by `docker import`; a classic-builder Dockerfile adds only metadata.
  printf '%s\n' "FROM $tag-rootfs" "ENV container=docker" "STOPSIGNAL SIGRTMIN+3" \
    "LABEL $INPUTS_LABEL=$hash" 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
    | docker build -q -t "$tag" - > "$SLUICE_CACHE/kind/docker-build.log" 2>&1 \
    || { cat "$SLUICE_CACHE/kind/docker-build.log" >&2; die "docker build of $tag failed"; }
  docker rmi "$tag-rootfs" >/dev/null
  as_root rm -rf "$r"
  log "built base image $tag in $(( $(date +%s) - t0 ))s"
  echo "$tag"
}

cleanup_build_container() { docker rm -f -v "$BUILD_CONTAINER" >/dev/null 2>&1 || true; }

ensure_node() {
  local base images=() hash tag t0 id
  base=$(ensure_base)
  "$HACK_DIR/tools.sh" kubeadm kubelet kubectl >&2
  log "ensuring the images kubeadm $KUBERNETES_VERSION needs"
  mapfile -t images < <("$HACK_DIR/images/build.sh" control-plane)
  [ "${#images[@]}" -ge 7 ] || die "hack/images/build.sh gave ${#images[@]} images, expected 7"
  local ids=()
  for id in "${images[@]}"; do ids+=("$(docker image inspect --format '{{.Id}}' "$id")"); done
  hash=$(inputs_hash "$HACK_DIR/kind/node-image.sh" "$base" "$BIN_DIR/kubeadm" "$BIN_DIR/kubelet" \
    "$BIN_DIR/kubectl" "${images[@]}" "${ids[@]}")
  tag="sluice.dev/kind-node:$KUBERNETES_VERSION-$hash"
  if image_is_current "$tag" "$hash"; then log "node image $tag is current"; echo "$tag"; return; fi

  t0=$(date +%s)
  log "building node image $tag"
  local sandbox
  sandbox=$(printf '%s\n' "${images[@]}" | grep '/pause:') || die "no pause image in kubeadm's list"
  trap cleanup_build_container EXIT
  cleanup_build_container
  # A throwaway container of the base image running only containerd (not systemd): enough to
  # import images. /run and /tmp are tmpfs so no runtime state lands in the image.
  docker run -d --name "$BUILD_CONTAINER" --privileged --tmpfs /run --tmpfs /tmp \
    --entrypoint /bin/sleep "$base" infinity >/dev/null
  docker cp -L "$BIN_DIR/kubeadm" "$BUILD_CONTAINER:/usr/bin/kubeadm"
  docker cp -L "$BIN_DIR/kubelet" "$BUILD_CONTAINER:/usr/bin/kubelet"
  docker cp -L "$BIN_DIR/kubectl" "$BUILD_CONTAINER:/usr/bin/kubectl"
  docker exec "$BUILD_CONTAINER" sh -euc "
    chmod 0755 /usr/bin/kubeadm /usr/bin/kubelet /usr/bin/kubectl
    echo '$KUBERNETES_VERSION' > /kind/version
    sed -i 's#@SANDBOX_IMAGE@#$sandbox#' /etc/containerd/config.toml
    mkdir -p /var/lib/containerd"
  docker exec -d "$BUILD_CONTAINER" sh -c 'containerd > /tmp/containerd.log 2>&1'
  local i
  for i in $(seq 1 30); do
    docker exec "$BUILD_CONTAINER" ctr version >/dev/null 2>&1 && break
    [ "$i" = 30 ] && { docker exec "$BUILD_CONTAINER" cat /tmp/containerd.log >&2; die "containerd did not start in the build container"; }
    sleep 1
  done
  log "importing ${#images[@]} images into the node's containerd (namespace k8s.io)"
  docker save "${images[@]}" | docker exec -i "$BUILD_CONTAINER" \
    ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned \
      --all-platforms --no-unpack --digests - >/dev/null
  local have
  have=$(docker exec "$BUILD_CONTAINER" ctr --namespace=k8s.io images ls -q)
  for id in "${images[@]}"; do
    grep -qxF "$id" <<<"$have" || die "image $id missing in the node's containerd after import"
  done
  docker exec "$BUILD_CONTAINER" sh -c 'pkill -x containerd; for i in $(seq 1 20); do pgrep -x containerd >/dev/null || exit 0; sleep 0.5; done; exit 1' \
    || die "containerd did not stop in the build container"
  docker commit \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'CMD []' \
    --change "LABEL $INPUTS_LABEL=$hash" \
    "$BUILD_CONTAINER" "$tag" >/dev/null
  cleanup_build_container
  trap - EXIT
  log "built node image $tag in $(( $(date +%s) - t0 ))s ($(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
  echo "$tag"
}

case "${1:-node}" in
  node) ensure_node ;;
  base) ensure_base ;;
  *) die "usage: $0 [node|base]" ;;
esac
