#!/usr/bin/env bash
# `npm test`: every suite, on a fresh machine too. It first installs what the suites need and is missing:
# Debian packages (postfix for the real-server tests, chromium for the VS Code host) and code-server
# (VS Code 1.100.3, the in-editor host). Both installers are no-ops once done.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-debian-deps.sh
bash scripts/install-code-server.sh

npm run build --silent
npm run typecheck --silent
npm run compile-tests --silent

echo "== In-VS-Code suite (code-server $(node -p "require('./.cache/code-server/node_modules/code-server/package.json').version" 2>/dev/null || echo '?'))"
node out/test/vscode/runInCodeServer.js
echo "== UI tests (Playwright, screenshots in test-results/screenshots)"
node out/test/vscode/runUiTests.js

# Last, so that node's runner gives the closing lines: unit, fault, fuzz and security suites, then the
# suites against real servers (Postfix instances on loopback).
echo "== Unit and real-server suites"
node --test --test-concurrency=2 out/test/unit/ out/test/servers/
