#!/usr/bin/env bash
# Installs code-server (VS Code's own server build, from npm) into .cache/code-server/ so that the
# extension's mocha suite and the UI tests can run inside a real VS Code on machines that can reach only
# the npm registry and Debian's packages (@vscode/test-electron would download VS Code from the web).
# Recipe and reasons: /work/shared/guides/vscode-test-host.md. A second run is a no-op (marker file).
set -euo pipefail

# 4.100.3 bundles VS Code 1.100.3 and is the newest release whose engine is Node 20 (4.103+ want 22/24).
readonly CODE_SERVER_VERSION='4.100.3'

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir="$repo_root/.cache/code-server"
marker="$cache_dir/.installed"
# The marker records what was built, so a change of version or of Node rebuilds the cache.
marker_content="code-server@$CODE_SERVER_VERSION node@$(node --version)"

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$marker_content" ]; then
  echo "code-server $CODE_SERVER_VERSION is already installed in $cache_dir"
  exit 0
fi

log() { printf '[install-code-server] %s\n' "$*"; }

# Native builds print hundreds of lines of progress; show them only when the build fails.
quietly() {
  local output
  if ! output=$("$@" 2>&1); then
    printf '%s\n' "$output" >&2
    return 1
  fi
}

# libkrb5-dev: the kerberos native module needs gssapi.h. ripgrep: VS Code's search needs rg, and
# @vscode/ripgrep would fetch it from GitHub. chromium: the headless browser that drives the workbench.
install_missing_debian_packages() {
  local missing=()
  local package
  for package in libkrb5-dev ripgrep chromium; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=''
  [ "$(id -u)" -ne 0 ] && sudo='sudo'
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
}

# npm's own node-gyp is set up to use the local Node headers (npm config nodedir = /usr); node-gyp run
# any other way would try to download them.
npm_node_gyp() {
  local npm_dir
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  echo "$npm_dir/node_modules/node-gyp/bin/node-gyp.js"
}

rebuild_native_module() {
  local module_dir="$1"
  log "building $(basename "$module_dir") against the local Node headers"
  (cd "$module_dir" && quietly node "$node_gyp" rebuild --nodedir=/usr)
}

install_missing_debian_packages
node_gyp=$(npm_node_gyp)

# Start from scratch: a half-finished earlier run leaves a tree in an unknown state.
rm -rf "$cache_dir"
mkdir -p "$cache_dir"
printf '{ "private": true }\n' > "$cache_dir/package.json"

# code-server's postinstall would run `npm install` in lib/vscode, which downloads rg and Node headers;
# every step of it is done by hand below instead.
log "npm install code-server@$CODE_SERVER_VERSION (scripts skipped)"
(cd "$cache_dir" && npm install --ignore-scripts --no-audit --no-fund "code-server@$CODE_SERVER_VERSION")

code_server_dir="$cache_dir/node_modules/code-server"
vscode_dir="$code_server_dir/lib/vscode"

log "installing VS Code's runtime dependencies"
(cd "$vscode_dir" && npm install --omit=dev --ignore-scripts --no-audit --no-fund)

for module in kerberos node-pty @vscode/spdlog native-watchdog; do
  rebuild_native_module "$vscode_dir/node_modules/$module"
done
# @parcel/watcher's build-from-source.js only builds when npm_config_build_from_source is true, and it
# runs `node-gyp` from PATH: point both at npm's. It is skipped when the platform's prebuilt binary (an
# optional npm dependency) loads, since the watcher would load that one first anyway.
if (cd "$vscode_dir" && node -e "require('@parcel/watcher')" 2>/dev/null); then
  log "@parcel/watcher: the prebuilt binary loads, no build needed"
else
  log "building @parcel/watcher from source"
  (cd "$vscode_dir/node_modules/@parcel/watcher" &&
    PATH="$(dirname "$(dirname "$node_gyp")")/../../bin/node-gyp-bin:$PATH" \
      npm_config_build_from_source=true npm_config_nodedir=/usr quietly node scripts/build-from-source.js)
fi

rg_target="$vscode_dir/node_modules/@vscode/ripgrep/bin/rg"
mkdir -p "$(dirname "$rg_target")"
cp /usr/bin/rg "$rg_target"

# The links the skipped postinstall would have made.
ln -sfn node_modules "$vscode_dir/node_modules.asar"
ln -sfn code-linux.sh "$vscode_dir/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$vscode_dir/bin/helpers/browser.sh"

log "installing the built-in extensions' dependencies"
(cd "$vscode_dir/extensions" && npm install --omit=dev --ignore-scripts --no-audit --no-fund)

# code-server's password hashing module. node-pre-gyp would first try a prebuilt binary from GitHub, then
# fall back to building; build from source straight away, since that request can hang where GitHub is
# unreachable. npm may hoist argon2 next to code-server or keep it inside code-server's node_modules.
log "building argon2"
argon2_dir="$cache_dir/node_modules/argon2"
[ -d "$code_server_dir/node_modules/argon2" ] && argon2_dir="$code_server_dir/node_modules/argon2"
(cd "$argon2_dir" && npm_config_build_from_source=true quietly npm run install)

echo "$marker_content" > "$marker"
log "done: $code_server_dir"
