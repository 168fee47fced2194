#!/usr/bin/env bash
# The real-tools checks (issue 15): TensorBoard and MLflow, installed from PyPI into a venv
# outside the repo (test/realtools/setup-venv.sh, reused when complete), read what our trackers
# wrote; screenshots of their dashboards land in test/artifacts/.
#   npm run test:realtools          (builds the runtime first; part of npm run test:all)
#   bash test/realtools/run.sh [file-substring...]
# No registry, no venv: this fails with setup-venv.sh's message. It never skips.
set -euo pipefail
cd "$(dirname "$0")/../.."
t=$(date +%s)
if ! PY=$(bash test/realtools/setup-venv.sh); then
  echo "realtools: the Python venv with TensorBoard and MLflow could not be set up (message above); the real-tools checks cannot run." >&2
  exit 1
fi
echo "realtools: venv ready in $(( $(date +%s) - t )) s: $PY"
export EXPMAN_REALTOOLS_PYTHON="$PY"
mkdir -p test/artifacts
files=()
for f in test/realtools/*.realtools.test.ts; do
  if [ $# -eq 0 ]; then files+=("$f"); else for s in "$@"; do [[ "$f" == *"$s"* ]] && files+=("$f") && break; done; fi
done
[ ${#files[@]} -gt 0 ] || { echo "realtools: no test files match: $*" >&2; exit 1; }
npx --no-install tsc -p test/realtools   # tsx runs TypeScript unchecked
# One file at a time: each starts a server and a browser, on a machine with two cores.
exec node test/test-tmp.mjs realtools node_modules/.bin/tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
