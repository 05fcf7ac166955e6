#!/usr/bin/env bash
# Builds (or reuses) the base image of the sluice kind node and prints its tag on stdout:
#
#   hack/kind/base-image.sh
#
# sluice.dev/kind-base:<suite>-<hash>: debootstrap --variant=minbase + systemd, containerd 1.6,
# runc, CNI plugins, iptables, ... from Debian; kind's own node files (entrypoint, kubelet
# units, sysctls, mount helpers) taken at build time from the kind module in the Go module
# cache ($KIND_VERSION); our containerd config and unit, a static bridge CNI config
# (hack/kind/files) and the runc wrapper (hack/runc-wrapper). No Kubernetes in it yet:
# hack/kind/node-image.sh adds that. <hash> covers every input; a current image is reused.
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=hack/images/lib.sh
source "$HACK_DIR/images/lib.sh"
KIND_FILES_DIR="$HACK_DIR/kind/files"
BASE_PACKAGES=systemd,systemd-sysv,dbus,containerd,runc,containernetworking-plugins,iptables,nftables,conntrack,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,procps,jq,ca-certificates

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
  install -m 0644 "$KIND_FILES_DIR/sluice-no-escape.service" "$r/etc/systemd/system/sluice-no-escape.service"
  install -m 0755 "$KIND_FILES_DIR/sluice-no-escape.sh" "$r/kind/bin/sluice-no-escape.sh"
  install -m 0644 "$KIND_FILES_DIR/10-sluice-bridge.conflist" "$r/etc/cni/net.d/"
  rm -rf "$r/opt/cni/bin" && ln -s /usr/lib/cni "$r/opt/cni/bin"   # Debian keeps plugins there
  install -m 0755 "$HACK_DIR/runc-wrapper" "$r/usr/local/sbin/sluice-runc"
  install -m 0644 "$KIND_FILES_DIR/resolv-no-upstream.conf" "$r/kind/resolv-no-upstream.conf"
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
  chroot "$r" systemctl enable kubelet.service containerd.service undo-mount-hacks.service sluice-no-escape.service >/dev/null 2>&1
  chroot "$r" systemctl mask systemd-binfmt.service >/dev/null 2>&1
  # entrypoint regenerates the machine id per node.
  : > "$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id"
}

ensure_base() {
  local kf hash tag r
  kf=$(kind_module_files)
  hash=$(inputs_hash "$HACK_DIR/kind/base-image.sh" "$HACK_DIR/images/lib.sh" "$HACK_DIR/runc-wrapper" \
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
  prune_other_tags sluice.dev/kind-base "$tag"
  log "built base image $tag in $(( $(date +%s) - t0 ))s"
  echo "$tag"
}

ensure_base
