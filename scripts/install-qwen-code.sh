#!/usr/bin/env bash
# Installs the real Qwen Code that the differential tests run as their oracle,
# pinned by test/qwen-code/package-lock.json, into test/qwen-code/node_modules
# (never among qwen-agent-server's own dependencies: the quick start stays
# fast). Idempotent: a second run with the same lock file returns at once.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../test/qwen-code" && pwd)"
stamp="$dir/node_modules/.qas-installed"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$dir/node_modules/@qwen-code/qwen-code/cli-entry.js" ]]; then
  echo "Qwen Code already installed in test/qwen-code"
  exit 0
fi
# Not `npm ci`: Qwen Code's optional @teddyzhu/clipboard 0.0.5 names
# platform packages that were never published, so no lock file can list them
# and `npm ci` refuses every lock as out of sync. `npm install --no-save` from
# a clean folder installs exactly what the lock pins (integrity checked) and
# leaves the lock untouched. No optional native add-ons (terminal, clipboard,
# images) and no install scripts: a non-interactive run needs none of them.
# Its engines field asks for Node 22; it runs on 20.19+ (the warning is
# expected and silenced).
rm -rf "$dir/node_modules"
(cd "$dir" && npm install --no-save --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error --engine-strict=false)
echo "$want" >"$stamp"
echo "Qwen Code $(node -p "require('$dir/node_modules/@qwen-code/qwen-code/package.json').version") installed in test/qwen-code"
