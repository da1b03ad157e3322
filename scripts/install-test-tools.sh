#!/usr/bin/env bash
# Installs the shells the `env --format` tests read the output back with:
# Debian's fish (sh is always there). Idempotent; needs root (or sudo) and
# Debian's package archive.
set -euo pipefail

log() { printf 'install-test-tools: %s\n' "$*" >&2; }

if command -v fish >/dev/null 2>&1; then
  log "already installed: $(fish --version)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    log "must run as root (or with sudo available)"; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
install() { $SUDO apt-get install -y -qq --no-install-recommends fish >/dev/null; }
log "apt-get install fish"
if ! install; then
  log "apt-get update, then again"
  $SUDO apt-get update -qq
  install
fi
log "installed: $(fish --version)"
