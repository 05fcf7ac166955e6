#!/usr/bin/env bash
# Builds (or reuses) the sluice kind node image and prints its tag on stdout:
#
#   hack/kind/node-image.sh
#
# sluice.dev/kind-node:<kubernetes version>-<hash>: the base image (hack/kind/base-image.sh)
# + kubeadm/kubelet/kubectl (hack/tools.sh) + the images kubeadm needs (hack/images/build.sh),
# imported content-only into the node containerd's k8s.io namespace by a containerd running in
# a throwaway build container, then `docker commit` with kind's entrypoint. <hash> covers every
# input (base tag, binaries, image ids); a current image is reused and older node images of
# this repository are removed unless a container still uses them.
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=hack/images/lib.sh
source "$HACK_DIR/images/lib.sh"
BUILD_CONTAINER="sluice-node-build-$$"

cleanup_build_container() { docker rm -f -v "$BUILD_CONTAINER" >/dev/null 2>&1 || true; }

ensure_node() {
  local base images=() hash tag t0 id
  base=$("$HACK_DIR/kind/base-image.sh")
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
  prune_other_tags sluice.dev/kind-node "$tag"
  log "built node image $tag in $(( $(date +%s) - t0 ))s ($(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
  echo "$tag"
}

ensure_node
