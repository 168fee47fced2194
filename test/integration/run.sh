#!/usr/bin/env bash
# Runs the Experiment Manager extension's real-editor suites through the rig (test/rig/run.mjs).
# Called by .ci/run once this folder holds suites; also fine to run by hand from the repo root:
#   bash test/integration/run.sh
#
# Layout (all optional; missing parts are skipped):
#   trusted/**/*.test.{ts,js}    mocha suites, workspace trust disabled (code may run)
#   untrusted/**/*.test.{ts,js}  mocha suites, trust on and the folder untrusted
#   empty/*.test.ts, *.ui.mjs    suites, then Playwright checks, in an empty folder (a new user's)
#   ui/*.ui.mjs                  Playwright checks after the trusted suites (see test/rig/README.md)
#   workspace/                   the folder opened (copied first); default: test/rig/fixtures/workspace
# The extension: $EXPMAN_VSIX if set, else the repo root packaged with vsce.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=test/integration
mkdir -p test/artifacts

VSIX="${EXPMAN_VSIX:-}"
if [ -z "$VSIX" ]; then
  VSIX="test/artifacts/experiment-manager.vsix"
  echo "building the extension (runtime, server, webview, client + runtime fallback)"
  npm run --silent build
  echo "packaging the extension at the repo root -> $VSIX"
  npx --no-install vsce package --no-dependencies --allow-missing-repository --skip-license --no-rewrite-relative-links -o "$VSIX"
fi

WS="$HERE/workspace"
[ -d "$WS" ] || WS=test/rig/fixtures/workspace

has() { [ -d "$1" ] && [ -n "$(find "$1" -name "$2" | head -1)" ]; }

rc=0
if has "$HERE/trusted" '*.test.*' || has "$HERE/ui" '*.ui.mjs'; then
  args=(--name extension-trusted --vsix "$VSIX" --workspace "$WS")
  has "$HERE/trusted" '*.test.*' && args+=(--suites "$HERE/trusted")
  for u in "$HERE"/ui/*.ui.mjs; do [ -e "$u" ] && args+=(--ui "$u"); done
  node test/rig/run.mjs "${args[@]}" || rc=1
fi
# A new user's empty folder (issue 12.4): no --workspace, so the rig opens a fresh empty directory.
if has "$HERE/empty" '*.test.*' || has "$HERE/empty" '*.ui.mjs'; then
  args=(--name extension-empty --vsix "$VSIX")
  has "$HERE/empty" '*.test.*' && args+=(--suites "$HERE/empty")
  for u in "$HERE"/empty/*.ui.mjs; do [ -e "$u" ] && args+=(--ui "$u"); done
  node test/rig/run.mjs "${args[@]}" || rc=1
fi
if has "$HERE/untrusted" '*.test.*'; then
  node test/rig/run.mjs --name extension-untrusted --trust untrusted --vsix "$VSIX" --workspace "$WS" \
    --suites "$HERE/untrusted" || rc=1
fi
exit $rc
