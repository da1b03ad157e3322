#!/usr/bin/env bash
# Installs Neovim 0.10 for the Neovim client's tests without touching the
# system: Debian 12 ships Neovim 0.7, so this fetches Debian 13 (trixie)
# packages with a private apt state, unpacks them into
# <repo>/.cache/editors/neovim and writes a wrapper <repo>/.cache/editors/bin/nvim
# that runs that nvim through the prefix's own dynamic loader and libraries.
#
# The mirror is read from the machine's own apt sources (deb822
# /etc/apt/sources.list.d/debian.sources, else /etc/apt/sources.list); only
# the suite is replaced by `trixie`.
#
# The wrapper is for headless use (the tests): a TUI nvim would try to start
# its embedded server through the loader, which fails; for a look in a
# terminal use `nvim --headless --listen SOCK` and `nvim --remote-ui --server SOCK`.
#
# Idempotent: does nothing when the wrapper already runs Neovim >= 0.10.
# Downloaded .deb files are kept in <repo>/.cache/editors/debs, so a rerun
# after `rm -rf .cache/editors/neovim` needs no network.
#
# Environment:
#   QWEN_NVIM_PREFIX   where to unpack (default <repo>/.cache/editors/neovim)
#   QWEN_NVIM_SUITE    the Debian suite to take Neovim from (default trixie)
#   QWEN_NVIM_FORCE=1  reinstall even when the wrapper works
set -euo pipefail

log() { printf 'install-neovim: %s\n' "$*" >&2; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
editors="$repo/.cache/editors"
prefix="${QWEN_NVIM_PREFIX:-$editors/neovim}"
bindir="$editors/bin"
wrapper="$bindir/nvim"
suite="${QWEN_NVIM_SUITE:-trixie}"
aptdir="$editors/apt"
debs="$editors/debs"
packages=(neovim neovim-runtime libluajit-5.1-2 libmsgpack-c2 libtree-sitter0.22
  libunibilium4 libuv1t64 libvterm0 lua-lpeg lua-luv libc6 libgcc-s1)

# Prints the wrapper's version line when it runs Neovim >= 0.10, else fails.
wrapper_ok() {
  [ -x "$wrapper" ] || return 1
  local v
  v="$("$wrapper" --version 2>/dev/null | head -n1)" || return 1
  case "$v" in
    "NVIM v0."[0-9].*) return 1 ;;           # 0.0 - 0.9
    "NVIM v0."[1-9][0-9]* | "NVIM v"[1-9]*) printf '%s\n' "$v" ;;
    *) return 1 ;;
  esac
}

if [ "${QWEN_NVIM_FORCE:-0}" != "1" ] && v="$(wrapper_ok)"; then
  log "already installed: $v ($wrapper)"
  exit 0
fi

arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
case "$arch" in
  amd64) triplet=x86_64-linux-gnu; loader=ld-linux-x86-64.so.2 ;;
  arm64) triplet=aarch64-linux-gnu; loader=ld-linux-aarch64.so.1 ;;
  *) log "unsupported architecture $arch"; exit 1 ;;
esac

have_all_debs() {
  local p
  for p in "${packages[@]}"; do
    compgen -G "$debs/${p}_*_*.deb" >/dev/null || return 1
  done
}

