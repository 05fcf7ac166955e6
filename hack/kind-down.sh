#!/usr/bin/env bash
# Deletes a kind cluster made by hack/kind-up.sh (no-op when it does not exist).
#
#   hack/kind-down.sh [CLUSTER_NAME]      default name: sluice
#
# Images (node image, control-plane images) stay in docker, so the next kind-up is warm.
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME="${1:-${SLUICE_KIND_CLUSTER:-sluice}}"
KCFG="${SLUICE_KUBECONFIG:-$SLUICE_CACHE/kind/$NAME.kubeconfig}"
KIND="$BIN_DIR/kind"

if ! "$HACK_DIR/docker-engine.sh" --check; then
  log "no docker engine answers: nothing to delete"; exit 0
fi
[ -x "$KIND" ] || "$HACK_DIR/tools.sh" kind >&2
if "$KIND" get clusters 2>/dev/null | grep -qxF "$NAME"; then
  log "deleting kind cluster '$NAME'"
  "$KIND" delete cluster --name "$NAME" --kubeconfig "$KCFG" >&2
else
  log "no kind cluster named '$NAME'"
fi
rm -f "$KCFG"
log "done"
