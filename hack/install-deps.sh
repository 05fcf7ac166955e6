#!/usr/bin/env bash
# Installs the Debian packages the project needs on a fresh machine (idempotent; only what is
# missing). Root or passwordless sudo is required for apt-get.
#   openssl     certificates for the test control plane
#   util-linux  setpriv (servers die with the test run)
#   golang-go   only when no Go >= 1.24 is on PATH (tools are built from the Go module proxy)
#   npm         only when npm is missing (Node itself comes from hack/tools.sh)
#   default-jre-headless  Java >= 17 for the Kafka broker of the integration tests
#   maven       fetches the Kafka broker's jars from Maven Central (hack/kafka/fetch.sh)
#   g++ python3 make  node-gyp's build of the RocksDB checkpoint addon (make native, docs/state.md)
#   git ca-certificates
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v setpriv >/dev/null || missing+=(util-linux)
command -v flock >/dev/null || missing+=(util-linux)
command -v git >/dev/null || missing+=(git)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
command -v python3 >/dev/null || missing+=(python3)
command -v npm >/dev/null || missing+=(npm)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
if ! command -v go >/dev/null; then missing+=(golang-go); fi
command -v java >/dev/null || missing+=(default-jre-headless)
command -v mvn >/dev/null || missing+=(maven)

if [ ${#missing[@]} -eq 0 ]; then
  log "Debian packages: nothing missing"
else
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  log "installed: ${missing[*]}"
fi

gov=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
case "$gov" in
  1.2[4-9]*|1.[3-9]*|[2-9].*) ;;
  *) die "Go >= 1.24 is needed to build the pinned tools (found '${gov:-none}'). Install it from https://go.dev/dl or Debian backports." ;;
esac

javav=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${javav%%.*}" -ge 17 ] 2>/dev/null \
  || die "Java >= 17 is needed for the Kafka broker of the integration tests (found '${javav:-none}'). Install openjdk-17-jre-headless or newer."
