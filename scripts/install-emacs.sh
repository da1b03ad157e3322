#!/usr/bin/env bash
# Installs what the Emacs client's tests need: Debian's emacs-nox (28.2 on
# bookworm) and elpa-package-lint. Idempotent: does nothing when `emacs
# --version` works and package-lint is already installed. Needs root (or
# sudo) and Debian's package archive.
#
# Environment:
#   QWEN_EMACS_BACKPORTS=1  also install Emacs from bookworm-backports
#                           (Emacs 30) when that suite is configured.
set -euo pipefail

log() { printf 'install-emacs: %s\n' "$*" >&2; }

have_emacs() { command -v emacs >/dev/null 2>&1 && emacs --version >/dev/null 2>&1; }
have_package_lint() {
  # Debian's elpa-package-lint installs into /usr/share/emacs/site-lisp/elpa*.
  dpkg-query -W -f='${Status}' elpa-package-lint 2>/dev/null | grep 'install ok installed' >/dev/null && return 0
  # Elsewhere: Debian's site-lisp folder, or package.el's own packages.
  compgen -G "/usr/share/emacs/site-lisp/elpa/package-lint-*/package-lint.el*" >/dev/null && return 0
  have_emacs && emacs -Q --batch --eval \
    "(progn (package-initialize) (require 'package-lint))" >/dev/null 2>&1
}

if have_emacs && have_package_lint; then
  log "already installed: $(emacs --version | head -n1), package-lint present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    log "must run as root (or with sudo available)"; exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "apt-get not found: install Emacs (>= 28.1) and package-lint by hand"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Refresh the package lists when they are empty, lack a candidate for either
# package, or are more than a week old (the lists folder changes on each
# update; the list files themselves carry the archive's dates). An install
# that still fails on old lists is retried once after an update.
lists=/var/lib/apt/lists
has_candidate() { apt-cache policy "$1" 2>/dev/null | grep 'Candidate: [^(]' >/dev/null; }
updated=0
update() { log "apt-get update"; $SUDO apt-get update -qq; updated=1; }
if ! compgen -G "$lists/*_Packages*" >/dev/null \
    || ! has_candidate emacs-nox || ! has_candidate elpa-package-lint \
    || [ -n "$(find "$lists" -maxdepth 0 -mtime +7 -print 2>/dev/null)" ]; then
  update
fi

install() {
  $SUDO apt-get install -y -qq --no-install-recommends emacs-nox elpa-package-lint >/dev/null
}
log "apt-get install emacs-nox elpa-package-lint"
if ! install; then
  if [ "$updated" -eq 1 ]; then exit 1; fi
  update
  install
fi

if [ "${QWEN_EMACS_BACKPORTS:-0}" = "1" ]; then
  if apt-cache policy 2>/dev/null | grep bookworm-backports >/dev/null; then
    log "installing emacs-nox from bookworm-backports"
    $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports emacs-nox >/dev/null \
      || log "backports install failed; keeping the stable Emacs"
  else
    log "bookworm-backports is not configured; keeping the stable Emacs"
  fi
fi

if ! have_emacs; then log "emacs still not runnable"; exit 1; fi
if ! have_package_lint; then log "package-lint still missing"; exit 1; fi
log "installed: $(emacs --version | head -n1), package-lint present"
