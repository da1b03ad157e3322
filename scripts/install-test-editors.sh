#!/usr/bin/env bash
# Installs the editors the client tests run against: Neovim 0.10 (from
# Debian 13 packages, into .cache/editors, without touching the system) and
# Emacs (Debian's emacs-nox, with package-lint). Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/install-neovim.sh"
bash "$here/install-emacs.sh"
