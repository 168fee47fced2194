#!/usr/bin/env bash
# Every test, in order: unit tests (runtime, language server, client logic, webview logic),
# then the real-editor rig (code-server 4.100.3 in Debian's Chromium): the stand-in extension
# that proves the rig, then the Experiment Manager extension's suites in test/integration/.
# Installs what the editor tests need on first use (Debian packages, code-server into
# ${EXPMAN_RIG_CACHE:-$HOME/.cache/expman-rig}); afterwards those steps take well under a second.
# This is `npm run test:all`, the command README.md documents; .ci/run runs it after npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
T0=$(date +%s)
PHASES=()
phase_done() { PHASES+=("$(printf '%-28s %5d s' "$1" $(( $(date +%s) - $2 )))"); }
summary() {
  local rc=$?
  echo
  echo "== test phases"
  for p in "${PHASES[@]}"; do echo "  $p"; done
  echo "  total                        $(( $(date +%s) - T0 )) s  (exit $rc)"
}
trap summary EXIT

echo "== type-check every package, sources and tests, rig suites included (tsx and esbuild run TypeScript unchecked)"
t=$(date +%s)
npm run typecheck
phase_done "typecheck" "$t"

echo "== PostgreSQL for the tracking-store tests (test/services/postgres.sh: installs and starts it if needed)"
t=$(date +%s)
EXPMAN_TEST_PG_URL="$(bash test/services/postgres.sh)"
export EXPMAN_TEST_PG_URL
phase_done "postgresql" "$t"

echo "== unit tests (npm test)"
t=$(date +%s)
npm test
phase_done "unit tests" "$t"

echo "== stress tests (npm run test:stress: kills, full disks, hostile input, soak)"
t=$(date +%s)
npm run test:stress
phase_done "stress tests" "$t"

# A one-node Slurm cluster on this machine (test/services/slurm.sh installs slurm-wlm and munge
# and starts it, idempotently), then the Slurm executor's tests against it (issue 10.2).
echo "== Slurm: one-node cluster and the Slurm executor (npm run test:slurm)"
t=$(date +%s)
npm run test:slurm
phase_done "slurm" "$t"

echo "== code-server (cached in ${EXPMAN_RIG_CACHE:-$HOME/.cache/expman-rig})"
t=$(date +%s)
bash test/rig/install-code-server.sh
phase_done "code-server install" "$t"

rm -rf test/artifacts
mkdir -p test/artifacts

echo "== rig: stand-in extension (proves the rig itself)"
t=$(date +%s)
FIX=test/rig/fixtures
node test/rig/run.mjs --name standin-trusted --package "$FIX/standin-extension" \
  --workspace "$FIX/workspace" --suites "$FIX/suites/trusted" --ui "$FIX/ui/standin.ui.mjs"
node test/rig/run.mjs --name standin-untrusted --trust untrusted --package "$FIX/standin-extension" \
  --workspace "$FIX/workspace" --suites "$FIX/suites/untrusted"
phase_done "rig: stand-in" "$t"

# The real extension's suites (see test/integration/README.md). Skipped while there are none.
if [ -n "$(find test/integration -name '*.test.*' -o -name '*.ui.mjs' 2>/dev/null | head -1)" ]; then
  echo "== rig: Experiment Manager extension"
  t=$(date +%s)
  bash test/integration/run.sh
  phase_done "rig: extension" "$t"
else
  echo "== rig: no suites in test/integration yet, skipped"
fi

# TensorBoard and MLflow themselves read what our trackers write (test/realtools/run.sh; the
# first run installs them from PyPI into ${EXPMAN_PY_CACHE:-$HOME/.cache/expman-py}).
echo "== real tools: TensorBoard and MLflow read our files (npm run test:realtools)"
t=$(date +%s)
npm run test:realtools
phase_done "real tools" "$t"