mkdir -p "$debs"
if ! have_all_debs; then
  command -v apt-get >/dev/null 2>&1 || { log "apt-get not found: install Neovim >= 0.10 by hand and set QWEN_TEST_NVIM"; exit 1; }
  mkdir -p "$aptdir/state/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/etc"
  : > "$aptdir/state/status"
  sources="$aptdir/etc/sources.list"

  # The machine's own mirror and keyring, with the suite replaced.
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    # deb822: take the first stanza that has a plain release suite (not
    # -security/-updates/-backports) and keep its URIs, components and key.
    awk -v suite="$suite" '
      function flush() {
        if (!done && uris != "" && plain) {
          printf "deb%s %s %s %s\n", (key != "" ? " [signed-by=" key "]" : ""), uris, suite, comps
          done = 1
        }
        uris = ""; comps = ""; key = ""; plain = 0; isdeb = 0
      }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]*#/ { next }
      {
        line = $0; sub(/^[^:]*:[[:space:]]*/, "", line)
        field = tolower($1); sub(/:$/, "", field)
        if (field == "types") { isdeb = (line ~ /(^|[[:space:]])deb([[:space:]]|$)/) }
        else if (field == "uris") { split(line, u, /[[:space:]]+/); uris = u[1] }
        else if (field == "components") { comps = line }
        else if (field == "signed-by") { key = line }
        else if (field == "suites") {
          n = split(line, s, /[[:space:]]+/)
          for (i = 1; i <= n; i++) if (s[i] != "" && s[i] !~ /-/) plain = 1
        }
      }
      END { flush() }
    ' /etc/apt/sources.list.d/debian.sources > "$sources"
  elif [ -r /etc/apt/sources.list ]; then
    # One-line format: the first `deb` line whose suite has no dash.
    awk -v suite="$suite" '
      $1 == "deb" && !done {
        i = 2; opts = ""
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) { opts = opts $i " "; i++ } opts = opts $i " "; i++ }
        if ($(i + 1) ~ /-/) next
        printf "deb %s%s %s", opts, $i, suite
        for (j = i + 2; j <= NF; j++) printf " %s", $j
        printf "\n"; done = 1
      }
    ' /etc/apt/sources.list > "$sources"
  fi
  if [ ! -s "$sources" ]; then
    log "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
    exit 1
  fi
  log "using $(cut -d' ' -f1- "$sources")"

  apt_opts=(
    -o "Dir::State=$aptdir/state"
    -o "Dir::State::status=$aptdir/state/status"
    -o "Dir::Cache=$aptdir/cache"
    -o "Dir::Etc::SourceList=$sources"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::Etc::Preferences=/dev/null"
    -o "Dir::Etc::PreferencesParts=/dev/null"
    -o "APT::Architecture=$arch"
    -o "APT::Architectures=$arch"
    -o "Acquire::Languages=none"
    -o "Debug::NoLocking=1"
  )
  # Root downloads as the _apt user; a private folder under /work may not be
  # writable by it, so download as the current user.
  apt_opts+=(-o "APT::Sandbox::User=$(id -un)")

  log "apt-get update ($suite, private state in $aptdir)"
  apt-get "${apt_opts[@]}" -qq update
  log "apt-get download ${packages[*]}"
  (cd "$debs" && apt-get "${apt_opts[@]}" -qq download "${packages[@]}")
  have_all_debs || { log "some packages were not downloaded"; ls "$debs" >&2; exit 1; }
fi

# Unpack into a fresh prefix, then swap it in.
tmp_prefix="$prefix.tmp.$$"
rm -rf "$tmp_prefix"
mkdir -p "$tmp_prefix"
trap 'rm -rf "$tmp_prefix"' EXIT
for p in "${packages[@]}"; do
  # The newest file of that package, if several versions were downloaded.
  deb="$(ls -1 "$debs/${p}"_*_*.deb | sort -V | tail -n1)"
  dpkg -x "$deb" "$tmp_prefix"
done
rm -rf "$prefix"
mv "$tmp_prefix" "$prefix"
trap - EXIT

libdirs="$prefix/usr/lib/$triplet:$prefix/lib/$triplet"
ld="$prefix/usr/lib/$triplet/$loader"
[ -e "$ld" ] || ld="$prefix/lib/$triplet/$loader"
[ -e "$ld" ] || { log "the loader $loader is not in the unpacked libc6"; exit 1; }
# Debian's nvim is a symlink managed by alternatives; the binary is here.
nvim_bin="$prefix/usr/bin/nvim"
[ -e "$nvim_bin" ] || nvim_bin="$prefix/usr/lib/neovim/bin/nvim"
[ -e "$nvim_bin" ] || nvim_bin="$(find "$prefix/usr" -type f -name nvim -perm -u+x | head -n1)"

mkdir -p "$bindir"
cat > "$wrapper.tmp" <<EOF
#!/bin/sh
# Neovim from Debian $suite packages, run through its own loader and
# libraries (written by scripts/install-neovim.sh).
export VIMRUNTIME="$prefix/usr/share/nvim/runtime"
exec "$ld" --library-path "$libdirs" "$nvim_bin" "\$@"
EOF
chmod 0755 "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"

if v="$(wrapper_ok)"; then
  log "installed: $v ($wrapper)"
else
  log "the unpacked Neovim does not run:"
  "$wrapper" --version >&2 || true
  exit 1
fi
