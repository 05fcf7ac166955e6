# Shared helpers for hack/*.sh: logging with elapsed time, the tool cache location.
# Sourced, not executed.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=versions.env
source "$HACK_DIR/versions.env"
# Outside the clone so a fresh clone on the same machine (CI) reuses it.
SLUICE_CACHE="${SLUICE_CACHE:-$HOME/.cache/sluice}"
BIN_DIR="$ROOT_DIR/bin"
_start_ts=$(date +%s)
log() { printf '[%s +%ss] %s\n' "$(basename "$0")" "$(( $(date +%s) - _start_ts ))" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH. $2"; }
