#!/usr/bin/env bash
# Installs code-server (VS Code in a browser, from the npm registry) into a cache dir outside
# the repo (the install facts are in the comments below and test/rig/README.md). Idempotent: a marker file
# holding the version makes a second run return at once. Prints the install directory's
# code-server entry point on its last line of stdout.
#
#   test/rig/install-code-server.sh            # install (or reuse) the pinned version
#   EXPMAN_RIG_CACHE=/some/dir test/rig/...    # choose the cache dir
#
# Why not a plain `npm install code-server`: its postinstall downloads prebuilt binaries
# (ripgrep) from GitHub, which this network refuses, so scripts are skipped and the native
# parts are built from source here instead.
set -euo pipefail

VERSION="${EXPMAN_CODE_SERVER_VERSION:-4.100.3}"
CACHE="${EXPMAN_RIG_CACHE:-$HOME/.cache/expman-rig}"
DIR="$CACHE/code-server-$VERSION"
MARKER="$DIR/.expman-installed"
ENTRY="$DIR/node_modules/code-server/out/node/entry.js"
APT_PACKAGES=(chromium libkrb5-dev pkg-config ripgrep)

log() { echo "[install-code-server] $*" >&2; }

ensure_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]}; install them as root: apt-get install -y ${missing[*]}"
    exit 1
  fi
  log "apt-get installing: ${missing[*]}"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

ensure_apt_packages

mkdir -p "$CACHE"
# One installer at a time per cache dir (parallel CI jobs or two engineers).
exec 9>"$CACHE/.lock"
flock 9

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$VERSION" ] && [ -f "$ENTRY" ]; then
  log "cached: $DIR (code-server $VERSION; delete the marker $MARKER to reinstall)"
  echo "$ENTRY"
  exit 0
fi

start=$(date +%s)
log "installing code-server@$VERSION into $DIR (cold install; takes minutes)"
rm -rf "$DIR"
mkdir -p "$DIR"
cd "$DIR"
echo '{ "name": "expman-rig-code-server", "private": true }' > package.json
npm install "code-server@$VERSION" --ignore-scripts --no-audit --no-fund --loglevel=error >&2

CS="$DIR/node_modules/code-server"
VS="$CS/lib/vscode"

log "lib/vscode: npm install --omit=dev --ignore-scripts"
(cd "$VS" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)

log "lib/vscode: rebuilding native modules"
(cd "$VS" && npm_config_yes=true npm rebuild node-pty @vscode/spdlog native-watchdog @parcel/watcher kerberos @vscode/deviceid --loglevel=error >&2)

for m in node-pty @vscode/spdlog native-watchdog kerberos @vscode/deviceid; do
  [ -n "$(find "$VS/node_modules/$m/build/Release" -maxdepth 1 -name '*.node' 2>/dev/null)" ] \
    || { log "native module $m did not build (needs python3, make, g++, libkrb5-dev, pkg-config)"; exit 1; }
done

# @vscode/ripgrep's postinstall would download rg from GitHub; Debian's rg does the same job.
mkdir -p "$VS/node_modules/@vscode/ripgrep/bin"
ln -sf "$(command -v rg)" "$VS/node_modules/@vscode/ripgrep/bin/rg"

# VS Code's server looks for node_modules.asar (packed in desktop builds).
ln -sfn node_modules "$VS/node_modules.asar"

# What code-server's own postinstall.sh does besides npm install: the CLI helper scripts.
ln -sfn code-linux.sh "$VS/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$VS/bin/helpers/browser.sh"

# The built-in extensions share one dependency (typescript); its postinstall.mjs prunes it.
log "lib/vscode/extensions: npm install --omit=dev --ignore-scripts; node postinstall.mjs"
(cd "$VS/extensions" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2 \
  && node postinstall.mjs > /dev/null)

# argon2 (password hashing, loaded at startup) is hoisted to the install dir's node_modules;
# node-pre-gyp's download fails here and it falls back to building from source.
log "top level: npm rebuild argon2"
(cd "$DIR" && npm rebuild argon2 --loglevel=error >&2)
[ -n "$(find "$DIR/node_modules/argon2/lib/binding" -name '*.node' 2>/dev/null)" ] \
  || { log "argon2 did not build (needs python3, make, g++)"; exit 1; }

[ -f "$ENTRY" ] || { log "install finished but $ENTRY is missing"; exit 1; }
echo "$VERSION" > "$MARKER"
log "installed in $(( $(date +%s) - start )) s"
echo "$ENTRY"
